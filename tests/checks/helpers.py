"""Run the catalogue over a snapshot and look at what it found."""

from __future__ import annotations

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Finding


def found(snapshot: Snapshot) -> list[str]:
    """The check IDs of every finding, sorted."""
    return sorted(f.check_id for f in run_checks(snapshot).findings)


def finding(snapshot: Snapshot, check_id: str) -> Finding:
    matches = [f for f in run_checks(snapshot).findings if f.check_id == check_id]
    assert len(matches) == 1, [f.check_id for f in run_checks(snapshot).findings]
    return matches[0]
