"""The check catalogue: stable IDs, their metadata and the reads they depend on.

Like Cloud Custodian's registries, each check declares what it needs (snapshot reads, and
through them IAM actions); like Prowler's, each carries its title, risk and remediation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, Remediation, RemediationStatus, Severity
from ir_vpc_guard.intake.workload import THROUGH_VPC, Workload


@dataclass(frozen=True, eq=False, repr=False)
class Problem:
    """What a check found wrong; the registry turns it into a Finding."""

    detail: str
    resources: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: Severity | None = None
    command: str | None = None


CheckFunction = Callable[[Snapshot], Iterable[Problem]]


@dataclass(frozen=True, eq=False, repr=False)
class Check:
    """A registered check and its Prowler-style metadata."""

    check_id: str
    title: str
    severity: Severity
    requirement: str
    reads: tuple[str, ...]
    risk: str
    fix: str
    run: CheckFunction
    remediation_action: ActionName | None = None
    # A certain HIGH finding of this check means the job cannot succeed (STOP_DOOMED_JOBS).
    blocks_job: bool = False
    # An advisory most healthy accounts carry (AWS's own policies): reported, but alone it
    # never publishes a PASS under NOTIFY_ON=findings.
    quiet: bool = False
    # Reads the check looks at when they were read, and judges without when not (never
    # undetermined for want of them): a stop still asks who read them.
    consults: tuple[str, ...] = ()
    # Whether the requirement arises for this job at all (None: always). When it does not
    # (a single-instance job has no peers), the check passes without reading anything.
    needed: Callable[[Snapshot], bool] | None = None
    # The workloads whose requirements include this one (None: every workload): the others'
    # reports do not name the check at all (Inference Recommender's stay as they were).
    concerns: Callable[[Workload], bool] | None = None

    def judges(self, workload: Workload) -> bool:
        """Whether a job of `workload` is judged by this check (a requirement of its own,
        not left out by its `not_evaluated`)."""
        concerned = self.concerns is None or self.concerns(workload)
        return concerned and self.check_id not in workload.not_evaluated

    # The reads instead of `reads` for workloads whose data path is the VPC (their S3
    # locations are the request's, not a model's), when they differ.
    vpc_reads: tuple[str, ...] | None = None

    def reads_for(self, data_path: str) -> tuple[str, ...]:
        """The reads the check needs for a workload of that data path."""
        if data_path == THROUGH_VPC and self.vpc_reads is not None:
            return self.vpc_reads
        return self.reads

    @property
    def remediable(self) -> bool:
        return self.remediation_action is not None

    def finding(self, problem: Problem) -> Finding:
        remediation = Remediation(
            action=self.remediation_action or ActionName.MANUAL,
            status=RemediationStatus.PLANNED if self.remediable else RemediationStatus.MANUAL,
            reason=self.fix,
            command=problem.command,
        )
        return Finding(
            check_id=self.check_id,
            severity=problem.severity or self.severity,
            title=self.title,
            detail=problem.detail,
            resources=problem.resources,
            evidence=problem.evidence,
            requirement=self.requirement,
            remediation=remediation,
        )


CATALOGUE: dict[str, Check] = {}


def register(
    check_id: str,
    *,
    title: str,
    severity: Severity,
    requirement: str,
    reads: tuple[str, ...],
    risk: str,
    fix: str,
    remediation_action: ActionName | None = None,
    blocks_job: bool = False,
    quiet: bool = False,
    consults: tuple[str, ...] = (),
    needed: Callable[[Snapshot], bool] | None = None,
    concerns: Callable[[Workload], bool] | None = None,
    vpc_reads: tuple[str, ...] | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Add a check to the catalogue under its stable, public ID. `blocks_job`: a certain
    HIGH finding of it makes the job certain to fail, so it may be stopped (opt-in);
    `quiet`: an advisory that alone does not publish a passing job's report; `needed`: whether
    the requirement arises for the job (when not, the check passes unread); `concerns`: the
    workloads it is a requirement of (the others' reports do not name it)."""

    def add(run: CheckFunction) -> CheckFunction:
        if check_id in CATALOGUE:
            raise ValueError(f"check {check_id} registered twice")
        CATALOGUE[check_id] = Check(
            check_id=check_id,
            title=title,
            severity=severity,
            requirement=requirement,
            reads=reads,
            risk=risk,
            fix=fix,
            run=run,
            remediation_action=remediation_action,
            blocks_job=blocks_job,
            quiet=quiet,
            consults=consults,
            needed=needed,
            concerns=concerns,
            vpc_reads=vpc_reads,
        )
        return run

    return add
