"""What a report predicts about its job, kept on the job's record (state/records.py) so the
job's real end can be compared with it later (outcomes/compare.py)."""

from __future__ import annotations

from ir_vpc_guard.delivery.report import CERTAIN_FAIL, Report
from ir_vpc_guard.findings import CHECK_ERROR, ActionName, RemediationStatus, Severity
from ir_vpc_guard.state.records import Prediction


def prediction_of(report: Report) -> Prediction:
    """The outcome, the check IDs of the certain (HIGH or CRITICAL, unmuted) findings and
    whether the job was stopped: what a verdict needs, nothing else (the record stays small).
    A part that need not end its job alone keeps its certain checks apart (`part_high`); the
    checks it left undetermined (MEDIUM) are kept too, so a miss on one says it was flagged."""
    certain = {
        f.check_id
        for f in report.findings
        if f.muted is None and f.severity in CERTAIN_FAIL and f.check_id != CHECK_ERROR
    }
    stopped = any(
        a.name == ActionName.STOP_JOB and a.status is RemediationStatus.APPLIED
        for a in report.actions
    )
    flagged = {
        f.check_id
        for f in report.findings
        if f.muted is None and f.severity is Severity.MEDIUM and f.check_id != CHECK_ERROR
    } - certain
    highs, medium = tuple(sorted(certain)), tuple(sorted(flagged))
    if report.job.get("partOfSeveral"):
        # One training definition of several: its doom need not end the tuning job.
        return Prediction(report.outcome.value, (), stopped, part_high=highs, flagged=medium)
    return Prediction(report.outcome.value, highs, stopped, flagged=medium)
