"""What the handler reads from an invocation before any check: the trigger, the ids it
logs and keys on, its own account and the sweep's region. Any input, never a crash."""

from __future__ import annotations

from typing import Any

import pytest

from ir_vpc_guard.intake import invocation
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from tests.conftest import load_event

SCHEDULE = {"source": "aws.events", "detail-type": "Scheduled Event", "id": "sched-1"}


def test_the_schedule_is_told_from_a_cloudtrail_record() -> None:
    assert invocation.is_schedule(SCHEDULE)
    assert not invocation.is_schedule(load_event("good_job"))
    assert not invocation.is_schedule({**SCHEDULE, "source": "aws.sagemaker"})
    assert not invocation.is_schedule(["aws.events", "Scheduled Event"])


def test_the_correlation_id_is_the_event_id_when_printable() -> None:
    event = load_event("good_job")
    assert invocation.correlation_id(event) == event["detail"]["eventID"]
    assert invocation.correlation_id(SCHEDULE) == "sched-1"
    odd = {**event, "detail": {**event["detail"], "eventID": "x" * 129}}
    assert invocation.correlation_id(odd) == event["id"]  # too long: the envelope's id
    assert invocation.correlation_id({"id": "tab\there"}) == "unknown"
    assert invocation.correlation_id("not an event") == "unknown"


@pytest.mark.parametrize(
    ("detail", "keyed"),
    [({"eventID": "e-1"}, True), ({"eventID": ""}, False), ({}, False), ("text", False)],
)
def test_an_event_is_keyed_only_on_a_present_event_id(detail: Any, keyed: bool) -> None:
    assert invocation.has_event_id({"detail": detail}) is keyed


def test_the_job_name_is_logged_only_when_it_is_a_name() -> None:
    event = load_event("good_job")
    assert invocation.job_name(event) == "demo-ir-job"
    event["detail"]["requestParameters"]["jobName"] = "not a name!"
    assert invocation.job_name(event) == "unknown"
    assert invocation.job_name(None) == "unknown"


def test_the_home_account_is_read_from_the_function_arn() -> None:
    assert invocation.home_account(FakeContext(account="210987654321")) == "210987654321"
    with pytest.raises(RuntimeError, match="invoked_function_arn"):
        invocation.home_account(object())


def test_the_sweep_covers_the_region_its_event_names_else_the_home_region() -> None:
    assert invocation.sweep_region({**SCHEDULE, "region": "eu-west-1"}, "us-east-1") == (
        "eu-west-1"
    )
    assert invocation.sweep_region({**SCHEDULE, "region": "Mars"}, "us-east-1") == "us-east-1"
    assert invocation.sweep_region(SCHEDULE, "us-east-1") == "us-east-1"
