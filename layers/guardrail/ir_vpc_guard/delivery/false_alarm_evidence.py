"""A certain finding of a check that has been wrong in this account says so: its evidence
carries the check's false alarms (state/false_alarms.py) and its detail one sentence, which
the e-mail, the text views and Security Hub show as they show the detail.

Read with one BatchGetItem per report, only when the report has a certain finding (unmuted,
HIGH or CRITICAL, not CHECK_ERROR); none otherwise. A failed read is a WARNING line and the
report goes out without it: this memory never delays or loses a report.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.delivery.report import CERTAIN_FAIL
from ir_vpc_guard.findings import CHECK_ERROR, Finding
from ir_vpc_guard.state.false_alarms import EVIDENCE, FalseAlarm, FalseAlarms, UnreadError

logger = logging.getLogger(__name__)


def certain(finding: Finding) -> bool:
    """A finding that fails the job for certain: the ones a false alarm may be about."""
    return (
        finding.muted is None
        and finding.severity in CERTAIN_FAIL
        and finding.check_id != CHECK_ERROR
    )


def sentence(alarm: FalseAlarm) -> str:
    """The one sentence a person reads: how often, the last job and its date."""
    return (
        "This check predicted a failure that did not happen in this account "
        f"{alarm.count} time(s), last for job {alarm.last_job} on {alarm.last_at[:10]} (or "
        "the network was fixed while that job started): confirm before acting."
    )


def annotate(findings: list[Finding], memory: FalseAlarms, account: str) -> list[Finding]:
    """The findings, each certain one of a check with a recorded false alarm in `account`
    carrying it; the same list (no call) when none is certain or the read fails."""
    checks = sorted({f.check_id for f in findings if certain(f)})
    if not checks:
        return findings
    try:
        alarms = memory.recall(account, checks)
    except (ClientError, BotoCoreError, UnreadError) as error:
        logger.warning(
            "false alarms of %s not read (%s): the report goes out without them",
            ", ".join(checks),
            type(error).__name__,
        )
        return findings
    return [
        _with(f, alarms[f.check_id]) if certain(f) and f.check_id in alarms else f for f in findings
    ]


def _with(finding: Finding, alarm: FalseAlarm) -> Finding:
    return replace(
        finding,
        detail=f"{finding.detail} {sentence(alarm)}",
        evidence={**finding.evidence, EVIDENCE: alarm.evidence()},
    )
