"""Remediation actions: what the guardrail may add to a VPC (or stop), and what became of it.

Their names are `ActionName` (findings.py), the one spelling the report, the settings, the
checks' hints and the IAM declarations share.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.findings import ActionName, RemediationStatus

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import TagTypeDef

TAG_PREFIX = "ir-vpc-guard:"


@dataclass(frozen=True)
class Action:
    """One additive change to one resource, and (once gated or applied) its status."""

    name: ActionName
    check_id: str
    vpc_id: str
    resource: str  # the VPC (new endpoint), the endpoint, or the security group
    route_table_ids: tuple[str, ...] = ()
    prefix_list_id: str | None = None
    cidrs: tuple[str, ...] = ()
    status: RemediationStatus = RemediationStatus.PLANNED
    reason: str = ""
    error_code: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    approved: bool = False  # passed every gate in apply mode: the executor may write

    def settle(
        self, status: RemediationStatus, reason: str, error_code: str | None = None, **details: Any
    ) -> Action:
        return replace(
            self,
            approved=False,
            status=status,
            reason=reason,
            error_code=error_code,
            details={**self.details, **details},
        )

    @property
    def target(self) -> dict[str, Any]:
        """What the action adds, for the report."""
        out: dict[str, Any] = {}
        if self.route_table_ids:
            out["routeTableIds"] = list(self.route_table_ids)
        if self.prefix_list_id:
            out["prefixListId"] = self.prefix_list_id
        if self.cidrs:
            out["cidrs"] = list(self.cidrs)
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.name,
            "checkId": self.check_id,
            "status": self.status.value,
            "resource": self.resource,
            "reason": self.reason,
            "target": self.target,
        }
        if self.error_code:
            out["errorCode"] = self.error_code
        if self.details:
            out["details"] = self.details
        return out


def tags(job_name: str, created_at: str) -> list[TagTypeDef]:
    """Tags on everything the guardrail creates: who, for which job, when."""
    return [
        {"Key": f"{TAG_PREFIX}created-by", "Value": "ir-vpc-guard"},
        {"Key": f"{TAG_PREFIX}job", "Value": job_name[:256]},
        {"Key": f"{TAG_PREFIX}created-at", "Value": created_at},
    ]


def rule_description(purpose: str, job_name: str) -> str:
    """A security group rule description that says why the rule exists (255 chars max)."""
    return f"ir-vpc-guard: {purpose} for SageMaker IR job {job_name}"[:255]
