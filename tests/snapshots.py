"""Hand-built snapshots for unit tests of the pure checks: a compliant baseline to vary."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from ir_vpc_guard.discovery.snapshot import ModelInfo, PrefixList, Read, RoleAccess, Snapshot
from ir_vpc_guard.intake.request import JobRequest

if TYPE_CHECKING:  # EC2's answers, as the boto3 stubs type them
    from mypy_boto3_ec2.type_defs import (
        NetworkAclTypeDef,
        RouteTableTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        VpcEndpointTypeDef,
    )

# The builders below return EC2's answer types. Their parts (rules, entries, routes) are
# plain dicts that tests vary freely, so each builder that nests them casts what it returns.

VPC = "vpc-1"
SUBNETS = ("subnet-a", "subnet-b")
GROUP = "sg-1"
S3_PL = "pl-s3"
S3_CIDRS = ("52.216.0.0/15", "3.5.0.0/19")
ALL_ACTIONS = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}


def job(**changes: Any) -> JobRequest:
    base = JobRequest(
        job_name="job",
        account="123456789012",
        region="us-east-1",
        event_id="e-1",
        subnets=SUBNETS,
        security_groups=(GROUP,),
        role_arn="arn:aws:iam::123456789012:role/R",
        model_package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1",
    )
    return replace(base, **changes)


def subnet(sid: str, cidr: str, free: int = 250, vpc: str = VPC) -> SubnetTypeDef:
    return {"SubnetId": sid, "CidrBlock": cidr, "AvailableIpAddressCount": free, "VpcId": vpc}


def group(gid: str = GROUP, egress: list[dict[str, Any]] | None = None) -> SecurityGroupTypeDef:
    if egress is None:
        egress = [
            rule("tcp", 443, 443, prefix_lists=[S3_PL]),
            rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"]),
        ]
    found = {
        "GroupId": gid,
        "OwnerId": "123456789012",
        "VpcId": VPC,
        "IpPermissionsEgress": egress,
        "Tags": [],
    }
    return cast("SecurityGroupTypeDef", found)


def rule(
    protocol: str,
    low: int | None = None,
    high: int | None = None,
    *,
    cidrs: list[str] = (),  # type: ignore[assignment]
    prefix_lists: list[str] = (),  # type: ignore[assignment]
    groups: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    permission: dict[str, Any] = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c} for c in cidrs],
        "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists],
        "UserIdGroupPairs": [{"GroupId": g} for g in groups],
    }
    if low is not None:
        permission["FromPort"], permission["ToPort"] = low, high
    return permission


def acl_entry(
    number: int,
    action: str,
    cidr: str,
    *,
    egress: bool,
    protocol: str = "-1",
    ports: tuple[int, int] | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "RuleNumber": number,
        "RuleAction": action,
        "CidrBlock": cidr,
        "Egress": egress,
        "Protocol": protocol,
    }
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def open_acl(acl_id: str = "acl-1", subnets: tuple[str, ...] = SUBNETS) -> NetworkAclTypeDef:
    acl = {
        "NetworkAclId": acl_id,
        "Associations": [{"SubnetId": s} for s in subnets],
        "Entries": [
            acl_entry(100, "allow", "0.0.0.0/0", egress=True),
            acl_entry(100, "allow", "0.0.0.0/0", egress=False),
            acl_entry(32767, "deny", "0.0.0.0/0", egress=True),
            acl_entry(32767, "deny", "0.0.0.0/0", egress=False),
        ],
    }
    return cast("NetworkAclTypeDef", acl)


def route_table(
    rt_id: str,
    subnets: tuple[str, ...] = (),
    main: bool = False,
    routes: list[dict[str, Any]] | None = None,
) -> RouteTableTypeDef:
    associations: list[dict[str, Any]] = [
        {"SubnetId": s, "AssociationState": {"State": "associated"}} for s in subnets
    ]
    if main:
        associations.append({"Main": True})
    table = {"RouteTableId": rt_id, "Associations": associations, "Routes": routes or []}
    return cast("RouteTableTypeDef", table)


def endpoint(
    route_tables: list[str], policy: str | None = None, kind: str = "Gateway"
) -> VpcEndpointTypeDef:
    found: dict[str, Any] = {
        "VpcEndpointId": "vpce-1",
        "VpcEndpointType": kind,
        "State": "available",
        "RouteTableIds": route_tables,
    }
    if policy is not None:
        found["PolicyDocument"] = policy
    return cast("VpcEndpointTypeDef", found)


def compliant(**changes: Any) -> Snapshot:
    """A snapshot that passes every check; override one read to break one thing."""
    base = Snapshot(
        job=job(),
        vpc_id=VPC,
        subnets=Read(
            value={
                "subnet-a": subnet("subnet-a", "10.0.1.0/24"),
                "subnet-b": subnet("subnet-b", "10.0.2.0/24"),
            }
        ),
        security_groups=Read(value={GROUP: group()}),
        network_acls=Read(value=[open_acl()]),
        s3_prefix_list=Read(value=PrefixList(S3_PL, S3_CIDRS)),
        vpc=Read(value={"VpcId": VPC, "DhcpOptionsId": "default", "Tags": []}),
        dns_support=Read(value=True),
        dhcp_name_servers=Read(value=("AmazonProvidedDNS",)),
        route_tables=Read(
            value=[route_table("rtb-main", main=True), route_table("rtb-1", SUBNETS)]
        ),
        s3_endpoints=Read(value=[endpoint(["rtb-1"])]),
        role=Read(value=RoleAccess(policies=({"Statement": [ALL_ACTIONS]},))),
        model=Read(
            value=ModelInfo(source="pkg", artifact_urls=("s3://models/m.tar.gz",), images=())
        ),
        artifact_bucket_policies=Read(value={"models": None}),
        payload_bucket_policies=Read(value={}),
        repository_policies=Read(value={}),
    )
    return replace(base, **changes)
