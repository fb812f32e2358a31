"""Applies approved actions idempotently: re-read, then write only what is still missing.

Actions are grouped by what their fix writes (its target): one track per kind, the tracks
concurrent, since they touch different resources. "Already exists" answers are success; any
other error fails that action only (FAILED with the AWS error code) and the others still
run. Every created resource is tagged in the create call itself, so nothing is ever left
half-made and untagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fix import Context, Fix, failure
from ir_vpc_guard.remediation.fixes import FIX_UNITS
from ir_vpc_guard.remediation.targets import SECURITY_GROUP, VPC_ENDPOINT, Target
from ir_vpc_guard.remediation.tracks import endpoint, security_group

Track = Callable[[Context, Sequence[tuple[Action, Fix]]], list[Action]]
# The track of each kind of target fixes write (a stop is applied after the re-check).
TRACKS: dict[Target, Track] = {VPC_ENDPOINT: endpoint.run, SECURITY_GROUP: security_group.run}


class Executor:
    """Applies one job's approved actions in its VPC (the caller holds the VPC's lock)."""

    def __init__(
        self,
        clients: AwsClients,
        snapshot: Snapshot,
        budget: Budget = UNLIMITED,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.context = Context(snapshot, clients.ec2, now)
        self.budget = budget

    def apply(self, actions: list[Action]) -> list[Action]:
        """Every action settled; the order of `actions` is kept (each result goes back to
        its action's position)."""
        positions: dict[Target, list[int]] = {}
        for i, action in enumerate(actions):
            if action.approved:
                positions.setdefault(FIX_UNITS[action.name].writes, []).append(i)
        settled = list(actions)
        if not positions:
            return settled
        with ThreadPoolExecutor(len(positions), thread_name_prefix="remediation") as pool:
            runs = {
                target: pool.submit(self._run_track, target, [actions[i] for i in indexes])
                for target, indexes in positions.items()
            }
            for target, indexes in positions.items():
                for i, result in zip(indexes, runs[target].result(), strict=True):
                    settled[i] = result
        return settled

    def _run_track(self, target: Target, actions: list[Action]) -> list[Action]:
        if not self.budget.may_start():
            return [
                a.settle(RemediationStatus.SKIPPED, "deadline near: not started") for a in actions
            ]
        try:
            return TRACKS[target](self.context, [(a, FIX_UNITS[a.name]) for a in actions])
        except Exception as error:  # the re-read failed (or worse): nothing was written
            return [failure(a, error) for a in actions]
