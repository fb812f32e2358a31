"""The job's security groups: what their fixes share. One re-read, then each fix's missing
rule, side by side (each adds a different rule); a duplicate means a concurrent change:
re-read once and retry. The group written is the job's first of its own VPC. Egress rules
name a prefix list or a subnet-sized CIDR; the one inbound rule names the group itself."""

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
from ir_vpc_guard.remediation.safety import egress_permissions_are_safe, peer_ingress_is_safe
from ir_vpc_guard.remediation.targets import SECURITY_GROUP, Target

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        IpPermissionTypeDef,
        SecurityGroupTypeDef,
        TagSpecificationTypeDef,
    )

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

# The same for the inbound rule a distributed job's peers need.
INGRESS_GRANTS = (
    Grant(("ec2:AuthorizeSecurityGroupIngress",), ("security-group/*", "security-group-rule/*")),
    Grant(
        ("ec2:CreateTags",),
        ("security-group-rule/*",),
        {"StringEquals": {"ec2:CreateAction": "AuthorizeSecurityGroupIngress"}},
    ),
)


class RuleFix(Fix):
    """A fix that adds one rule to a job security group (`ingress`: an inbound one)."""

    writes: ClassVar[Target] = SECURITY_GROUP
    ingress: ClassVar[bool] = False

    @abstractmethod
    def missing(
        self,
        context: Context,
        action: Action,
        groups: list[SecurityGroupTypeDef],
        job_groups: list[str],
    ) -> IpPermissionTypeDef | None:
        """The rule still missing from the groups as re-read, or None when they allow it."""


class EgressRuleFix(RuleFix):
    """A fix that adds an egress rule to a job security group."""


class IngressRuleFix(RuleFix):
    """A fix that adds an inbound rule to a job security group: only ever from the group
    itself (the track refuses anything else)."""

    ingress = True


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
                lambda w: _ensure(context, w[0], cast(RuleFix, w[1]), groups, job_groups),
                work,
            )
        )


def _ensure(
    context: Context,
    action: Action,
    unit: RuleFix,
    groups: list[SecurityGroupTypeDef],
    job_groups: list[str],
) -> Action:
    try:
        for _attempt in range(2):  # a duplicate means a concurrent change: re-read once
            permission = unit.missing(context, action, groups, job_groups)
            if permission is None:
                return action.settle(RemediationStatus.APPLIED, "already allowed: nothing to add")
            settled = _authorize(context, action, permission, ingress=unit.ingress)
            if settled is not None:
                return settled
            answer = context.ec2.describe_security_groups(GroupIds=job_groups)
            groups = answer.get("SecurityGroups", [])
    except Exception as error:  # a timeout (or worse) fails this rule only
        return failure(action, error)
    return action.settle(
        RemediationStatus.FAILED, "rules kept changing under this write", DUPLICATE_RULE
    )


def _authorize(
    context: Context, action: Action, permission: IpPermissionTypeDef, *, ingress: bool
) -> Action | None:
    """The settled action, or None when AWS answered that a rule already exists."""
    if ingress and not peer_ingress_is_safe(permission, action.resource):
        return action.settle(
            RemediationStatus.SKIPPED, "refused: an inbound rule may only name the group itself"
        )
    if not ingress and (
        not egress_permissions_are_safe([permission])
        or not (permission.get("IpRanges") or permission.get("PrefixListIds"))
    ):
        return action.settle(
            RemediationStatus.SKIPPED, "refused: the rule would not be subnet-sized"
        )
    try:
        rules = _write(context, action.resource, permission, ingress=ingress)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == DUPLICATE_RULE:
            return None  # AWS refused the whole request: see what is still missing
        return failure(action, error)
    added = (
        f"inbound all traffic from {action.resource}"
        if ingress
        else f"egress to {_destination(permission)}"
    )
    return action.settle(
        RemediationStatus.APPLIED, f"added {added} on {action.resource}", rules=rules
    )


def _write(
    context: Context, group: str, permission: IpPermissionTypeDef, *, ingress: bool
) -> list[str]:
    """Add the rule, tagged in the same call; the IDs of the rules AWS created."""
    tagged: list[TagSpecificationTypeDef] = [
        {"ResourceType": "security-group-rule", "Tags": context.tags()}
    ]
    if ingress:
        created = context.ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[permission], TagSpecifications=tagged
        ).get("SecurityGroupRules", [])
    else:
        created = context.ec2.authorize_security_group_egress(
            GroupId=group, IpPermissions=[permission], TagSpecifications=tagged
        ).get("SecurityGroupRules", [])
    return [str(r["SecurityGroupRuleId"]) for r in created if r.get("SecurityGroupRuleId")]


def _destination(permission: IpPermissionTypeDef) -> str:
    ports = f"TCP {permission['FromPort']}-{permission['ToPort']}"
    targets = [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
    targets += [r["CidrIp"] for r in permission.get("IpRanges", [])]
    return f"{', '.join(targets)} ({ports})"
