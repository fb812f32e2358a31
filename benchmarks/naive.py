"""The baseline: what a quick script does to check a job's network.

It lists every subnet, security group, route table, VPC endpoint and network ACL of the
account and region (no filters), one call after the other, then scans the lists for the
job's subnets and groups. It checks only three things (the product checks about twenty):
each subnet exists, each subnet's route table (explicit, else the VPC's main one) has an S3
gateway endpoint, and some job group allows TCP 443 out. It pages honestly, at each API's
maximum page size: MaxResults 1000 for DescribeSubnets, DescribeSecurityGroups and
DescribeVpcEndpoints, 100 for DescribeRouteTables and DescribeNetworkAcls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ir_vpc_guard.requirements import s3_service_name

# (operation, result key, the API's largest page)
LISTINGS = (
    ("describe_subnets", "Subnets", 1000),
    ("describe_security_groups", "SecurityGroups", 1000),
    ("describe_route_tables", "RouteTables", 100),
    ("describe_vpc_endpoints", "VpcEndpoints", 1000),
    ("describe_network_acls", "NetworkAcls", 100),
)
HTTPS = 443


@dataclass
class NaiveResult:
    problems: list[str] = field(default_factory=list)
    items_listed: int = 0

    @property
    def outcome(self) -> str:
        return "FAIL" if self.problems else "PASS"


def list_all(ec2: Any, operation: str, key: str, page_size: int) -> list[dict[str, Any]]:
    pages = ec2.get_paginator(operation).paginate(PaginationConfig={"PageSize": page_size})
    return [item for page in pages for item in page.get(key, [])]


def naive_check(ec2: Any, subnet_ids: list[str], group_ids: list[str], region: str) -> NaiveResult:
    """List everything, then scan it for the job's subnets and groups."""
    listed = {key: list_all(ec2, op, key, size) for op, key, size in LISTINGS}
    result = NaiveResult(items_listed=sum(len(items) for items in listed.values()))
    subnets = {s["SubnetId"]: s for s in listed["Subnets"]}
    for subnet_id in subnet_ids:
        subnet = subnets.get(subnet_id)
        if subnet is None:
            result.problems.append(f"{subnet_id}: not found")
        elif not _has_s3_endpoint(subnet, listed, region):
            result.problems.append(f"{subnet_id}: no S3 endpoint on its route table")
    groups = [g for g in listed["SecurityGroups"] if g["GroupId"] in group_ids]
    if not any(_allows_https(rule) for g in groups for rule in g.get("IpPermissionsEgress", [])):
        result.problems.append("no job group allows TCP 443 out")
    return result


def _route_table_of(subnet: dict[str, Any], tables: list[dict[str, Any]]) -> str | None:
    vpc_tables = [t for t in tables if t.get("VpcId") == subnet["VpcId"]]
    for table in vpc_tables:
        if any(a.get("SubnetId") == subnet["SubnetId"] for a in table.get("Associations", [])):
            return str(table["RouteTableId"])
    for table in vpc_tables:
        if any(a.get("Main") for a in table.get("Associations", [])):
            return str(table["RouteTableId"])
    return None


def _has_s3_endpoint(subnet: dict[str, Any], listed: dict[str, Any], region: str) -> bool:
    table = _route_table_of(subnet, listed["RouteTables"])
    return any(
        e.get("ServiceName") == s3_service_name(region) and table in e.get("RouteTableIds", [])
        for e in listed["VpcEndpoints"]
    )


def _allows_https(rule: dict[str, Any]) -> bool:
    if rule.get("IpProtocol") == "-1":
        return True
    return rule.get("IpProtocol") == "tcp" and rule["FromPort"] <= HTTPS <= rule["ToPort"]
