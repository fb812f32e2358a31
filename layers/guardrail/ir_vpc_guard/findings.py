"""The vocabulary of a report: severities, outcomes, modes, action names and findings.

Every value here is a public contract (reports, SNS filter policies, settings, dashboards):
each is spelled once, here, and everything else names it through these enums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """Security Hub severity labels, ordered from least to most severe."""

    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Outcome(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    # Only MEDIUM findings remain: undetermined answers or advisories (Security Hub WARNING).
    WARN = "WARN"
    REMEDIATED = "REMEDIATED"
    PARTIAL = "PARTIAL"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"


class Mode(StrEnum):
    """REMEDIATION_MODE, and the report's `mode`: whether fixes are only planned or made."""

    REPORT = "report"
    APPLY = "apply"


class ActionName(StrEnum):
    """What is (or would be) done about a finding: the report's `action` fields, the
    values of REMEDIATION_ACTIONS and the checks' remediation hints."""

    CREATE_S3_GATEWAY_ENDPOINT = "create-s3-gateway-endpoint"
    ADD_ENDPOINT_ROUTE_TABLES = "add-endpoint-route-tables"
    ADD_S3_EGRESS_RULE = "add-s3-egress-rule"
    ADD_SUBNET_EGRESS_RULES = "add-subnet-egress-rules"
    ADD_PEER_INGRESS_RULE = "add-peer-ingress-rule"
    # Not fixes: stopping a doomed job (STOP_DOOMED_JOBS), and a finding fixed by hand.
    STOP_JOB = "stop-job"
    MANUAL = "manual"


# The additive changes to a VPC the guardrail may make: what REMEDIATION_ACTIONS selects.
FIXES = tuple(n for n in ActionName if n not in (ActionName.STOP_JOB, ActionName.MANUAL))


class RemediationStatus(StrEnum):
    APPLIED = "APPLIED"
    PLANNED = "PLANNED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    MANUAL = "MANUAL"


CHECK_ERROR = "CHECK_ERROR"
MUTE_LIST_INVALID = "MUTE_LIST_INVALID"


@dataclass(frozen=True)
class Mute:
    """Why a finding is accepted and until when (from the mute list entry that matched)."""

    reason: str
    expires: str  # ISO date


@dataclass(frozen=True)
class PartialMute:
    """Mute entries that cover only some of what a finding names (some of its subnets,
    groups or route tables): the finding stays reported and counts, and says what they
    cover, so that a mute silences only what it names."""

    reason: str
    expires: str  # ISO date: the earliest of the entries'
    covers: tuple[str, ...]


@dataclass(frozen=True)
class Remediation:
    """What should be (or was) done about a finding."""

    action: str
    status: RemediationStatus
    reason: str
    command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"action": self.action, "status": self.status.value, "reason": self.reason}
        return out | ({"command": self.command} if self.command else {})


@dataclass(frozen=True)
class Finding:
    """One unmet requirement, with the evidence that shows it."""

    check_id: str
    severity: Severity
    title: str
    detail: str
    resources: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)
    requirement: str = ""
    remediation: Remediation | None = None
    muted: Mute | None = None
    partially_muted: PartialMute | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "checkId": self.check_id,
            "severity": self.severity.value,
            "title": self.title,
            "requirement": self.requirement,
            "resources": list(self.resources),
            "detail": self.detail,
            "evidence": self.evidence,
        }
        if self.remediation is not None:
            out["remediation"] = self.remediation.to_dict()
        if self.muted is not None:
            out["muted"] = {"reason": self.muted.reason, "expires": self.muted.expires}
        if self.partially_muted is not None:
            partial = self.partially_muted
            out["partiallyMuted"] = {
                "reason": partial.reason,
                "expires": partial.expires,
                "covers": list(partial.covers),
            }
        return out


def guardrail_finding(
    check_id: str,
    *,
    title: str,
    detail: str,
    resources: tuple[str, ...],
    evidence: dict[str, Any],
    fix: str,
) -> Finding:
    """A finding about the guardrail's own view (a failed read, an unusable mute list), not
    about the job: MEDIUM, for every requirement, and only a person can act on it."""
    return Finding(
        check_id=check_id,
        severity=Severity.MEDIUM,
        title=title,
        detail=detail,
        resources=resources,
        evidence=evidence,
        requirement="all",
        remediation=Remediation(
            action=ActionName.MANUAL, status=RemediationStatus.MANUAL, reason=fix
        ),
    )
