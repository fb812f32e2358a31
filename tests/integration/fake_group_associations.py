"""A narrow fake of the two EC2 calls of security group VPC associations.

moto (5.2.5) implements neither AssociateSecurityGroupVpc nor
DescribeSecurityGroupVpcAssociations (a Python NotImplementedError in-process). These
botocore `before-call` hooks answer exactly those two operations, shaped as the EC2 API
reference documents them; the group and the VPC are looked up in moto, and AWS's refusal
to associate a group with its own VPC is kept. Every other call still goes to moto.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError


class _Http:
    status_code = 200


class FakeGroupAssociations:
    """The associations made through the clients whose `events` (a session's, or one
    client's `meta.events`) these hooks join, in the account of `ec2`."""

    def __init__(self, events: Any, ec2: Any) -> None:
        self.ec2 = ec2  # a moto client of the account that owns the groups
        self.associations: list[dict[str, str]] = []
        self.asked: list[dict[str, set[str]]] = []  # each Describe's filters
        events.register("before-call.ec2.AssociateSecurityGroupVpc", self._associate)
        events.register("before-call.ec2.DescribeSecurityGroupVpcAssociations", self._describe)

    def _associate(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        body = params["body"]
        group_id, vpc_id = body["GroupId"], body["VpcId"]
        (group,) = self.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
        (vpc,) = self.ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        if group["VpcId"] == vpc_id:
            error: Any = {"Code": "InvalidParameterValue", "Message": "the group's own VPC"}
            raise ClientError({"Error": error}, "AssociateSecurityGroupVpc")
        self.associations.append(
            {
                "GroupId": group_id,
                "VpcId": vpc_id,
                "VpcOwnerId": vpc["OwnerId"],
                "GroupOwnerId": group["OwnerId"],
                "State": "associated",
            }
        )
        return _Http(), {"State": "associated"}

    def _describe(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        filters = _filters(params["body"])
        self.asked.append(filters)
        keys = {
            "group-id": "GroupId",
            "group-owner-id": "GroupOwnerId",
            "vpc-id": "VpcId",
            "vpc-owner-id": "VpcOwnerId",
            "state": "State",
        }
        found = [
            a
            for a in self.associations
            if all(a[keys[name]] in values for name, values in filters.items())
        ]
        return _Http(), {"SecurityGroupVpcAssociations": found}


def _filters(body: dict[str, str]) -> dict[str, set[str]]:
    """The query's Filter.N.Name / Filter.N.Value.M pairs, by name."""
    names = {m[1]: v for k, v in body.items() if (m := re.fullmatch(r"Filter\.(\d+)\.Name", k))}
    values: dict[str, set[str]] = {name: set() for name in names.values()}
    for key, value in body.items():
        if m := re.fullmatch(r"Filter\.(\d+)\.Value\.\d+", key):
            values[names[m[1]]].add(value)
    return values
