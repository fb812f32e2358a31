"""The vocabulary of a report: severities, outcomes and findings (a public contract)."""

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
class Remediation:
    """What should be (or was) done about a finding."""

    action: str
    status: RemediationStatus
    reason: str
    command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action,
            "status": self.status.value,
            "reason": self.reason,
        }
        if self.command:
            out["command"] = self.command
        return out


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
        return out
