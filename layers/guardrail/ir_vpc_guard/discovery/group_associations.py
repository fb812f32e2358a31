"""EC2 read of security group VPC associations (AssociateSecurityGroupVpc): a job group of
another VPC than the subnets' may be associated with the job's VPC, and interfaces there may
then use it. Read only when a job group's VPC differs from the subnets' (the common case,
every group in the subnets' VPC, costs no call)."""

from __future__ import annotations

from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING

from ir_vpc_guard.discovery.snapshot import Read, not_applicable, unread_as
from ir_vpc_guard.discovery.waves import Wave, done

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2 import EC2Client

    from ir_vpc_guard.discovery.snapshot import GroupsById

# The read of the snapshot made here, and the IAM action it uses.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "group_vpc_associations": ("ec2:DescribeSecurityGroupVpcAssociations",),
}


def strays(groups: Read[GroupsById], vpc_id: str) -> tuple[str, ...]:
    """The job groups found in another VPC than the job's."""
    return tuple(gid for gid, group in groups.get().items() if group.get("VpcId") != vpc_id)


def submit(
    wave: Wave, ec2: EC2Client, groups: Read[GroupsById], vpc_id: str | None
) -> Future[Read[dict[str, str]]]:
    """The stray groups' associations with the job's VPC: none to read without a stray."""
    if not groups.ok:
        return done(unread_as(groups))
    if vpc_id is None:
        return done(not_applicable("no job subnet or group was found, so no VPC"))
    stray = strays(groups, vpc_id)
    if not stray:
        return done(Read(value={}))
    read = partial(read_associations, ec2, stray, vpc_id)
    return wave.submit("ec2:DescribeSecurityGroupVpcAssociations", read)


def read_associations(ec2: EC2Client, group_ids: tuple[str, ...], vpc_id: str) -> dict[str, str]:
    """Each group's association state with `vpc_id` (a group absent has none)."""
    pages = ec2.get_paginator("describe_security_group_vpc_associations").paginate(
        Filters=[
            {"Name": "group-id", "Values": list(group_ids)},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )
    return {
        str(found["GroupId"]): str(found.get("State", ""))
        for page in pages
        for found in page.get("SecurityGroupVpcAssociations", [])
        if found.get("GroupId") in group_ids and found.get("VpcId") == vpc_id
    }
