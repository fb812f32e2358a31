"""Checks: pure functions over a Snapshot, registered under stable IDs (see registry)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

# Importing the check modules registers their checks in CATALOGUE.
from ir_vpc_guard.checks import (  # noqa: F401
    capacity,
    dns,
    egress,
    hosting,
    identity,
    model,
    nacl,
    peers,
    routing,
    tenancy,
    vpc_config,
    # Checks of VPC-side workloads only: imported (registered) last, so that Inference
    # Recommender's findings keep their order.
    vpc_side_buckets,
    vpc_side_registry,
)
from ir_vpc_guard.checks.confirm import owner_reads
from ir_vpc_guard.checks.registry import CATALOGUE, Check, Problem
from ir_vpc_guard.discovery.discover import READ_ACTIONS
from ir_vpc_guard.discovery.snapshot import ReadError, Snapshot
from ir_vpc_guard.findings import (
    CHECK_ERROR,
    Finding,
    Severity,
    guardrail_finding,
)
from ir_vpc_guard.intake.workload import Workload
from ir_vpc_guard.intake.workloads import workload_of

__all__ = ["CATALOGUE", "Check", "CheckRun", "check_error", "run_checks"]
logger = logging.getLogger(__name__)


@dataclass(eq=False, repr=False)
class CheckRun:
    """The findings of one run of the catalogue, and what could not be evaluated."""

    findings: list[Finding] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    not_evaluated: dict[str, str] = field(default_factory=dict)
    errored: list[str] = field(default_factory=list)
    # Checks that raised (a bug, an answer shape no one foresaw): nothing of theirs is known.
    broken: list[str] = field(default_factory=list)


def run_checks(snapshot: Snapshot, only: set[str] | None = None) -> CheckRun:
    """Run every check (or `only` these) and turn each failed read into one CHECK_ERROR, and
    each check that needs a read another account owns into its own undetermined finding."""
    run = CheckRun()
    # Checks that do not apply to the job's workload (yet) are listed, never run.
    workload = workload_of(snapshot.job.workload)
    # One CHECK_ERROR per failure: reads that depend on a failed read carry the same error.
    failures: dict[ReadError, tuple[dict[str, None], dict[str, None]]] = {}
    for check in CATALOGUE.values():
        if not _runs(check, only):
            continue
        if _settled_unread(check, snapshot, workload, run):
            continue
        reads = {name: snapshot.read(name) for name in check.reads_for(workload.data_path)}
        errors = [(name, r.error) for name, r in reads.items() if r.error is not None]
        if errors:
            for name, error in errors:
                names, checks = failures.setdefault(error, ({}, {}))  # ordered sets
                names[name] = checks[check.check_id] = None
            run.errored.append(check.check_id)
            continue
        unknown = {name: r.undetermined for name, r in reads.items() if r.undetermined}
        if unknown:
            run.findings.append(undetermined(check, snapshot, unknown))
            continue
        reasons = [r.not_applicable for r in reads.values() if r.not_applicable]
        if reasons:
            run.not_evaluated[check.check_id] = reasons[0]
            continue
        try:
            findings = [check.finding(problem) for problem in check.run(snapshot)]
        except Exception as error:  # one broken check must not lose the others' findings
            logger.exception("check %s raised %s", check.check_id, type(error).__name__)
            run.broken.append(check.check_id)
            run.errored.append(check.check_id)
            run.findings.append(broken_check(check, error))
            continue
        run.findings.extend(findings)
        if not findings:
            run.passed.append(check.check_id)
    run.findings.extend(
        check_error(error, list(names), list(checks)) for error, (names, checks) in failures.items()
    )
    return run


def _settled_unread(check: Check, snapshot: Snapshot, workload: Workload, run: CheckRun) -> bool:
    """Settle, without a read, a check the job's workload leaves out (listed with its
    reason), one that is no requirement of the workload (not named at all), or one whose
    requirement does not arise for this job (passed: a single-instance job has no peers)."""
    if check.check_id in workload.not_evaluated:
        run.not_evaluated[check.check_id] = workload.not_evaluated[check.check_id]
        return True
    if check.concerns is not None and not check.concerns(workload):
        return True
    if check.needed is not None and not check.needed(snapshot):
        run.passed.append(check.check_id)
        return True
    return False


def _runs(check: Check, only: set[str] | None) -> bool:
    """Asked for (`only`: every check when None)."""
    return only is None or check.check_id in only


def undetermined(check: Check, snapshot: Snapshot, reads: dict[str, str]) -> Finding:
    """MEDIUM, never the check's HIGH: what it needs was not readable (another account's
    resources), so neither a pass nor a failure can be said."""
    why = next(iter(reads.values()))
    actions = [a for name in reads for a in READ_ACTIONS.get(name, ())]
    problem = Problem(
        detail=f"Not determined: {why}.",
        resources=(snapshot.vpc_id,) if snapshot.vpc_id else (),
        evidence={"reads": list(reads), "vpcOwner": snapshot.vpc_owner, "undetermined": why},
        severity=Severity.MEDIUM,
        command=owner_reads(actions, str(snapshot.vpc_id), str(snapshot.vpc_owner)),
    )
    return check.finding(problem)


def broken_check(check: Check, error: Exception) -> Finding:
    """A check that raised: a CHECK_ERROR (MEDIUM, outcome ERROR) naming the check and the
    exception type, never its message (it may quote a policy). Nothing is concluded, written
    or stopped on its strength."""
    kind = type(error).__name__
    return guardrail_finding(
        CHECK_ERROR,
        title="A check failed: its requirement was not evaluated",
        detail=f"{check.check_id} raised {kind}; its requirement ({check.requirement}) was not "
        "evaluated. The other checks ran.",
        resources=(check.check_id,),
        evidence={"checks": [check.check_id], "exception": kind, "reads": list(check.reads)},
        fix="Report this to the guardrail's maintainers with the function's log line for "
        f"{check.check_id}; until then, verify {check.requirement} by hand.",
    )


def check_error(error: ReadError, reads: list[str], checks: list[str]) -> Finding:
    evidence: dict[str, Any] = {
        "reads": reads,
        "api": error.api,
        "errorCode": error.code,
        "checks": checks,
    }
    if error.message:
        evidence["message"] = error.message
    return guardrail_finding(
        CHECK_ERROR,
        title="A check could not run because a read failed",
        detail=f"{error.api} failed with {error.code}; not checked: {', '.join(checks)}.",
        resources=(error.api,),
        evidence=evidence,
        fix="Grant the guardrail's role the read (see the template) or retry; "
        "the listed checks were not evaluated.",
    )
