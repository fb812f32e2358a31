"""The remediation stage: plan, gate, apply under the VPC's lock, re-read, re-check."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.checks import CheckRun, run_checks
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Finding, RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fixes import FIX_UNITS
from ir_vpc_guard.remediation.gates import gate
from ir_vpc_guard.remediation.planner import plan, uncertain
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LOCK_TIMEOUT, LockTimeoutError, VpcLock

LOCK_WAIT_SECONDS = 30.0
ATTEMPTED = {RemediationStatus.APPLIED, RemediationStatus.FAILED}


@dataclass(frozen=True, eq=False, repr=False)
class Remediated:
    """The actions and the state after them (the state before when nothing was written)."""

    actions: list[Action]
    snapshot: Snapshot
    run: CheckRun

    @property
    def changed(self) -> bool:
        """Something was written (and confirmed by the re-read)."""
        return any(a.status is RemediationStatus.APPLIED for a in self.actions)


def remediate(
    snapshot: Snapshot,
    run: CheckRun,
    *,
    settings: Settings,
    clients: AwsClients,
    lock: VpcLock,
    budget: Budget = UNLIMITED,
    verify: Callable[[Snapshot], CheckRun] = run_checks,
) -> Remediated:
    """`verify` re-runs the checks on the state after the writes (with the same layers over
    them, the mute list's included, as the first run). Muted findings are never fixed."""
    live = [f for f in run.findings if f.muted is None]
    actions = gate(plan(snapshot, live), snapshot, settings)
    if any(a.approved for a in actions) and snapshot.vpc_id is not None:
        actions, after = _apply(actions, snapshot, clients, lock, budget)
        if after is not snapshot:
            snapshot, run = after, verify(after)
            actions = _reconciled(actions, run)
    return Remediated(actions, snapshot, _annotated(run, actions))


def _apply(
    actions: list[Action],
    snapshot: Snapshot,
    clients: AwsClients,
    lock: VpcLock,
    budget: Budget,
) -> tuple[list[Action], Snapshot]:
    """Apply under the VPC's lock (when a fix's target asks for it); the re-read starts as
    the lock is released (one wave).

    Whatever was attempted is re-read, even a write that answered with an error: its
    answer may have been lost after AWS made the change.
    """
    # Imported with the first approved fix: a report-only deployment never loads it.
    from ir_vpc_guard.remediation.executor import Executor  # noqa: PLC0415

    limit = budget.wait_limit()
    if not budget.may_start():
        return _settle_approved(actions, RemediationStatus.SKIPPED, "deadline near"), snapshot
    wait = LOCK_WAIT_SECONDS if limit is None else min(LOCK_WAIT_SECONDS, limit)
    holding = ExitStack()
    locked = any(FIX_UNITS[a.name].writes.locked for a in actions if a.approved)
    try:
        if locked:
            holding.enter_context(lock.hold(str(snapshot.vpc_id), wait))
    except LockTimeoutError as error:
        return _fail_approved(actions, str(error), LOCK_TIMEOUT), snapshot
    except ClientError as error:  # the lock table itself could not be written
        code = str(error.response.get("Error", {}).get("Code", "Unknown"))
        return _fail_approved(actions, f"the VPC lock failed: {error}", code), snapshot
    except BotoCoreError as error:
        reason = f"the VPC lock failed: {error}"
        return _fail_approved(actions, reason, type(error).__name__), snapshot
    discovery = Discovery(clients, budget)
    with ThreadPoolExecutor(1, thread_name_prefix="reverify") as pool, holding:
        settled = Executor(clients, snapshot, budget).apply(actions)
        attempted = any(a.status in ATTEMPTED for a in settled)
        reread = pool.submit(discovery.refresh_after_remediation, snapshot) if attempted else None
    return settled, reread.result() if reread else snapshot


def _reconciled(actions: list[Action], run: CheckRun) -> list[Action]:
    """A write that answered with an error but whose finding is gone did land (its answer
    was lost): the re-read is the truth, so it is APPLIED, with the error kept as a note."""
    evaluated = set(run.passed) | {f.check_id for f in run.findings}
    remaining = {f.check_id for f in run.findings}
    return [
        a.settle(
            RemediationStatus.APPLIED,
            f"the call answered {a.error_code}, but the re-read shows the change in place",
            answeredWith=a.error_code,
        )
        if a.status is RemediationStatus.FAILED
        and a.check_id in evaluated
        and a.check_id not in remaining
        else a
        for a in actions
    ]


def _settle_approved(actions: list[Action], status: RemediationStatus, reason: str) -> list[Action]:
    return [a.settle(status, reason) if a.approved else a for a in actions]


def _fail_approved(actions: list[Action], reason: str, code: str) -> list[Action]:
    return [a.settle(RemediationStatus.FAILED, reason, code) if a.approved else a for a in actions]


def _annotated(run: CheckRun, actions: list[Action]) -> CheckRun:
    """Each remaining finding's remediation says what became of its action."""
    by_check: dict[str, Action] = {}
    for action in actions:  # a check's first action is its fix; later ones are left-alone parts
        by_check.setdefault(action.check_id, action)
    findings = [_with_action(f, by_check.get(f.check_id)) for f in run.findings]
    return replace(run, findings=findings)


def _with_action(finding: Finding, action: Action | None) -> Finding:
    """An uncertain finding is never fixed, whatever its check's certain sibling got (one
    check may yield a HIGH and a MEDIUM finding: the subnets no rule reaches, and those
    some rule does)."""
    remediation = finding.remediation
    if remediation is None or remediation.action not in FIX_UNITS:
        return finding
    fix = remediation.reason
    skipped = uncertain(finding)
    if skipped:
        reason = f"{skipped}: nothing is changed for it. To fix by hand: {fix}"
        status = RemediationStatus.SKIPPED
        return replace(finding, remediation=replace(remediation, status=status, reason=reason))
    if action is None or remediation.action != action.name:
        return finding
    reason = {
        RemediationStatus.PLANNED: fix,
        RemediationStatus.APPLIED: f"Applied ({action.reason}), but the re-check still fails.",
    }.get(action.status, f"{action.reason}. To fix by hand: {fix}")
    return replace(finding, remediation=replace(remediation, status=action.status, reason=reason))
