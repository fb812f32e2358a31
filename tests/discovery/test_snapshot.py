"""The snapshot names its reads: asking it for anything else is an error, never a value."""

from __future__ import annotations

import pytest

from ir_vpc_guard.discovery.snapshot import Read, Snapshot
from ir_vpc_guard.intake.request import JobRequest

JOB = JobRequest(
    job_name="job",
    account="123456789012",
    region="us-east-1",
    event_id="event",
    subnets=("subnet-1",),
    security_groups=("sg-1",),
)


def test_a_read_is_found_by_its_name() -> None:
    snapshot = Snapshot(job=JOB, subnets=Read(value={"subnet-1": {"VpcId": "vpc-1"}}))
    assert snapshot.read("subnets").get() == {"subnet-1": {"VpcId": "vpc-1"}}
    assert snapshot.read("vpc").not_applicable == "not read"


def test_a_field_that_is_not_a_read_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'vpc_id' is not a read of the snapshot"):
        Snapshot(job=JOB, vpc_id="vpc-1").read("vpc_id")


def test_an_unknown_name_is_an_error() -> None:
    with pytest.raises(AttributeError):
        Snapshot(job=JOB).read("no_such_read")
