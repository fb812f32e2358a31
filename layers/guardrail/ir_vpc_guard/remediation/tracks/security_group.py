"""The job's security groups: what their fixes share. One re-read, then each fix's missing
rule, side by side (each adds a different rule); a duplicate means a concurrent change:
re-read once and retry. The group written is the job's first of its own VPC."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar, cast

from botocore.exceptions import ClientError

from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fix import Context, Fix, failure
from ir_vpc_guard.remediation.permissions import Grant
from ir_vpc_guard.remediation.safety import egress_permissions_are_safe
from ir_vpc_guard.remediation.targets import SECURITY_GROUP, Target

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import IpPermissionTypeDef, SecurityGroupTypeDef

DUPLICATE_RULE = "InvalidPermission.Duplicate"
# What this track's write needs: the group and the new rule are both authorized, and the
# rule is tagged in the same call (TagSpecifications) only.
EGRESS_GRANTS = (
    Grant(("ec2:AuthorizeSecurityGroupEgress",), ("security-group/*", "security-group-rule/*")),
    Grant(
        ("ec2:CreateTags",),
        ("security-group-rule/*",),
        {"StringEquals": {"ec2:CreateAction": "AuthorizeSecurityGroupEgress"}},
    ),
)


class EgressRuleFix(Fix):
    """A fix that adds an egress rule to a job security group."""

    writes: ClassVar[Target] = SECURITY_GROUP

    @abstractmethod
    def missing(
        self,
        context: Context,
        action: Action,
        groups: list[SecurityGroupTypeDef],
        job_groups: list[str],
    ) -> IpPermissionTypeDef | None:
        """The rule still missing from the groups as re-read, or None when they allow it."""


def first_group(snapshot: Snapshot, vpc_id: str) -> str | None:
    """The first job group of the job's own VPC: a group elsewhere is never written."""
    found = snapshot.security_groups.get()
    return next(
        (g for g in snapshot.job.security_groups if g in found and found[g].get("VpcId") == vpc_id),
        None,
    )


def run(context: Context, work: Sequence[tuple[Action, Fix]]) -> list[Action]:
    found = context.snapshot.security_groups.get()
    job_groups = [g for g in context.snapshot.job.security_groups if g in found]
    groups = context.ec2.describe_security_groups(GroupIds=job_groups).get("SecurityGroups", [])
    with ThreadPoolExecutor(len(work), thread_name_prefix="egress") as pool:
        return list(
            pool.map(
                lambda w: _ensure(context, w[0], cast(EgressRuleFix, w[1]), groups, job_groups),
                work,
            )
        )


def _ensure(
    context: Context,
    action: Action,
    unit: EgressRuleFix,
    groups: list[SecurityGroupTypeDef],
    job_groups: list[str],
) -> Action:
    try:
        for _attempt in range(2):  # a duplicate means a concurrent change: re-read once
            permission = unit.missing(context, action, groups, job_groups)
            if permission is None:
                return action.settle(RemediationStatus.APPLIED, "already allowed: nothing to add")
            settled = _authorize(context, action, permission)
            if settled is not None:
                return settled
            answer = context.ec2.describe_security_groups(GroupIds=job_groups)
            groups = answer.get("SecurityGroups", [])
    except Exception as error:  # a timeout (or worse) fails this rule only
        return failure(action, error)
    return action.settle(
        RemediationStatus.FAILED, "rules kept changing under this write", DUPLICATE_RULE
    )


def _authorize(context: Context, action: Action, permission: IpPermissionTypeDef) -> Action | None:
    """The settled action, or None when AWS answered that a rule already exists."""
    if not egress_permissions_are_safe([permission]) or not (
        permission.get("IpRanges") or permission.get("PrefixListIds")
    ):
        return action.settle(
            RemediationStatus.SKIPPED, "refused: the rule would not be subnet-sized"
        )
    try:
        answer = context.ec2.authorize_security_group_egress(
            GroupId=action.resource,
            IpPermissions=[permission],
            TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": context.tags()}],
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == DUPLICATE_RULE:
            return None  # AWS refused the whole request: see what is still missing
        return failure(action, error)
    rules = [r.get("SecurityGroupRuleId") for r in answer.get("SecurityGroupRules", [])]
    return action.settle(
        RemediationStatus.APPLIED,
        f"added egress to {_destination(permission)} on {action.resource}",
        rules=[r for r in rules if r],
    )


def _destination(permission: IpPermissionTypeDef) -> str:
    ports = f"TCP {permission['FromPort']}-{permission['ToPort']}"
    targets = [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
    targets += [r["CidrIp"] for r in permission.get("IpRanges", [])]
    return f"{', '.join(targets)} ({ports})"
