"""Shared VPCs (AWS RAM): the owner's network read through its read role, or undetermined
without it, and apply mode never writing in the owner's account.

moto holds both accounts in one backend: credentials from `sts.assume_role` on a role ARN
of another account act in that account. It cannot share subnets through RAM, and it gives
each account its own random S3 prefix list ID (AWS: one per region, the same for every
account): only those two answers of the job account are faked, by `_share`. moto does
not check a role's trust policy either: a refused AssumeRole is faked where it is tested.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.requirements import s3_service_name
from ir_vpc_guard.settings import Settings
from ir_vpc_guard_dev.sandbox import World, build_world, set_group_egress
from tests.conftest import REGION, load_event
from tests.integration.calls import _Http, clients_factory, counting_session
from tests.vpc_owner import OWNER, READ_ROLE, owner_session

OWNER_CHECKS = {
    "S3_ENDPOINT_MISSING",
    "S3_ENDPOINT_ROUTE_MISSING",
    "S3_ENDPOINT_POLICY_DENIES",
    "NACL_BLOCKS_S3",
    "NACL_BLOCKS_SUBNETS",
    "VPC_DNS_DISABLED",
    "VPC_CUSTOM_DNS",
}


def _owner_network(owner: Any, *, with_endpoint: bool) -> tuple[str, list[str]]:
    """The owner's VPC and two subnets on one route table (with the S3 endpoint or not);
    the default network ACL."""
    ec2 = owner.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    if with_endpoint:
        ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=s3_service_name(REGION),
            VpcEndpointType="Gateway",
            RouteTableIds=[table],
        )
    return vpc_id, subnets


def _shared_world(aws: Any, *, with_endpoint: bool, group_egress: str) -> tuple[World, Any]:
    """The owner's network in its account; the job's group (in the owner's VPC, as a
    participant may create), role and model in the job account."""
    owner = owner_session(aws)
    vpc_id, subnets = _owner_network(owner, with_endpoint=with_endpoint)
    own = build_world(aws, REGION)  # the job account's role and model (its VPC is unused)
    ec2 = aws.client("ec2")
    group = ec2.create_security_group(
        GroupName="ir-job-shared", Description="job group", VpcId=vpc_id
    )["GroupId"]
    set_group_egress(ec2, group, group_egress, own.prefix_list_id)
    return replace(own, vpc_id=vpc_id, subnet_ids=subnets, group_ids=[group]), owner


def _share(session: Any, owner: Any, world: World) -> None:
    """Fake what moto cannot express: the job account's DescribeSubnets answers the owner's
    shared subnets (with their OwnerId), and its DescribePrefixLists answers the region's S3
    list as AWS does (one ID for every account, with its Cidrs)."""
    owner_ec2 = owner.client("ec2")
    subnets = owner_ec2.describe_subnets(SubnetIds=world.subnet_ids)["Subnets"]
    listed = owner_ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [s3_service_name(REGION)]}]
    )["PrefixLists"][0]
    entries = owner_ec2.get_managed_prefix_list_entries(PrefixListId=listed["PrefixListId"])
    s3_list = {**listed, "Cidrs": [e["Cidr"] for e in entries["Entries"]]}
    session.events.register(
        "before-call.ec2.DescribeSubnets", lambda **_: (_Http(), {"Subnets": subnets})
    )
    session.events.register(
        "before-call.ec2.DescribePrefixLists", lambda **_: (_Http(), {"PrefixLists": [s3_list]})
    )


def _refuse_assume_role(**_: Any) -> None:
    error: Any = {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}
    raise ClientError({"Error": error}, "AssumeRole")


def _check(
    aws: Any,
    settings: Settings,
    *,
    with_endpoint: bool = True,
    group_egress: str = "compliant",
    refused: bool = False,
) -> tuple[Report, World, Any]:
    world, owner = _shared_world(aws, with_endpoint=with_endpoint, group_egress=group_egress)
    owner.client("iam").create_role(RoleName=READ_ROLE, AssumeRolePolicyDocument="{}")
    session = counting_session(Counter())
    _share(session, owner, world)
    if refused:
        session.events.register("before-call.sts.AssumeRole", _refuse_assume_role)
    report = handle_event(world.event(load_event("good_job")), settings, clients_factory(session))
    return report, world, owner


def _by_check(report: Report) -> dict[str, Any]:
    return {f["checkId"]: f for f in report.to_dict()["findings"]}


def test_through_the_read_role_a_compliant_shared_vpc_passes(aws: Any) -> None:
    report, _, _ = _check(aws, Settings(vpc_owner_read_role_name=READ_ROLE))
    body = report.to_dict()
    assert report.outcome.value == "PASS", body["findings"]
    assert body["job"]["vpcOwner"] == OWNER
    assert set(body["summary"]["checks"]["passed"]) >= OWNER_CHECKS


def test_through_the_read_role_a_missing_endpoint_is_a_certain_high(aws: Any) -> None:
    report, _, _ = _check(aws, Settings(vpc_owner_read_role_name=READ_ROLE), with_endpoint=False)
    found = _by_check(report)
    assert found["S3_ENDPOINT_MISSING"]["severity"] == "HIGH"
    assert "undetermined" not in found["S3_ENDPOINT_MISSING"]["evidence"]
    assert "CHECK_ERROR" not in found


@pytest.mark.parametrize("role", [None, READ_ROLE])
def test_without_a_usable_read_role_the_owners_checks_are_undetermined(
    aws: Any, role: str | None
) -> None:
    settings = Settings(vpc_owner_read_role_name=role)
    report, world, _ = _check(aws, settings, with_endpoint=False, refused=role is not None)
    body = report.to_dict()
    found = _by_check(report)
    assert body["job"]["vpcOwner"] == OWNER
    assert "CHECK_ERROR" not in found
    assert set(found) >= OWNER_CHECKS, sorted(found)
    for check in OWNER_CHECKS:
        finding = found[check]
        assert finding["severity"] == "MEDIUM", finding
        why = finding["evidence"]["undetermined"]
        assert OWNER in why and 'docs/deployment.md, "Shared VPCs"' in why
        assert ("VPC_OWNER_READ_ROLE_NAME" in why) == (role is None)
        assert ("AccessDenied" in why) == (role is not None)
        # The command is the owner's read that answers it, not a change.
        command = finding["remediation"]["command"]
        assert command.startswith("aws ec2 describe-") and command.endswith(f"# as account {OWNER}")
        assert world.vpc_id in command
    # The job account's own reads still give verdicts.
    assert set(body["summary"]["checks"]["passed"]) - OWNER_CHECKS
    assert report.outcome.value == "WARN"


def test_apply_without_the_role_writes_only_the_jobs_own_group(aws: Any) -> None:
    report, world, owner = _check(
        aws, Settings(remediation_mode=Mode.APPLY), with_endpoint=False, group_egress="none"
    )
    owner_ec2 = owner.client("ec2")
    endpoints = owner_ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )["VpcEndpoints"]
    assert endpoints == [], "nothing is written in the owner's account"
    (group,) = aws.client("ec2").describe_security_groups(GroupIds=world.group_ids)[
        "SecurityGroups"
    ]
    assert group["IpPermissionsEgress"], "the job's own group got its missing egress rules"
    applied = {a["action"] for a in report.to_dict()["actions"] if a["status"] == "APPLIED"}
    assert applied and all("egress" in a for a in applied), report.to_dict()["actions"]


def test_apply_with_the_role_skips_the_owners_endpoint_with_the_reason(aws: Any) -> None:
    report, world, owner = _check(
        aws,
        Settings(remediation_mode=Mode.APPLY, vpc_owner_read_role_name=READ_ROLE),
        with_endpoint=False,
    )
    actions = {a["action"]: a for a in report.to_dict()["actions"]}
    create = actions["create-s3-gateway-endpoint"]
    assert create["status"] == "SKIPPED"
    assert OWNER in create["reason"] and "never writes another account" in create["reason"]
    assert not owner.client("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )["VpcEndpoints"]
