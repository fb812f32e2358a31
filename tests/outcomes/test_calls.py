"""Calls per ended job, as outcomes/compare.py states them: one GetItem for the prediction,
one UpdateItem for the verdict (once), one Publish only for a miss or a false alarm, and for
a false alarm one UpdateItem per check it is about (the memory). Counted on the clients'
botocore events (exact counts: no timing)."""

from __future__ import annotations

from typing import Any

from tests.conftest import load_event
from tests.outcomes.conftest import TRAINING_ARN, Loop, high, job_report


def counted(loop: Loop) -> list[str]:
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    loop.records.dynamodb.meta.events.register("before-call.dynamodb", record)
    sns = loop.deliverer.channels[0].sns  # type: ignore[attr-defined]
    sns.meta.events.register("before-call.sns", record)
    return calls


def test_a_confirmed_end_costs_one_read_and_one_write(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, high()))
    calls = counted(loop)
    ended = load_event("state_change_training_failed")
    assert loop.outcomes.on_event(ended)["verdict"] == "confirmed"
    assert calls == ["GetItem", "UpdateItem"]
    calls.clear()
    assert loop.outcomes.on_event(ended)["repeat"] is True  # SageMaker sent it twice
    assert calls == ["GetItem", "UpdateItem"]  # the conditional write refused: no publish


def test_a_false_alarm_adds_its_publish_and_one_write_per_check(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, high()))
    calls = counted(loop)
    ended = load_event("state_change_training_completed")
    assert loop.outcomes.on_event(ended)["verdict"] == "false-alarm"
    # The prediction, the verdict, the report, then the memory of its one check.
    assert calls == ["GetItem", "UpdateItem", "Publish", "UpdateItem"]


def test_an_end_not_compared_costs_nothing(loop: Loop) -> None:
    calls = counted(loop)
    event = load_event("state_change_training_failed")
    event["detail"]["TrainingJobStatus"] = "InProgress"
    assert "skipped" in loop.outcomes.on_event(event)
    assert calls == []


def test_an_inconclusive_verdict_is_one_series_not_one_per_check(loop: Loop) -> None:
    # A HIGH job that failed for a reason not the network's: counted once by verdict; per
    # check series are for confirmed, missed and false alarms only (each is billed).
    loop.deliverer.deliver(job_report(TRAINING_ARN, high()))
    event = load_event("state_change_training_failed")
    event["detail"]["FailureReason"] = "CapacityError: Unable to provision requested ML compute"
    assert loop.outcomes.on_event(event)["verdict"] == "inconclusive"
    assert loop.verdict_metrics() == [{"service": "ir-vpc-guard", "Verdict": "inconclusive"}]
