"""Gates: whether a planned action may be applied (safe by default: report mode). Which
gates an action must pass is decided by what it writes (`targets.py`)."""

from __future__ import annotations

from dataclasses import replace

from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Mode, RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fixes import FIX_UNITS
from ir_vpc_guard.remediation.targets import Scope
from ir_vpc_guard.settings import Settings


def gate(actions: list[Action], snapshot: Snapshot, settings: Settings) -> list[Action]:
    """Mark each action SKIPPED (with why), PLANNED (report mode) or ready to apply.

    Approved actions keep status PLANNED until the executor settles them. Only resources of
    the job's own account are ever written: never a shared VPC's endpoint or route tables.
    """
    scope = Scope(snapshot, settings, snapshot.job)
    return [_gate(action, scope) for action in actions]


def _gate(action: Action, scope: Scope) -> Action:
    if action.status is not RemediationStatus.PLANNED:
        return action  # already refused by the planner
    skip = FIX_UNITS[action.name].writes.refusal(action, scope)
    if skip:
        return action.settle(RemediationStatus.SKIPPED, skip)
    if scope.settings.remediation_mode is not Mode.APPLY:
        return action.settle(
            RemediationStatus.PLANNED, "REMEDIATION_MODE is report: set apply to make this change"
        )
    return replace(action, approved=True, reason="approved for apply")
