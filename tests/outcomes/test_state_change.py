"""SageMaker's state-change events as EventBridge delivers them (PascalCase detail): each
source's end is read; anything else is skipped with a reason, never a crash."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ir_vpc_guard.intake.invocation import STATE_CHANGE_DETAIL_TYPES, is_state_change
from ir_vpc_guard.outcomes.state_change import KINDS, Ended, Skip, parse
from ir_vpc_guard.outcomes.verdict import Ending
from tests.conftest import load_event

SAMPLES = {
    "state_change_training_failed": ("training", "demo-training-job", Ending.FAILED, True),
    "state_change_training_completed": ("training", "demo-training-job", Ending.COMPLETED, True),
    "state_change_processing_failed": ("processing", "demo-processing-job", Ending.FAILED, True),
    "state_change_transform_completed": (
        "transform",
        "demo-transform-job",
        Ending.COMPLETED,
        None,
    ),
    "state_change_tuning_stopped": ("tuning", "demo-tuning-job", Ending.STOPPED, None),
    "state_change_endpoint_failed": ("endpoint", "demo-endpoint", Ending.FAILED, None),
}


@pytest.mark.parametrize(("sample", "expected"), sorted(SAMPLES.items()))
def test_each_source_of_outcomes_is_read(sample: str, expected: tuple[Any, ...]) -> None:
    ended = parse(load_event(sample))
    assert isinstance(ended, Ended)
    assert (ended.workload, ended.job_name, ended.ending, ended.in_vpc) == expected
    assert ended.job_arn.endswith(f"/{ended.job_name}")
    assert (ended.account, ended.region) == ("123456789012", "us-east-1")


def test_the_failure_reason_is_kept_for_a_failed_job() -> None:
    ended = parse(load_event("state_change_training_failed"))
    assert isinstance(ended, Ended)
    assert ended.failure_reason is not None
    assert ended.failure_reason.startswith("ClientError: Artifact upload failed")


def test_an_endpoint_in_service_has_completed() -> None:
    event = load_event("state_change_endpoint_failed")
    event["detail"]["EndpointStatus"] = "InService"
    del event["detail"]["FailureReason"]
    ended = parse(event)
    assert isinstance(ended, Ended) and ended.ending is Ending.COMPLETED
    assert ended.failure_reason is None


@pytest.mark.parametrize(
    ("sample", "member", "status"),
    [
        ("state_change_training_failed", "TrainingJobStatus", "InProgress"),
        ("state_change_training_failed", "TrainingJobStatus", "Stopping"),
        ("state_change_tuning_stopped", "HyperParameterTuningJobStatus", "Stopping"),
        ("state_change_endpoint_failed", "EndpointStatus", "Creating"),
        ("state_change_endpoint_failed", "EndpointStatus", "Updating"),
        ("state_change_endpoint_failed", "EndpointStatus", "Deleting"),
    ],
)
def test_a_state_that_is_not_an_end_is_skipped(sample: str, member: str, status: str) -> None:
    event = load_event(sample)
    event["detail"][member] = status
    skipped = parse(event)
    assert isinstance(skipped, Skip)
    assert skipped.reason == f"{member} '{status}' is not an end"


def _broken(change: Any) -> dict[str, Any]:
    event = copy.deepcopy(load_event("state_change_training_failed"))
    change(event)
    return event


MALFORMED = {
    "no detail": lambda e: e.pop("detail"),
    "detail not an object": lambda e: e.update(detail=["x"]),
    "bad account": lambda e: e.update(account="12345"),
    "bad region": lambda e: e.update(region="mars-1"),
    "no id": lambda e: e.pop("id"),
    "status missing": lambda e: e["detail"].pop("TrainingJobStatus"),
    "status not text": lambda e: e["detail"].update(TrainingJobStatus=["Failed"]),
    "name missing": lambda e: e["detail"].pop("TrainingJobName"),
    "name too long": lambda e: e["detail"].update(TrainingJobName="a" * 64),
    "name with a slash": lambda e: e["detail"].update(TrainingJobName="a/b"),
    "arn of another account": lambda e: e["detail"].update(
        TrainingJobArn="arn:aws:sagemaker:us-east-1:210987654321:training-job/demo-training-job"
    ),
    "arn of another kind": lambda e: e["detail"].update(
        TrainingJobArn="arn:aws:sagemaker:us-east-1:123456789012:processing-job/demo-training-job"
    ),
    "arn of another job": lambda e: e["detail"].update(
        TrainingJobArn="arn:aws:sagemaker:us-east-1:123456789012:training-job/other-job"
    ),
    "arn not text": lambda e: e["detail"].update(TrainingJobArn=7),
    "failure reason not text": lambda e: e["detail"].update(FailureReason={"a": 1}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_event_is_skipped_with_a_reason(case: str) -> None:
    skipped = parse(_broken(MALFORMED[case]))
    assert isinstance(skipped, Skip) and skipped.reason


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "text",
        {"source": "aws.sagemaker", "detail-type": "AWS API Call via CloudTrail"},
        {"source": "aws.events", "detail-type": "Scheduled Event"},
        {"source": "aws.sagemaker", "detail-type": "SageMaker Model State Change"},
    ],
)
def test_other_events_are_not_state_changes(event: Any) -> None:
    assert not is_state_change(event)
    assert isinstance(parse(event), Skip)


def test_the_dispatch_routes_exactly_the_detail_types_parse_reads() -> None:
    """The handler routes by intake/invocation.py's list (the event path's import stays off
    the outcome package): it must name every kind parse reads, and only those."""
    assert set(KINDS) == STATE_CHANGE_DETAIL_TYPES


def test_a_long_failure_reason_is_bounded() -> None:
    event = load_event("state_change_training_failed")
    event["detail"]["FailureReason"] = "x" * 5000
    ended = parse(event)
    assert isinstance(ended, Ended) and ended.failure_reason == "x" * 1024


def test_sagemaker_lowers_the_name_in_the_arn() -> None:
    event = load_event("state_change_training_failed")
    event["detail"]["TrainingJobName"] = "Demo-Training-Job"
    assert isinstance(parse(event), Ended)


def test_a_training_event_without_vpc_config_does_not_say_whether_it_used_one() -> None:
    event = load_event("state_change_training_failed")
    del event["detail"]["VpcConfig"]
    ended = parse(event)
    assert isinstance(ended, Ended) and ended.in_vpc is None
    event["detail"]["VpcConfig"] = {"Subnets": [], "SecurityGroupIds": []}
    ended = parse(event)
    assert isinstance(ended, Ended) and ended.in_vpc is False
