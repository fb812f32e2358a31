"""Every write remediation makes, failed four ways: that action FAILED with the AWS error
code, the others still run, the outcome is PARTIAL and the report is whole."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.application import vpc_lock
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.findings import Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import counting_session
from tests.reliability.faults import access_denied, server_error, throttle, timeout
from tests.reliability.test_concurrency import TABLE, make_table
from tests.report_schema import validate_report

APPLY = Settings(remediation_mode=Mode.APPLY, idempotency_table=TABLE)
# The write each action makes, and the action a failure of that call must fail.
WRITES = {
    "ec2.CreateVpcEndpoint": {"create-s3-gateway-endpoint"},
    "ec2.AuthorizeSecurityGroupEgress": {"add-s3-egress-rule", "add-subnet-egress-rules"},
}


SENDS: list[int] = []  # attempts the throttling hook answered, for the bounded-retry check


def exhausted_throttling(operation: str) -> Callable[..., Any]:
    """EC2's RequestLimitExceeded on every attempt: retried, then given up."""
    SENDS.clear()
    return throttle("ec2", 99, SENDS)


FAULTS: dict[str, tuple[Callable[[str], Callable[..., Any]], str, str]] = {
    "AccessDenied": (access_denied, "before-call", "AccessDenied"),
    "500": (server_error, "before-call", "InternalError"),
    "timeout": (timeout, "before-call", "ConnectTimeoutError"),
    "throttling": (exhausted_throttling, "before-send", "RequestLimitExceeded"),
}


pytestmark = pytest.mark.usefixtures("no_retry_sleep")


@pytest.fixture
def broken(aws: Any) -> World:
    make_table(aws)
    return build_world(aws, REGION, with_endpoint=False, group_egress="proxy-https-only")


def fixes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The remediation actions (a report may also have `stop-job`: see test_stop.py)."""
    return [a for a in report.get("actions", []) if a["action"] != "stop-job"]


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_write_fails_its_action_only(broken: World, write: str, fault: str) -> None:
    service, operation = write.split(".")
    make_hook, hook_kind, code = FAULTS[fault]
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    # register_first: ahead of moto's own before-send handler, as AWS's answer would be.
    session.events.register_first(f"{hook_kind}.{service}.{operation}", make_hook(operation))
    report = handle_event(
        broken.event(load_event("good_job")),
        APPLY,
        lambda r: AwsClients(r, session=session),
        lock=vpc_lock(APPLY, AwsClients(REGION, session=session)),
    )[0].to_dict()
    validate_report(report)

    status = {a["action"]: (a["status"], a.get("errorCode")) for a in fixes(report)}
    if fault == "throttling":
        # Retried within the bounded budget (4 attempts a call), never forever. moto still
        # applies a request whose answer the hook replaced (seen here), as AWS may after a
        # lost answer: the re-read finds the change, so the action is APPLIED, with a note.
        assert len(SENDS) == 4 * calls[write]
        assert report["outcome"] == "REMEDIATED"
        for action in fixes(report):
            if action["action"] in WRITES[write]:
                assert action["details"]["answeredWith"] == code
                assert "re-read shows the change in place" in action["reason"]
        return
    for action, (state, error_code) in status.items():
        if action in WRITES[write]:
            assert (state, error_code) == ("FAILED", code), action
        else:
            assert (state, error_code) == ("APPLIED", None), action
    failed_checks = {a["checkId"] for a in fixes(report) if a["status"] == "FAILED"}
    assert report["outcome"] == "PARTIAL"
    assert {f["checkId"] for f in report["findings"]} == failed_checks
    assert all(f["remediation"]["status"] == "FAILED" for f in report["findings"])


@pytest.mark.parametrize("fault", ["AccessDenied", "500", "timeout"])
def test_a_failed_vpc_lock_writes_nothing(aws: Any, broken: World, fault: str) -> None:
    make_hook, _, code = FAULTS[fault]
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    session.events.register("before-call.dynamodb.PutItem", make_hook("PutItem"))
    report = handle_event(
        broken.event(load_event("good_job")),
        APPLY,
        lambda r: AwsClients(r, session=session),
        lock=vpc_lock(APPLY, AwsClients(REGION, session=session)),
    )[0].to_dict()
    assert report["outcome"] == "FAIL"  # nothing was changed
    assert {(a["status"], a["errorCode"]) for a in fixes(report)} == {("FAILED", code)}
    assert not [c for c in calls if c.startswith(("ec2.Create", "ec2.Authorize", "ec2.Modify"))]
    assert aws.client("ec2").describe_vpc_endpoints()["VpcEndpoints"] == []


@pytest.mark.parametrize("fault", ["AccessDenied", "500", "timeout"])
def test_a_failed_lock_release_does_not_undo_the_report(broken: World, fault: str) -> None:
    """The writes are done; the lease lapses by itself (LEASE_SECONDS), so say APPLIED."""
    make_hook, _, _ = FAULTS[fault]
    session = counting_session(Counter())
    session.events.register("before-call.dynamodb.DeleteItem", make_hook("DeleteItem"))
    report = handle_event(
        broken.event(load_event("good_job")),
        APPLY,
        lambda r: AwsClients(r, session=session),
        lock=vpc_lock(APPLY, AwsClients(REGION, session=session)),
    )[0].to_dict()
    assert report["outcome"] == "REMEDIATED"
    assert {a["status"] for a in fixes(report)} == {"APPLIED"}


def test_a_re_check_that_cannot_read_is_not_called_remediated(broken: World) -> None:
    """The writes landed but the re-verify read failed: nothing proves the fix, so PARTIAL."""
    session = counting_session(Counter())
    seen: list[int] = []

    def third_fails(**_: Any) -> None:
        seen.append(1)
        if len(seen) == 3:  # discovery, the executor's re-read, then the re-verify
            raise ClientError({"Error": {"Code": "RequestLimitExceeded", "Message": "x"}}, "X")

    session.events.register("before-call.ec2.DescribeVpcEndpoints", third_fails)
    report = handle_event(
        broken.event(load_event("good_job")),
        APPLY,
        lambda r: AwsClients(r, session=session),
        lock=vpc_lock(APPLY, AwsClients(REGION, session=session)),
    )[0].to_dict()
    assert report["outcome"] == "PARTIAL"
    assert {a["status"] for a in fixes(report)} == {"APPLIED"}
    [error] = [f for f in report["findings"] if f["checkId"] == "CHECK_ERROR"]
    assert error["evidence"]["errorCode"] == "RequestLimitExceeded"
