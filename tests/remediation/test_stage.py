"""The remediation stage against moto: gates first, writes only under the VPC's lock, then
the re-read and the re-check decide what the report says."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Mode, Mute, RemediationStatus
from ir_vpc_guard.intake.event import parse_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.remediation.stage import Remediated, remediate
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import counting_session
from tests.world_reads import live_endpoints

APPLY = Settings(remediation_mode=Mode.APPLY)
WRITES = ("ec2.CreateVpcEndpoint", "ec2.ModifyVpcEndpoint", "ec2.AuthorizeSecurityGroupEgress")


class RecordingLock:
    """The process-local lock, recording which VPCs it held and whether it is held now."""

    def __init__(self) -> None:
        self.lock = LocalVpcLock()
        self.held: list[str] = []
        self.holding = False

    @contextmanager
    def hold(self, vpc_id: str, wait_seconds: float) -> Iterator[None]:
        with self.lock.hold(vpc_id, wait_seconds):
            self.held.append(vpc_id)
            self.holding = True
            try:
                yield
            finally:
                self.holding = False


@pytest.fixture
def broken(aws: Any) -> World:
    """No S3 endpoint; the group only allows HTTPS to 10.0.0.0/8 (not S3, not all TCP)."""
    return build_world(aws, REGION, with_endpoint=False, group_egress="proxy-https-only")


def discovered(world: World) -> Snapshot:
    job = parse_event(world.event(load_event("good_job")))
    assert isinstance(job, JobRequest)
    return Discovery(AwsClients(REGION, session=counting_session(Counter()))).discover(job)


def run_stage(
    snapshot: Snapshot,
    settings: Settings = APPLY,
    lock: Any = None,
    calls: Counter[str] | None = None,
    *,
    budget: Budget = UNLIMITED,
    hooks: dict[str, Callable[..., Any]] | None = None,
) -> Remediated:
    session = counting_session(Counter() if calls is None else calls)
    for event, hook in (hooks or {}).items():
        session.events.register_first(event, hook)
    return remediate(
        snapshot,
        run_checks(snapshot),
        settings=settings,
        clients=AwsClients(REGION, session=session),
        lock=lock or RecordingLock(),
        budget=budget,
    )


def statuses(done: Remediated) -> set[RemediationStatus]:
    return {a.status for a in done.actions}


def test_report_mode_plans_and_never_takes_the_lock(aws: Any, broken: World) -> None:
    lock, calls = RecordingLock(), Counter[str]()
    snapshot = discovered(broken)
    done = run_stage(snapshot, Settings(), lock, calls)
    assert statuses(done) == {RemediationStatus.PLANNED}
    assert lock.held == [] and not calls, "nothing read, locked or written"
    assert not done.changed and done.snapshot is snapshot
    remediations = {f.check_id: f.remediation for f in done.run.findings}
    assert remediations["S3_ENDPOINT_MISSING"].status is RemediationStatus.PLANNED  # type: ignore[union-attr]


def test_what_the_gates_refuse_never_reaches_aws(aws: Any, broken: World) -> None:
    aws.client("ec2").create_tags(
        Resources=[broken.vpc_id], Tags=[{"Key": "ir-vpc-guard:remediate", "Value": "false"}]
    )
    lock, calls = RecordingLock(), Counter[str]()
    done = run_stage(discovered(broken), APPLY, lock, calls)
    assert statuses(done) == {RemediationStatus.SKIPPED}
    assert lock.held == [] and not calls


def test_apply_writes_under_the_vpcs_lock_then_rechecks(aws: Any, broken: World) -> None:
    lock = RecordingLock()
    locked_writes: list[bool] = []
    snapshot = discovered(broken)

    def record(**_: Any) -> None:
        locked_writes.append(lock.holding)

    hooks = {f"before-call.{w}": record for w in WRITES}
    done = run_stage(snapshot, APPLY, lock, hooks=hooks)
    assert lock.held == [broken.vpc_id] and not lock.holding
    assert locked_writes == [True, True, True]  # the endpoint and the two rules
    assert statuses(done) == {RemediationStatus.APPLIED} and done.changed
    assert done.snapshot is not snapshot, "the report describes the state after the change"
    remaining = {f.check_id for f in done.run.findings}
    assert not remaining & {"S3_ENDPOINT_MISSING", "SG_EGRESS_S3_MISSING"}
    assert len(live_endpoints(aws, broken)) == 1


def test_a_vpc_locked_elsewhere_fails_the_approved_actions_and_writes_nothing(
    aws: Any, broken: World
) -> None:
    snapshot = discovered(broken)
    lock, calls = LocalVpcLock(), Counter[str]()
    taken, release = threading.Event(), threading.Event()

    def other_invocation() -> None:
        with lock.hold(broken.vpc_id, 1.0):
            taken.set()
            release.wait(10)

    other = threading.Thread(target=other_invocation)
    other.start()
    taken.wait(5)
    try:
        near_the_end = Budget(remaining=lambda: 10.2, reserve=10.0)  # waits 0.2 s at most
        done = run_stage(snapshot, APPLY, lock, calls, budget=near_the_end)
    finally:
        release.set()
        other.join()
    assert {(a.status, a.error_code) for a in done.actions} == {
        (RemediationStatus.FAILED, "VpcLockTimeout")
    }
    assert not [c for c in calls if c in WRITES] and live_endpoints(aws, broken) == []
    assert done.snapshot is snapshot and not done.changed


def test_a_write_whose_answer_was_lost_is_applied_by_the_recheck(aws: Any, broken: World) -> None:
    """AWS made the endpoint but the answer never came: the re-read is the truth."""

    def lost(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "lost"}}, "Create")

    done = run_stage(discovered(broken), hooks={"after-call.ec2.CreateVpcEndpoint": lost})
    [endpoint] = [a for a in done.actions if a.name == "create-s3-gateway-endpoint"]
    assert endpoint.status is RemediationStatus.APPLIED
    assert endpoint.details["answeredWith"] == "InternalError"
    assert "the re-read shows the change in place" in endpoint.reason


def test_a_muted_finding_is_never_fixed(aws: Any, broken: World) -> None:
    snapshot = discovered(broken)
    run = run_checks(snapshot)
    muted = [
        replace(f, muted=Mute("kept on purpose", "2099-01-01"))
        if f.check_id == "S3_ENDPOINT_MISSING"
        else f
        for f in run.findings
    ]
    done = remediate(
        snapshot,
        replace(run, findings=muted),
        settings=APPLY,
        clients=AwsClients(REGION, session=counting_session(Counter())),
        lock=RecordingLock(),
    )
    assert "create-s3-gateway-endpoint" not in {a.name for a in done.actions}
    assert live_endpoints(aws, broken) == []
