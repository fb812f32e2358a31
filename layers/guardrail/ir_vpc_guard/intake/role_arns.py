"""R8: the ARNs each EC2 call of the job's execution role names, known from the request
alone: discovery asks the policy simulator about them, the identity check evaluates the
role's own policies on them."""

from __future__ import annotations

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


def role_resources(job: JobRequest, action: str) -> tuple[str, ...]:
    """The ARNs a call of the job's names; `...network-interface/*` stands for new IDs."""
    kinds = _ROLE_RESOURCES.get(action)
    if kinds is None:
        return ("*",)
    arns: list[str] = []
    for kind in kinds:
        if kind == "interface":
            arns.append(ec2_arn(job.partition, job.region, job.account, "network-interface", "*"))
        elif kind == "subnets":
            arns += [
                ec2_arn(job.partition, job.region, job.account, "subnet", s) for s in job.subnets
            ]
        else:
            arns += [
                ec2_arn(job.partition, job.region, job.account, "security-group", g)
                for g in job.security_groups
            ]
    return tuple(arns)
