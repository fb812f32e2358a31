"""The rule's event pattern, run through EventBridge's matcher as moto emulates it.

moto's `test_event_pattern` is a stub that answers `{}` for any pattern (docs/moto.md,
"EventBridge"), so the pattern is tested end to end: `put_rule` with the template's pattern,
an SQS target, `put_events` with each sample event, and the queue says which ones the rule
matched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ir_vpc_guard.intake.workloads import WORKLOADS
from tests.conftest import EVENTS, load_event
from tests.template.cfn import Stack, load, transformed

# The rule matches every successful call of a covered workload; jobs without a VPC config or
# with invalid IDs, and workloads the Workloads parameter leaves out, are the handler's to
# skip, with a reason.
TRAINING = ("training_job", "training_job_too_large")
HOSTING = (
    "model",
    "model_broken",
    "endpoint",
    "endpoint_broken",
    "update_endpoint",
    "transform_job",
    "transform_job_broken",
)
PROCESSING = ("processing_job", "processing_job_broken")
TUNING = ("tuning_job", "tuning_job_broken")
MATCHING = (
    "good_job",
    "good_job_pascal_case",
    "advanced_job",
    "no_vpc_config",
    "invalid_ids",
    *TRAINING,
    *HOSTING,
    *PROCESSING,
    *TUNING,
)
# SageMaker's own state-change events go to the outcome rule (ConfirmOutcomes), not this one.
STATE_CHANGES = tuple(p.stem for p in sorted(EVENTS.glob("state_change_*.json")))
# A training job SageMaker creates for a tuning job is a service event, not an API call
# (docs/event.md, "Jobs SageMaker creates for a parent").
NOT_MATCHING = ("failed_call", "unrelated_event", "training_job_child", *STATE_CHANGES)


def pattern() -> dict[str, Any]:
    rule = Stack(transformed()).resource("GuardrailFunctionCreateJob")
    event_pattern: dict[str, Any] = rule["Properties"]["EventPattern"]
    return event_pattern


def test_every_sample_event_is_classified() -> None:
    assert sorted(MATCHING + NOT_MATCHING) == sorted(p.stem for p in EVENTS.glob("*.json"))


def test_pattern_is_the_agreed_one() -> None:
    assert pattern() == {
        "source": ["aws.sagemaker"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["sagemaker.amazonaws.com"],
            "eventName": [
                "CreateInferenceRecommendationsJob",
                "CreateEndpoint",
                "UpdateEndpoint",
                "CreateModel",
                "CreateProcessingJob",
                "CreateTrainingJob",
                "CreateTransformJob",
                "CreateHyperParameterTuningJob",
            ],
            "errorCode": [{"exists": False}],
        },
    }


def test_the_rule_matches_exactly_the_registered_workloads_events() -> None:
    registered = [name for w in WORKLOADS.values() for name in w.event_names]
    assert sorted(pattern()["detail"]["eventName"]) == sorted(registered)


def test_every_workload_has_a_matching_sample_event() -> None:
    sampled = {load_event(name)["detail"]["eventName"] for name in MATCHING}
    assert sampled >= {name for w in WORKLOADS.values() for name in w.event_names}


def test_the_workloads_parameter_allows_exactly_the_registered_names() -> None:
    allowed = re.compile(load()["Parameters"]["Workloads"]["AllowedPattern"])
    names = list(WORKLOADS)
    assert allowed.fullmatch("") and allowed.fullmatch(",".join(names))
    assert all(allowed.fullmatch(name) for name in names)
    assert not allowed.fullmatch(",".join([*names, "labeling"]))
    assert not allowed.fullmatch(f"{names[0]}, {names[-1]}")


@pytest.fixture(scope="module")
def matched() -> Iterator[set[str]]:
    """The sample events the template's rule delivers, by name (one emulated account)."""
    # Module scope runs before the function-scoped credentials fixture: set them here too.
    with pytest.MonkeyPatch.context() as env, mock_aws():
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="matched")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        events.put_rule(Name="ir-create", EventPattern=json.dumps(pattern()), State="ENABLED")
        events.put_targets(
            Rule="ir-create",
            Targets=[{"Id": "q", "Arn": queue_arn["Attributes"]["QueueArn"]}],
        )
        for name in MATCHING + NOT_MATCHING:
            event = load_event(name)
            answer = events.put_events(
                Entries=[
                    {
                        "Source": event["source"],
                        "DetailType": event["detail-type"],
                        "Detail": json.dumps(event["detail"]),
                        "Resources": [name],  # tells the delivered copies apart
                    }
                ]
            )
            assert answer["FailedEntryCount"] == 0
        delivered: set[str] = set()
        while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                delivered.update(json.loads(message["Body"])["resources"])
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        yield delivered


@pytest.mark.parametrize("name", MATCHING)
def test_rule_matches_successful_create_calls(matched: set[str], name: str) -> None:
    assert name in matched


@pytest.mark.parametrize("name", NOT_MATCHING)
def test_rule_ignores_failed_calls_and_other_events(matched: set[str], name: str) -> None:
    assert name not in matched


def narrowed(workloads: str) -> tuple[list[str], Stack]:
    """The call rule's event names and the stack, for a Workloads value."""
    stack = Stack(transformed(), {"Workloads": workloads})
    rule = stack.resource("GuardrailFunctionCreateJob")
    names: list[str] = rule["Properties"]["EventPattern"]["detail"]["eventName"]
    return names, stack


@pytest.mark.parametrize("chosen", [["training"], ["tuning", "endpoint"], list(WORKLOADS)])
def test_the_rule_matches_only_the_workloads_left_in(chosen: list[str]) -> None:
    # A workload left out never invokes the function: its calls do not match at all.
    names, stack = narrowed(",".join(chosen))
    assert sorted(names) == sorted(n for w in chosen for n in WORKLOADS[w].event_names)
    outcome_rule = stack.resource("OutcomeRule")
    sent = outcome_rule["Properties"]["EventPattern"]["detail-type"]
    emitting = {"training", "processing", "transform", "tuning", "endpoint"}
    assert len(sent) == len(set(chosen) & emitting)


def test_no_outcome_rule_when_no_workload_left_in_sends_state_changes() -> None:
    # Inference Recommender sends none (its ends come from the sweep's Describe).
    _, stack = narrowed("inference-recommender")
    assert not stack.exists("OutcomeRule") and not stack.exists("OutcomeInvokePermission")
