"""Shared VPCs (AWS RAM): who owns the job's VPC, who reads it, and the EC2 client that may
read the VPC's own resources (the owner's, through an optional role in its account)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ir_vpc_guard.arns import role_arn
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import Read, undetermined
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2 import EC2Client

    from ir_vpc_guard.discovery.snapshot import SubnetsById

# The reads of the VPC's own resources: in a shared VPC only its owner account may make them
# ("participants cannot view ... resources that belong to the VPC owner", VPC sharing).
OWNER_READS = (
    "network_acls",
    "vpc",
    "dns_support",
    "dhcp_name_servers",
    "route_tables",
    "s3_endpoints",
    "nat_gateways",
    "route_prefix_lists",
)
# Reading them through the optional role in the owner account (granted only when it is set).
OWNER_ROLE_ACTIONS = ("sts:AssumeRole",)
OWNER_SESSION_NAME = "ir-vpc-guard-owner-read"
SHARED_VPC_DOCS = 'docs/deployment.md, "Shared VPCs"'


def owner_of(subnets: Read[SubnetsById], vpc_id: str | None) -> str | None:
    """The account that owns the job's VPC: its subnets' owner (another account's when
    they are shared with the job's through AWS RAM), whoever owns the job's groups (the
    owner may share its groups too, so theirs says nothing about who reads)."""
    found = subnets.value if subnets.ok else None
    owners = [s.get("OwnerId") for s in (found or {}).values() if s.get("VpcId") == vpc_id]
    return next((str(o) for o in owners if o), None)


def owner_ec2(
    wave: Wave,
    clients: AwsClients,
    job: JobRequest,
    *,
    vpc_id: str | None,
    vpc_owner: str | None,
    reader: str,
    read_role: str | None,
) -> Read[EC2Client]:
    """The EC2 client that reads the VPC's own resources: the reading account's, or in a
    shared VPC one through the role named `read_role` in the owner account; else why it
    cannot (undetermined, never an error: nothing failed)."""
    if vpc_id is None or vpc_owner is None or vpc_owner == reader:
        return Read(value=clients.ec2)
    where = (
        f"{vpc_id} is shared with account {reader} by its owner, account {vpc_owner}: "
        "only the owner can read its route tables, endpoints, network ACLs and DNS settings"
    )
    if not read_role:
        return undetermined(
            f"{where}; set VPC_OWNER_READ_ROLE_NAME (template parameter "
            f"VpcOwnerReadRoleName, with VpcOwnerOrganizationId or VpcOwnerAccounts naming "
            f"{vpc_owner}) to read them through a role in {vpc_owner} ({SHARED_VPC_DOCS})"
        )
    arn = role_arn(job.partition, vpc_owner, read_role)
    assumed = wave.result(
        wave.submit("sts:AssumeRole", partial(clients.assumed, arn, OWNER_SESSION_NAME))
    )
    if assumed.error is not None:
        return undetermined(
            f"{where}; assuming {arn} failed ({assumed.error.code}): create that role in "
            f"{vpc_owner} trusting the guardrail's role ({SHARED_VPC_DOCS})"
        )
    return Read(value=assumed.get().ec2)
