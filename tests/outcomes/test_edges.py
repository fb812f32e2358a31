"""Ends the comparison must not misread (found by a black-box red team): an ARN of another
partition, a check that could not judge its job, a job checked whose record kept no
prediction."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ir_vpc_guard.findings import Outcome
from tests.conftest import load_event
from tests.outcomes.conftest import TRAINING_ARN, Loop, job_report


def test_an_arn_of_another_partition_is_skipped_not_counted(loop: Loop) -> None:
    event = load_event("state_change_training_failed")
    event["detail"]["TrainingJobArn"] = TRAINING_ARN.replace("arn:aws:", "arn:aws-cn:")
    answer = loop.outcomes.on_event(event)
    assert "is not a training-job ARN of the event's account" in answer["skipped"]
    assert loop.verdict_metrics() == []


def test_a_job_whose_check_errored_and_that_completed_is_inconclusive(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, outcome=Outcome.ERROR))
    answer = loop.outcomes.on_event(load_event("state_change_training_completed"))
    assert answer["verdict"] == "inconclusive"  # not "consistent": nothing was judged
    assert "could not judge" in answer["why"]


def test_a_checked_job_whose_record_kept_no_prediction_is_no_missed_event(loop: Loop) -> None:
    def throttle(params: dict[str, Any], **_: Any) -> None:
        if "#owner = :owner" in params.get("ConditionExpression", ""):
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "UpdateItem")

    loop.records.dynamodb.meta.events.register(
        "provide-client-params.dynamodb.UpdateItem", throttle
    )
    loop.deliverer.deliver(job_report(TRAINING_ARN))  # published; its confirm failed
    loop.records.dynamodb.meta.events.unregister(
        "provide-client-params.dynamodb.UpdateItem", throttle
    )
    answer = loop.outcomes.on_event(load_event("state_change_training_failed"))
    assert answer["verdict"] == "inconclusive"  # before: "not-checked", its event "missed"
    assert "was not recorded" in answer["why"]
