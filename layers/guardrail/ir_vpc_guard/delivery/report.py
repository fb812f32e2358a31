"""The report: one JSON object per job, the contract with every consumer (schema beside)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from ir_vpc_guard import __version__
from ir_vpc_guard.checks import CATALOGUE, CheckRun, check_error
from ir_vpc_guard.discovery.snapshot import ReadError, Snapshot
from ir_vpc_guard.findings import (
    CHECK_ERROR,
    MUTE_LIST_INVALID,
    Finding,
    Mode,
    Outcome,
    RemediationStatus,
    Severity,
)
from ir_vpc_guard.intake.event import Intake, Skipped
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER
from ir_vpc_guard.remediation.actions import Action

SCHEMA_VERSION = "1.0"
CERTAIN_FAIL = {Severity.HIGH, Severity.CRITICAL}


def load_schema() -> dict[str, Any]:
    text = resources.files("ir_vpc_guard.delivery").joinpath("report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def outcome_of(findings: list[Finding], changed: bool = False) -> Outcome:
    """The outcome follows certainty: FAIL only on a certain HIGH finding; ERROR when a read
    failed; WARN when only MEDIUM findings (undetermined answers, advisories) remain; else
    PASS (LOW findings are advisories).

    After a change (something APPLIED): REMEDIATED only when the re-check leaves nothing at
    MEDIUM or above, no finding whose fix failed or did not take, and no read it could not
    make; else PARTIAL. Writes that all failed changed nothing: the plain outcome stands.
    Muted findings (accepted on the mute list) count for nothing.
    """
    counted = [f for f in findings if f.muted is None]
    plain = _plain_outcome(counted)
    if not changed:
        return plain
    clean = plain is Outcome.PASS and not _fix_left_over(counted)
    return Outcome.REMEDIATED if clean else Outcome.PARTIAL


def _plain_outcome(findings: list[Finding]) -> Outcome:
    """FAIL on a certain finding, else ERROR on a failed read, else WARN on a MEDIUM one."""
    checked = [f for f in findings if f.check_id != CHECK_ERROR]
    if any(f.severity in CERTAIN_FAIL for f in checked):
        return Outcome.FAIL
    if len(checked) != len(findings):
        return Outcome.ERROR
    if any(f.severity is Severity.MEDIUM for f in checked):
        return Outcome.WARN
    return Outcome.PASS


@dataclass(frozen=True)
class Report:
    """What the guardrail concluded about one job (or why it skipped the event).

    Frozen: every part (remediation, the stop, expired mutes) is known when it is built, so
    each channel sees the same report; a changed view is a copy (`dataclasses.replace`).
    """

    event_id: str
    account: str
    region: str
    outcome: Outcome
    mode: Mode = Mode.REPORT
    trigger: str = "event"
    job: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    actions: list[Action] = field(default_factory=list)
    # Another report about this job was already published (by the sweep or an earlier event).
    repeat: bool = False
    # Mute list entries that would match a finding here but have expired (they mute nothing).
    expired_mutes: list[dict[str, str]] = field(default_factory=list)
    generated_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )

    @property
    def workload(self) -> str:
        """The workload of the job: its job section names it, but for Inference Recommender
        (whose section keeps its original shape). A skipped event that no registered
        workload answers reads as Inference Recommender's too, as its job name does."""
        return str(self.job.get("workload", INFERENCE_RECOMMENDER))

    @property
    def max_severity(self) -> str:
        severities = [f.severity for f in self.findings]
        return max(severities, key=lambda s: s.rank).value if severities else "NONE"

    @property
    def by_severity(self) -> dict[str, int]:
        """Findings per severity, in the order the findings name them (the summary's)."""
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": SCHEMA_VERSION,
            "guardrailVersion": __version__,
            "generatedAt": self.generated_at,
            "eventId": self.event_id,
            "account": self.account,
            "region": self.region,
            "trigger": self.trigger,
            "mode": self.mode,
            "outcome": self.outcome.value,
            "job": self.job,
            "summary": {
                "findings": len(self.findings),
                "maxSeverity": self.max_severity,
                "bySeverity": self.by_severity,
                "muted": sum(1 for f in self.findings if f.muted is not None),
                "checks": self.checks,
            },
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.actions:
            out["actions"] = [a.to_dict() for a in self.actions]
        if self.reason:
            out["reason"] = self.reason
        if self.repeat:
            out["repeat"] = True
        if self.expired_mutes:
            out["expiredMutes"] = self.expired_mutes
        return out


