"""The waves: every failure of a read becomes an error value naming the call and its code,
and near the deadline no read starts and none is waited for (TIMEOUT_BUDGET)."""

from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError

from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.discovery.snapshot import ReadError
from ir_vpc_guard.discovery.waves import (
    TIMEOUT_BUDGET,
    AwsReadError,
    Wave,
    done,
    guarded,
    waves,
)


def _raise(error: Exception) -> object:
    raise error


def test_a_read_that_succeeds_is_its_value() -> None:
    read = guarded("ec2:DescribeVpcs", lambda: {"VpcId": "vpc-1"})
    assert read.ok and read.get() == {"VpcId": "vpc-1"}


def test_an_aws_error_names_the_call_that_failed_and_its_code() -> None:
    # The read is named by its first call; the error by the call that failed.
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")
    read = guarded("iam:SimulatePrincipalPolicy", lambda: _raise(error))
    assert not read.ok and read.value is None
    assert read.error == ReadError(api="iam:GetRole", code="AccessDenied", message="no")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AwsReadError("InvalidVpcID.NotFound", "VPC vpc-1 not found"), "InvalidVpcID.NotFound"),
        (NotImplementedError("moto has no such call"), "NotImplemented"),
        (ConnectTimeoutError(endpoint_url="https://ec2"), "ConnectTimeoutError"),
        (KeyError("Vpcs"), "KeyError"),
    ],
)
def test_any_other_failure_is_an_error_value_never_raised(error: Exception, code: str) -> None:
    read = guarded("ec2:DescribeVpcs", lambda: _raise(error))
    assert read.error is not None and not read.ok
    assert (read.error.api, read.error.code) == ("ec2:DescribeVpcs", code)


def test_a_known_read_is_a_done_future() -> None:
    future = done(guarded("ec2:DescribeVpcs", lambda: 1))
    assert future.done() and future.result().get() == 1


def test_reads_of_a_wave_run_at_once() -> None:
    # Two reads that each wait for the other: they finish only if both run concurrently.
    both = threading.Barrier(2, timeout=5)

    def meet(name: str) -> str:
        both.wait()
        return name

    with waves(UNLIMITED, 2, "test") as wave:
        first = wave.submit("ec2:DescribeSubnets", lambda: meet("subnets"))
        second = wave.submit("ec2:DescribeSecurityGroups", lambda: meet("groups"))
        assert (wave.result(first).get(), wave.result(second).get()) == ("subnets", "groups")


def test_near_the_deadline_no_read_starts() -> None:
    started: list[str] = []
    spent = Budget(remaining=lambda: 5.0, reserve=8.0)
    with waves(spent, 2, "test") as wave:
        future = wave.submit("ec2:DescribeVpcs", lambda: started.append("read"))
        read = wave.result(future)
    assert started == []
    assert read.error is not None
    assert (read.error.api, read.error.code) == ("ec2:DescribeVpcs", TIMEOUT_BUDGET)
    assert "not started" in read.error.message


def test_a_read_still_running_at_the_deadline_is_not_waited_for() -> None:
    release = threading.Event()
    # 50 ms left to wait: the read hangs longer than that.
    short = Budget(remaining=lambda: 8.05, reserve=8.0)
    try:
        with waves(short, 2, "test") as wave:
            future = wave.submit("ec2:DescribeRouteTables", lambda: release.wait(5))
            read = wave.result(future)
        assert read.error is not None
        assert (read.error.api, read.error.code) == ("ec2:DescribeRouteTables", TIMEOUT_BUDGET)
        assert "did not finish in time" in read.error.message
    finally:
        release.set()


def test_without_a_deadline_a_wave_waits_for_every_read() -> None:
    def slow() -> str:
        time.sleep(0.05)
        return "read"

    with waves(UNLIMITED, 1, "test") as wave:
        assert isinstance(wave, Wave)
        assert wave.result(wave.submit("ec2:DescribeVpcs", slow)).get() == "read"
