"""The job record keeps what the report predicted, written with the claim's confirm: same
item, same expiry; a repeat or an undelivered report changes nothing."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.findings import ActionName, Mute, RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.state.records import RETENTION_SECONDS, UNRECORDED, Prediction
from tests.outcomes.conftest import TRAINING_ARN, Loop, high, job_report


def test_a_delivered_report_leaves_its_prediction_on_the_job_record(loop: Loop) -> None:
    loop.deliverer.deliver(
        job_report(TRAINING_ARN, high("S3_ENDPOINT_MISSING"), high("NACL_BLOCKS_S3"))
    )
    assert loop.records.prediction(TRAINING_ARN) == Prediction(
        "FAIL", ("NACL_BLOCKS_S3", "S3_ENDPOINT_MISSING"), stopped=False
    )
    item = loop.item(TRAINING_ARN)
    assert item["trigger"] == {"S": "event"}  # the one record of the job, as before
    expires = int(item["expiration"]["N"])
    assert abs(expires - (time.time() + RETENTION_SECONDS)) < 60  # the table's TTL as today


def test_a_pass_is_recorded_with_no_certain_check(loop: Loop) -> None:
    loop.deliverer.deliver(job_report())
    assert loop.records.prediction(TRAINING_ARN) == Prediction("PASS", (), stopped=False)


def test_muted_findings_are_no_prediction_and_a_stop_is_kept(loop: Loop) -> None:
    muted = replace(high("NACL_BLOCKS_S3"), muted=Mute("accepted", "2099-01-01"))
    stop = Action(
        ActionName.STOP_JOB,
        "S3_ENDPOINT_MISSING",
        "vpc-1",
        TRAINING_ARN,
        status=RemediationStatus.APPLIED,
    )
    report = replace(job_report(TRAINING_ARN, high(), muted), actions=[stop])
    loop.deliverer.deliver(report)
    assert loop.records.prediction(TRAINING_ARN) == Prediction(
        "FAIL", ("S3_ENDPOINT_MISSING",), stopped=True
    )


def test_a_repeat_report_does_not_overwrite_the_first_prediction(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, high()))
    loop.deliverer.deliver(job_report())  # a later event about the same job: a repeat
    assert loop.records.prediction(TRAINING_ARN) == Prediction(
        "FAIL", ("S3_ENDPOINT_MISSING",), stopped=False
    )


def test_an_undelivered_report_leaves_no_record(loop: Loop) -> None:
    sns = loop.deliverer.channels[0].sns  # type: ignore[attr-defined]

    def refuse(**_: object) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "no"}}, "Publish")

    sns.meta.events.register("before-call.sns.Publish", refuse)
    with pytest.raises(ClientError):
        loop.deliverer.deliver(job_report(TRAINING_ARN, high()))
    assert loop.item(TRAINING_ARN) == {}
    assert loop.records.prediction(TRAINING_ARN) is None
    assert loop.records._predictions == {}  # nothing kept for a later confirm


def test_an_expired_record_predicts_nothing(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, high()))
    loop.session.client("dynamodb").update_item(
        TableName=loop.table,
        Key={"id": {"S": f"job#{TRAINING_ARN}"}},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    assert loop.records.prediction(TRAINING_ARN) is None  # TTL deletes lazily


def test_a_record_from_before_this_version_is_a_checked_job_with_no_prediction(
    loop: Loop,
) -> None:
    loop.session.client("dynamodb").put_item(
        TableName=loop.table,
        Item={
            "id": {"S": f"job#{TRAINING_ARN}"},
            "trigger": {"S": "event"},
            "expiration": {"N": str(int(time.time()) + 3600)},
        },
    )
    # Checked (its record is live), nothing known of what was said: never "event missed".
    assert loop.records.prediction(TRAINING_ARN) == Prediction(UNRECORDED, (), stopped=False)


def test_a_job_is_judged_once(loop: Loop) -> None:
    loop.deliverer.deliver(job_report())
    assert loop.records.judge_once(TRAINING_ARN, "consistent")
    assert not loop.records.judge_once(TRAINING_ARN, "consistent")
    assert loop.item(TRAINING_ARN)["verdict"] == {"S": "consistent"}
    assert not loop.records.judge_once(TRAINING_ARN.replace("demo", "other"), "missed")
