"""The CloudWatch metrics one report yields: names an alarm can key on, no per-job dimension.

Every metric is a Count under the function's namespace with the Powertools `service`
dimension only, so an alarm needs no knowledge of jobs or accounts:
`Outcome_FAIL`, `Finding_S3_ENDPOINT_MISSING`, `Severity_HIGH`, `RemediationsFailed`, ...

One more, `JobsCheckedByWorkload`, counts each checked job under the dimensions `service`,
`Workload` and `Outcome`. It is a series of its own: CloudWatch takes another dimension set
for another metric, so adding `Workload` to the series above would leave their alarms and
dashboards without data. EMF gives one dimension set per document, so it is printed in a
document of its own (the deliverer's single metric).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ir_vpc_guard.findings import Outcome, RemediationStatus
from ir_vpc_guard.remediation.fixes import STOP_NAMES

if TYPE_CHECKING:
    from ir_vpc_guard.delivery.report import Report
    from ir_vpc_guard.remediation.actions import Action

OUTCOMES = ("PASS", "WARN", "FAIL", "REMEDIATED", "PARTIAL", "SKIPPED", "ERROR")
REPORTS = "Reports"
FINDINGS = "Findings"
MUTED_FINDINGS = "MutedFindings"
REMEDIATIONS_APPLIED = "RemediationsApplied"
REMEDIATIONS_FAILED = "RemediationsFailed"
JOBS_STOPPED = "JobsStopped"
SWEEP_FOUND_JOBS = "SweepFoundJobs"
PUBLISHED = "ReportsPublished"
SECURITY_HUB_FAILURES = "SecurityHubExportFailures"
REPLAYS = "EventReplays"
JOBS_CHECKED_BY_WORKLOAD = "JobsCheckedByWorkload"
# Its dimensions besides `service`, in the order the EMF document and the dashboard name them.
WORKLOAD_DIMENSIONS = ("Workload", "Outcome")
# The outcomes of a checked job (a skipped event checked none).
CHECKED_OUTCOMES = tuple(o for o in OUTCOMES if o != "SKIPPED")


def outcome_metric(outcome: str) -> str:
    return f"Outcome_{outcome}"


def finding_metric(check_id: str) -> str:
    return f"Finding_{check_id}"


def severity_metric(severity: str) -> str:
    return f"Severity_{severity}"


def report_counts(report: Report) -> Counter[str]:
    """Counts for one report: its outcome, its findings by check and severity, its fixes.
    Muted findings are counted apart, so an alarm on a check or severity ignores them."""
    counts: Counter[str] = Counter({REPORTS: 1, outcome_metric(report.outcome.value): 1})
    if report.outcome is Outcome.SKIPPED:
        return counts
    findings = [f for f in report.findings if f.muted is None]
    counts[MUTED_FINDINGS] += len(report.findings) - len(findings)
    counts[FINDINGS] += len(findings)
    for finding in findings:
        counts[finding_metric(finding.check_id)] += 1
        counts[severity_metric(finding.severity.value)] += 1
    counts.update(_action_counts(report.actions))
    return counts


def workload_dimensions(report: Report) -> dict[str, str] | None:
    """The `Workload` and `Outcome` of the report's one JobsCheckedByWorkload count; None
    for a skipped event (no job was checked)."""
    if report.outcome is Outcome.SKIPPED:
        return None
    return dict(zip(WORKLOAD_DIMENSIONS, (report.workload, report.outcome.value), strict=True))


def _action_counts(actions: list[Action]) -> Counter[str]:
    """Fixes applied and failed, and jobs stopped (a stop is not a fix)."""
    fixes = [a for a in actions if a.name not in STOP_NAMES]
    statuses = Counter(a.status for a in fixes)
    stopped = sum(
        1 for a in actions if a.name in STOP_NAMES and a.status is RemediationStatus.APPLIED
    )
    return Counter(
        {
            REMEDIATIONS_APPLIED: statuses[RemediationStatus.APPLIED],
            REMEDIATIONS_FAILED: statuses[RemediationStatus.FAILED],
            JOBS_STOPPED: stopped,
        }
    )
