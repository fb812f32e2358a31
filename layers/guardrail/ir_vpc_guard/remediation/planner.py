"""From remediable findings to actions, using only what the snapshot read (pure).

Each fix plans its own actions (`fixes/`); this keeps what holds for all of them: a finding
whose inputs were not all read proposes nothing, and only a certain HIGH drives a change.
"""

from __future__ import annotations

from collections.abc import Iterable

from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Finding, RemediationStatus, Severity
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fixes import FIX_UNITS


def plan(snapshot: Snapshot, findings: Iterable[Finding]) -> list[Action]:
    """The actions for remediable findings, in a stable order. Only a certain HIGH finding
    drives a change: for LOW (a NAT path) and MEDIUM (undetermined) ones every action is
    proposed, SKIPPED with the reason, never applied."""
    if snapshot.vpc_id is None:
        return []
    actions: list[Action] = []
    for finding in findings:
        remediation = finding.remediation
        fix = FIX_UNITS.get(remediation.action) if remediation else None
        check = CATALOGUE.get(finding.check_id)
        if fix is None or check is None or not all(snapshot.read(r).ok for r in check.reads):
            continue  # inputs unknown (a shared VPC not read): nothing to propose
        reason = uncertain(finding)
        actions.extend(
            action.settle(RemediationStatus.SKIPPED, reason)
            if reason and action.status is RemediationStatus.PLANNED
            else action
            for action in fix.plan(snapshot, snapshot.vpc_id, finding)
        )
    return actions


def uncertain(finding: Finding) -> str | None:
    """Why a finding drives no change (it is not a certain HIGH), or None."""
    if finding.severity.rank >= Severity.HIGH.rank:
        return None
    return f"{finding.check_id} is {finding.severity.value}, not a certain HIGH"
