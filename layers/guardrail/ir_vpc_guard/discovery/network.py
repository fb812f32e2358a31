"""EC2 reads of the job's network: its subnets and groups, then the VPC they are in (its
network ACLs, DNS attribute, DHCP options, route tables and S3 endpoints), then the NAT
gateways the job subnets' route tables send traffic to (only when one does).

Every read is filtered by ID or by vpc-id, so its cost does not grow with the VPC's size.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import Read, not_applicable, unread_as
from ir_vpc_guard.discovery.waves import AwsReadError, Wave, done
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.requirements import AMAZON_PROVIDED_DNS, s3_service_name

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        NatGatewayTypeDef,
        NetworkAclTypeDef,
        RouteTableTypeDef,
        VpcEndpointTypeDef,
        VpcTypeDef,
    )

    from ir_vpc_guard.discovery.snapshot import GroupsById, SubnetsById

# Each read of the snapshot made here, and the IAM actions it may use.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "subnets": ("ec2:DescribeSubnets",),
    "security_groups": ("ec2:DescribeSecurityGroups",),
    "network_acls": ("ec2:DescribeNetworkAcls",),
    "vpc": ("ec2:DescribeVpcs",),
    "dns_support": ("ec2:DescribeVpcAttribute",),
    "dhcp_name_servers": ("ec2:DescribeDhcpOptions",),
    "route_tables": ("ec2:DescribeRouteTables",),
    "s3_endpoints": ("ec2:DescribeVpcEndpoints",),
    "nat_gateways": ("ec2:DescribeNatGateways",),
}


@dataclass(frozen=True, eq=False, repr=False)
class VpcReads:
    """The reads of the VPC's own resources, in flight (the DHCP options wait for the VPC)."""

    network_acls: Future[Read[list[NetworkAclTypeDef]]]
    vpc: Future[Read[VpcTypeDef]]
    dns_support: Future[Read[bool]]
    route_tables: Future[Read[list[RouteTableTypeDef]]]
    s3_endpoints: Future[Read[list[VpcEndpointTypeDef]]]


# --- In flight ---------------------------------------------------------------------------
# The job's subnets and groups are read with the job account's clients, made in the
# reading thread (a cold client's set-up overlaps the other reads).
def submit_subnets(
    wave: Wave, clients: AwsClients, ids: tuple[str, ...]
) -> Future[Read[SubnetsById]]:
    return wave.submit("ec2:DescribeSubnets", lambda: read_subnets(clients.ec2, ids))


def submit_security_groups(
    wave: Wave, clients: AwsClients, ids: tuple[str, ...]
) -> Future[Read[GroupsById]]:
    return wave.submit("ec2:DescribeSecurityGroups", lambda: read_security_groups(clients.ec2, ids))


def submit_vpc_reads(
    wave: Wave, owner: Read[EC2Client], job: JobRequest, vpc_id: str | None
) -> VpcReads:
    """The network ACLs of the job's subnets, and the VPC, its DNS attribute, route tables
    and S3 endpoints, read with the EC2 client of the VPC's owner (`owner`); without one,
    each read carries why."""
    ec2 = owner.value
    if ec2 is None:
        unread = done(unread_as(owner))
        return VpcReads(unread, unread, unread, unread, unread)
    acls = wave.submit("ec2:DescribeNetworkAcls", partial(read_network_acls, ec2, job.subnets))
    if vpc_id is None:
        missing = done(not_applicable("no job subnet or group was found, so no VPC"))
        return VpcReads(acls, missing, missing, missing, missing)
    return VpcReads(
        network_acls=acls,
        vpc=wave.submit("ec2:DescribeVpcs", partial(read_vpc, ec2, vpc_id)),
        dns_support=wave.submit("ec2:DescribeVpcAttribute", partial(read_dns_support, ec2, vpc_id)),
        route_tables=wave.submit(
            "ec2:DescribeRouteTables", partial(read_route_tables, ec2, vpc_id)
        ),
        s3_endpoints=submit_s3_endpoints(wave, ec2, vpc_id, job.region),
    )


def submit_s3_endpoints(
    wave: Wave, ec2: EC2Client, vpc_id: str, region: str
) -> Future[Read[list[VpcEndpointTypeDef]]]:
    return wave.submit("ec2:DescribeVpcEndpoints", partial(read_s3_endpoints, ec2, vpc_id, region))


def dhcp_name_servers(
    wave: Wave, owner: Read[EC2Client], vpc: Read[VpcTypeDef]
) -> Read[tuple[str, ...]]:
    """The name servers of the DHCP options the VPC names, read once the VPC is known."""
    ec2 = owner.value
    if not vpc.ok or ec2 is None:  # (the VPC is only ever read with the owner's client)
        # The same error (or reason) as the VPC read it depends on.
        return unread_as(vpc)
    options_id: str = vpc.get().get("DhcpOptionsId", "default")
    if options_id == "default":  # no options set: instances use the Amazon-provided DNS
        return Read(value=(AMAZON_PROVIDED_DNS,))
    read = partial(read_dhcp_name_servers, ec2, options_id)
    return wave.result(wave.submit("ec2:DescribeDhcpOptions", read))


