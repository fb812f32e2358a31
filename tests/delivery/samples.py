"""What the report and its plain-text summary are built from in these tests: where the job runs,
and findings that name their check in their title and detail."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard.findings import ActionName, Finding, Remediation, RemediationStatus, Severity

ACCOUNT = "123456789012"
REGION = "us-east-1"
VPC = "vpc-0123456789abcdef0"


def finding(
    check_id: str = "S3_ENDPOINT_MISSING",
    severity: Severity = Severity.HIGH,
    *,
    status: RemediationStatus = RemediationStatus.PLANNED,
    reason: str = "Fix it by hand.",
    command: str | None = None,
    **fields: Any,
) -> Finding:
    """A finding on the job's VPC; `fields` are the Finding's own (`muted`, `evidence`)."""
    return Finding(
        check_id,
        severity,
        f"{check_id} title",
        f"{check_id} detail",
        resources=(VPC,),
        remediation=Remediation(ActionName.MANUAL, status, reason, command),
        **fields,
    )


def manual(check_id: str, severity: Severity, **fields: Any) -> Finding:
    """A finding whose fix is left to a person: the summary says what to do under it."""
    return finding(check_id, severity, status=RemediationStatus.MANUAL, **fields)
