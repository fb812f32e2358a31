"""Near the Lambda deadline, nothing new starts and nothing hung is waited for: the report
names what could not be read as CHECK_ERROR TIMEOUT_BUDGET and is still produced."""

import threading
import time
from collections import Counter
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import load_event
from tests.integration.calls import counting_session


def _timeouts(report: dict[str, Any]) -> dict[str, list[str]]:
    return {
        f["evidence"]["api"]: f["evidence"]["reads"]
        for f in report["findings"]
        if f["checkId"] == "CHECK_ERROR" and f["evidence"]["errorCode"] == "TIMEOUT_BUDGET"
    }


def _check_good_job(world: World, session: Any, budget: Budget) -> dict[str, Any]:
    """The report on the world's good job, read through `session` within `budget`."""
    return handle_event(
        world.event(load_event("good_job")),
        Settings(),
        lambda r: AwsClients(r, session=session),
        budget,
        lock=LocalVpcLock(),
    )[0].to_dict()


def test_no_read_starts_when_the_budget_is_spent(aws: Any, world: World) -> None:
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    spent = Budget(lambda: 3.0, reserve=8.0)
    report = _check_good_job(world, session, spent)
    assert calls == Counter()
    assert report["outcome"] == "ERROR"
    assert "ec2:DescribeSubnets" in _timeouts(report)


def test_a_hung_read_is_not_waited_for_past_the_budget(aws: Any, world: World) -> None:
    release = threading.Event()
    session = counting_session(Counter())

    def hang(**_: Any) -> None:
        release.wait(timeout=30)  # released only after the engine returned: if it had
        # waited, the read would have succeeded and no TIMEOUT_BUDGET would be reported

    session.events.register("before-call.ec2.DescribeRouteTables", hang)
    # Room enough for the reads before it on a loaded 2-core runner (moto's first EC2 call
    # alone takes about a second); the hung read then runs into the deadline.
    deadline = time.monotonic() + 8.0
    budget = Budget(lambda: deadline - time.monotonic(), reserve=1.0)
    try:
        report = _check_good_job(world, session, budget)
    finally:
        release.set()
    timeouts = _timeouts(report)
    # (with the reads that depend on the tables: the NAT gateways and lists they route to)
    assert timeouts["ec2:DescribeRouteTables"] == [
        "route_tables",
        "route_prefix_lists",
        "nat_gateways",
    ]
    checks = report["summary"]["checks"]
    assert "S3_ENDPOINT_MISSING" in checks["errored"]
    assert "SG_EGRESS_S3_MISSING" in checks["passed"]  # what was read is still judged
