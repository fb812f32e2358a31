"""R8: the ARNs each EC2 call of the job's execution role names, known from the request
(and, in a shared VPC, from who owns each subnet, group and VPC): discovery asks the policy
simulator about them, the identity check evaluates the role's own policies on them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ir_vpc_guard.arns import ec2_arn
from ir_vpc_guard.intake.request import JobRequest

# The resources each EC2 call of the job names (Service Authorization Reference, EC2):
# Describe* take no resource ("*"); CreateNetworkInterface names the new interface, the
# subnet and the groups; the interface calls name the job's own new interfaces.
NEW_INTERFACE = "network-interface/*"
_ROLE_RESOURCES = {
    "ec2:CreateNetworkInterface": ("interface", "subnets", "groups"),
    "ec2:ModifyNetworkInterfaceAttribute": ("interface", "groups"),
    "ec2:CreateNetworkInterfacePermission": ("interface",),
    "ec2:DeleteNetworkInterface": ("interface",),
    "ec2:DeleteNetworkInterfacePermission": ("interface",),
}

Owners = Mapping[str, str]
"""A subnet's, group's or VPC's ID -> the account that owns it (its `OwnerId`): a resource
shared through AWS RAM has the owner's account in its ARN, not the job's."""


def resource_arn(job: JobRequest, kind: str, resource_id: str, owners: Owners | None) -> str:
    """The ARN of a subnet, security group or VPC of the job, in its owner's account."""
    account = (owners or {}).get(resource_id) or job.account
    return ec2_arn(job.partition, job.region, account, kind, resource_id)


def role_resources(job: JobRequest, action: str, owners: Owners | None = None) -> tuple[str, ...]:
    """The ARNs a call of the job's names; `...network-interface/*` stands for new IDs (the
    job's own interfaces, in the job's account even in a shared subnet)."""
    kinds = _ROLE_RESOURCES.get(action)
    if kinds is None:
        return ("*",)
    arns: list[str] = []
    for kind in kinds:
        if kind == "interface":
            arns.append(ec2_arn(job.partition, job.region, job.account, "network-interface", "*"))
        elif kind == "subnets":
            arns += [resource_arn(job, "subnet", s, owners) for s in job.subnets]
        else:
            arns += [resource_arn(job, "security-group", g, owners) for g in job.security_groups]
    return tuple(arns)


def owners_of(
    found: Iterable[Mapping[str, Any]], vpc_id: str | None, vpc_owner: str | None
) -> dict[str, str]:
    """Who owns each subnet and group read (`OwnerId`), and the VPC (its subnets' owner)."""
    owners = {
        str(r.get("SubnetId") or r.get("GroupId")): str(r["OwnerId"])
        for r in found
        if r.get("OwnerId") and (r.get("SubnetId") or r.get("GroupId"))
    }
    if vpc_id and vpc_owner:
        owners[vpc_id] = vpc_owner
    return owners