def job_route_tables(
    tables: list[RouteTableTypeDef], subnet_ids: tuple[str, ...]
) -> list[RouteTableTypeDef]:
    """The tables the job subnets use: their explicit associations, and the main table when
    one of them has none."""
    explicit = {
        a["SubnetId"]: t
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId") in subnet_ids
    }
    used = [explicit[s] for s in subnet_ids if s in explicit]
    if len(explicit) < len(subnet_ids):
        used += [t for t in tables if any(a.get("Main") for a in t.get("Associations", []))]
    return list({t["RouteTableId"]: t for t in used}.values())


def submit_nat_gateways(
    wave: Wave, owner: Read[EC2Client], route_tables: Read[list[RouteTableTypeDef]], job: JobRequest
) -> Future[Read[dict[str, NatGatewayTypeDef]]]:
    """The NAT gateways the job subnets' tables route to, in one call filtered by their IDs;
    no call when no such route is in play (whether a NAT reaches S3 depends on its type and
    on its own subnet's table)."""
    ec2 = owner.value
    if ec2 is None or not route_tables.ok:  # (the tables are only read with the owner's client)
        return done(unread_as(route_tables))
    nat_ids = sorted(
        {
            str(r["NatGatewayId"])
            for t in job_route_tables(route_tables.get(), job.subnets)
            for r in t.get("Routes", [])
            if r.get("NatGatewayId")
        }
    )
    if not nat_ids:
        return done(Read(value={}))
    return wave.submit("ec2:DescribeNatGateways", partial(read_nat_gateways, ec2, nat_ids))


def vpc_of(subnets: Read[SubnetsById], groups: Read[GroupsById]) -> str | None:
    """The job's VPC: where most of its subnets are (else its groups)."""
    for read in (subnets, groups):
        if read.ok and read.get():
            counts = Counter(item.get("VpcId") for item in read.get().values())
            vpc, _ = counts.most_common(1)[0]
            if isinstance(vpc, str):
                return vpc
    return None


# --- The reads ---------------------------------------------------------------------------
def read_subnets(ec2: EC2Client, ids: tuple[str, ...]) -> SubnetsById:
    # A filter (not SubnetIds=) so that one missing ID does not hide the others.
    pages = ec2.get_paginator("describe_subnets").paginate(
        Filters=[{"Name": "subnet-id", "Values": list(ids)}]
    )
    found = (subnet for page in pages for subnet in page.get("Subnets", []))
    return {s["SubnetId"]: s for s in found if s.get("SubnetId") in ids}


def read_security_groups(ec2: EC2Client, ids: tuple[str, ...]) -> GroupsById:
    pages = ec2.get_paginator("describe_security_groups").paginate(
        Filters=[{"Name": "group-id", "Values": list(ids)}]
    )
    found = (group for page in pages for group in page.get("SecurityGroups", []))
    return {g["GroupId"]: g for g in found if g.get("GroupId") in ids}


def read_network_acls(ec2: EC2Client, subnet_ids: tuple[str, ...]) -> list[NetworkAclTypeDef]:
    pages = ec2.get_paginator("describe_network_acls").paginate(
        Filters=[{"Name": "association.subnet-id", "Values": list(subnet_ids)}]
    )
    return [acl for page in pages for acl in page.get("NetworkAcls", [])]


def read_vpc(ec2: EC2Client, vpc_id: str) -> VpcTypeDef:
    vpcs = ec2.describe_vpcs(VpcIds=[vpc_id]).get("Vpcs", [])
    if not vpcs:
        raise AwsReadError("InvalidVpcID.NotFound", f"VPC {vpc_id} not found")
    return vpcs[0]


def read_dns_support(ec2: EC2Client, vpc_id: str) -> bool:
    answer = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")
    return bool(answer["EnableDnsSupport"]["Value"])


def read_dhcp_name_servers(ec2: EC2Client, options_id: str) -> tuple[str, ...]:
    sets = ec2.describe_dhcp_options(DhcpOptionsIds=[options_id]).get("DhcpOptions", [{}])
    configs = sets[0].get("DhcpConfigurations", [])
    return tuple(
        value["Value"]
        for config in configs
        if config.get("Key") == "domain-name-servers"
        for value in config.get("Values", [])
    )


def read_route_tables(ec2: EC2Client, vpc_id: str) -> list[RouteTableTypeDef]:
    # All tables of the VPC in one call: the main table and every explicit association.
    pages = ec2.get_paginator("describe_route_tables").paginate(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )
    return [table for page in pages for table in page.get("RouteTables", [])]


def read_nat_gateways(ec2: EC2Client, nat_ids: list[str]) -> dict[str, NatGatewayTypeDef]:
    # A filter (not NatGatewayIds=) so that one deleted NAT does not hide the others.
    pages = ec2.get_paginator("describe_nat_gateways").paginate(
        Filters=[{"Name": "nat-gateway-id", "Values": nat_ids}]
    )
    found = (nat for page in pages for nat in page.get("NatGateways", []))
    return {str(n["NatGatewayId"]): n for n in found if n.get("NatGatewayId") in nat_ids}


def read_s3_endpoints(ec2: EC2Client, vpc_id: str, region: str) -> list[VpcEndpointTypeDef]:
    pages = ec2.get_paginator("describe_vpc_endpoints").paginate(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "service-name", "Values": [s3_service_name(region)]},
        ]
    )
    return [endpoint for page in pages for endpoint in page.get("VpcEndpoints", [])]
