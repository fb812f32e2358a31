"""The outcome rule (template.yaml, `OutcomeRule`), run through EventBridge's matcher as moto
emulates it (its `test_event_pattern` is a stub: docs/moto.md, "EventBridge"): `put_rule` with
the template's pattern, an SQS target, `put_events` with each event; the queue says which ones
the rule delivered. Only terminal states reach the function; `ConfirmOutcomes=false`
removes the rule and its permission."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.conftest import EVENTS, load_event
from tests.template.cfn import Stack, transformed

STATE_CHANGES = sorted(p.stem for p in EVENTS.glob("state_change_*.json"))


def outcome_pattern() -> dict[str, Any]:
    rule = Stack(transformed()).resource("OutcomeRule")
    pattern: dict[str, Any] = rule["Properties"]["EventPattern"]
    return pattern


def delivered(events: dict[str, dict[str, Any]]) -> set[str]:
    """The names of `events` the rule delivers (call inside moto)."""
    bridge = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="outcomes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    bridge.put_rule(Name="outcomes", EventPattern=json.dumps(outcome_pattern()), State="ENABLED")
    bridge.put_targets(Rule="outcomes", Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}])
    for name, event in events.items():
        entry = {
            "Source": event["source"],
            "DetailType": event["detail-type"],
            "Detail": json.dumps(event["detail"]),
            "Resources": [name],  # tells the delivered copies apart
        }
        assert bridge.put_events(Entries=[entry])["FailedEntryCount"] == 0
    found: set[str] = set()
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            found.update(json.loads(message["Body"])["resources"])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return found


def _with_status(sample: str, member: str, status: str) -> dict[str, Any]:
    event = load_event(sample)
    event["detail"][member] = status
    return event


def test_terminal_states_of_every_source_reach_the_function(aws: Any) -> None:
    ended = {name: load_event(name) for name in STATE_CHANGES}
    ended["endpoint_in_service"] = _with_status(
        "state_change_endpoint_failed", "EndpointStatus", "InService"
    )
    assert delivered(ended) == set(ended)


def test_other_states_and_other_events_do_not(aws: Any) -> None:
    others = {
        "training_in_progress": _with_status(
            "state_change_training_failed", "TrainingJobStatus", "InProgress"
        ),
        "tuning_stopping": _with_status(
            "state_change_tuning_stopped", "HyperParameterTuningJobStatus", "Stopping"
        ),
        "endpoint_creating": _with_status(
            "state_change_endpoint_failed", "EndpointStatus", "Creating"
        ),
        "endpoint_status_on_a_training_event": _with_status(
            "state_change_training_failed", "EndpointStatus", "InService"
        )
        | {"detail-type": "SageMaker Model State Change"},
        "cloudtrail": load_event("training_job"),
    }
    assert delivered(others) == set()


def test_confirm_outcomes_false_removes_the_rule_and_its_permission() -> None:
    off = Stack(transformed(), {"ConfirmOutcomes": "false"})
    assert not off.exists("OutcomeRule") and not off.exists("OutcomeInvokePermission")
    on = Stack(transformed())
    permission = on.resource("OutcomeInvokePermission")["Properties"]
    assert (permission["SourceArn"], permission["Principal"]) == (
        "<OutcomeRule.Arn>",
        "events.amazonaws.com",
    )
    (target,) = on.resource("OutcomeRule")["Properties"]["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": "<DeadLetterQueue.Arn>"}