def _fix_left_over(findings: list[Finding]) -> bool:
    """A finding whose fix was attempted is still there: it failed or did not take."""
    attempted = {RemediationStatus.APPLIED, RemediationStatus.FAILED}
    return any(f.remediation is not None and f.remediation.status in attempted for f in findings)


def job_section(job: JobRequest, snapshot: Snapshot) -> dict[str, Any]:
    """The job as checked; `vpcOwner` only when the VPC is another account's (shared)."""
    section: dict[str, Any] = {
        "name": job.job_name,
        "arn": job.job_arn,
        "type": job.job_type,
        "role": job.role_arn,
        "modelPackageArn": job.model_package_arn,
        "modelName": job.model_name,
        "subnets": list(job.subnets),
        "securityGroups": list(job.security_groups),
        "vpc": snapshot.vpc_id,
    }
    if job.workload != INFERENCE_RECOMMENDER:
        # Inference Recommender's job section stays as it always was; the others say what
        # they are and drop the members only Inference Recommender has.
        for key in ("type", "modelPackageArn", "modelName"):
            del section[key]
        section["workload"] = job.workload
    if job.definition is not None:
        section["definition"] = job.definition
    if job.part_of_several:
        section["partOfSeveral"] = True  # the job may end well though this part cannot
    if snapshot.shared_vpc:
        section["vpcOwner"] = snapshot.vpc_owner
    return section


def skipped_report(skipped: Skipped, mode: Mode) -> Report:
    """The report of an event not checked: the job's name and, for a workload other than
    Inference Recommender (whose skipped reports keep their shape), the workload."""
    job: dict[str, Any] = {"name": skipped.job_name} if skipped.job_name else {}
    if skipped.workload not in (None, INFERENCE_RECOMMENDER):
        job["workload"] = skipped.workload
    return Report(
        event_id=skipped.event_id,
        account=skipped.account,
        region=skipped.region,
        outcome=Outcome.SKIPPED,
        mode=mode,
        job=job,
        reason=skipped.reason,
    )


def unreadable_report(intake: Intake, error: ReadError, mode: Mode) -> Report:
    """A request whose jobs could not be read (an endpoint's models): ERROR, one CHECK_ERROR
    naming the failed call, no check evaluated. Never a pass."""
    checks = list(CATALOGUE)
    job: dict[str, Any] = {"name": intake.job_name or "unknown", "arn": intake.job_arn}
    if intake.workload.name != INFERENCE_RECOMMENDER:
        job["workload"] = intake.workload.name
    return Report(
        event_id=intake.event_id,
        account=intake.account,
        region=intake.region,
        outcome=Outcome.ERROR,
        mode=mode,
        job=job,
        findings=[check_error(error, [error.api], checks)],
        checks={"passed": [], "failed": [], "errored": checks, "notEvaluated": {}},
    )


def checked_report(
    job: JobRequest,
    snapshot: Snapshot,
    run: CheckRun,
    mode: Mode,
    changed: bool = False,
    *,
    actions: list[Action] | None = None,
    expired_mutes: list[dict[str, str]] | None = None,
) -> Report:
    """The report of a checked job: `actions` are the fixes and the stop, `expired_mutes`
    the mute entries that lapsed (see Report)."""
    severity_order = {s: -s.rank for s in Severity}
    findings = sorted(run.findings, key=lambda f: (severity_order[f.severity], f.check_id))
    return Report(
        event_id=job.event_id,
        account=job.account,
        region=job.region,
        outcome=outcome_of(findings, changed),
        mode=mode,
        trigger=job.trigger,
        job=job_section(job, snapshot),
        findings=findings,
        checks={
            "passed": sorted(run.passed),
            "failed": sorted(
                {f.check_id for f in findings if f.check_id not in (CHECK_ERROR, MUTE_LIST_INVALID)}
            ),
            "errored": sorted(run.errored),
            "notEvaluated": dict(sorted(run.not_evaluated.items())),
        },
        actions=list(actions or []),
        expired_mutes=list(expired_mutes or []),
    )
