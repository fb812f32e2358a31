"""Shared VPCs (AWS RAM): the owner's network read through its read role, or undetermined
without it, and apply mode never writing in the owner's account.

moto holds both accounts in one backend: credentials from `sts.assume_role` on a role ARN
of another account act in that account. It cannot share subnets or security groups through
RAM, and it gives each account its own random S3 prefix list ID (AWS: one per region, the
same for every account): only those answers of the job account are faked, by `_share`. moto
does not check a role's trust policy either: a refused AssumeRole is faked where it is tested.
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
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world, set_group_egress
from tests.conftest import REGION, load_event
from tests.integration.calls import _Http, clients_factory, counting_session
from tests.integration.fake_recommender import FakeRecommender
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


def _shared_world(
    aws: Any, *, with_endpoint: bool, group_egress: str, owners_group: bool = False
) -> tuple[World, Any]:
    """The owner's network in its account; the job's role and model in the job account, and
    its group in the owner's VPC: the job account's own (as a participant may create), or
    with `owners_group` one the owner made and shares with it (AWS RAM)."""
    owner = owner_session(aws)
    vpc_id, subnets = _owner_network(owner, with_endpoint=with_endpoint)
    own = build_world(aws, REGION)  # the job account's role and model (its VPC is unused)
    ec2 = owner.client("ec2") if owners_group else aws.client("ec2")
    group = ec2.create_security_group(
        GroupName="ir-job-shared", Description="job group", VpcId=vpc_id
    )["GroupId"]
    set_group_egress(ec2, group, group_egress, _s3_list(owner)["PrefixListId"])
    return replace(own, vpc_id=vpc_id, subnet_ids=subnets, group_ids=[group]), owner


def _s3_list(owner: Any) -> dict[str, Any]:
    """The region's S3 prefix list as AWS describes it (with its Cidrs), from the owner's."""
    owner_ec2 = owner.client("ec2")
    listed = owner_ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [s3_service_name(REGION)]}]
    )["PrefixLists"][0]
    entries = owner_ec2.get_managed_prefix_list_entries(PrefixListId=listed["PrefixListId"])
    return {**listed, "Cidrs": [e["Cidr"] for e in entries["Entries"]]}


def _share(session: Any, owner: Any, world: World, own: Any) -> None:
    """Fake what moto cannot express: the job account's DescribeSubnets answers the owner's
    shared subnets (with their OwnerId), its DescribeSecurityGroups the owner's groups it
    names (shared with it; its own as moto has them), and its DescribePrefixLists the
    region's S3 list as AWS does (one ID for every account, with its Cidrs)."""
    owner_ec2 = owner.client("ec2")
    subnets = owner_ec2.describe_subnets(SubnetIds=world.subnet_ids)["Subnets"]
    s3_list = _s3_list(owner)
    own_ec2 = own.client("ec2")

    def groups(**_: Any) -> tuple[_Http, dict[str, Any]]:
        # Read when asked (after a write too): the owner's and the job account's.
        both = [
            g
            for ec2 in (owner_ec2, own_ec2)
            for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupId"] in world.group_ids
        ]
        return _Http(), {"SecurityGroups": both}

    session.events.register(
        "before-call.ec2.DescribeSubnets", lambda **_: (_Http(), {"Subnets": subnets})
    )
    session.events.register("before-call.ec2.DescribeSecurityGroups", groups)
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
    owners_group: bool = False,
    calls: Counter[str] | None = None,
) -> tuple[Report, World, Any]:
    world, owner = _shared_world(
        aws, with_endpoint=with_endpoint, group_egress=group_egress, owners_group=owners_group
    )
    owner.client("iam").create_role(RoleName=READ_ROLE, AssumeRolePolicyDocument="{}")
    session = counting_session(Counter() if calls is None else calls)
    _share(session, owner, world, aws)
    if refused:
        session.events.register("before-call.sts.AssumeRole", _refuse_assume_role)
    event = world.event(load_event("good_job"))
    fake = FakeRecommender(session)
    fake.add(world, event["detail"]["requestParameters"]["jobName"])
    report = handle_event(
        event, settings, clients_factory(session), home_account=world.account, lock=LocalVpcLock()
    )[0]
    assert fake.jobs and all(j["Status"] == "IN_PROGRESS" for j in fake.jobs.values()), (
        "a job in a shared VPC is never stopped on what the guardrail read of it"
    )
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


def test_groups_the_owner_shares_too_are_read_and_its_network_through_the_read_role(
    aws: Any,
) -> None:
    calls: Counter[str] = Counter()
    settings = Settings(vpc_owner_read_role_name=READ_ROLE)
    report, _, _ = _check(aws, settings, owners_group=True, calls=calls)
    body = report.to_dict()
    assert report.outcome.value == "PASS", body["findings"]
    assert body["job"]["vpcOwner"] == OWNER
    assert set(body["summary"]["checks"]["passed"]) >= OWNER_CHECKS
    assert calls["sts.AssumeRole"] == 1


STOP_ALL = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)


@pytest.mark.parametrize("role", [None, READ_ROLE])
@pytest.mark.parametrize("owners_group", [False, True])
def test_what_the_guardrail_could_not_read_is_never_high_planned_written_or_stopped(
    aws: Any, role: str | None, owners_group: bool
) -> None:
    """The owner's network unread (no read role, or refused), with apply and stops on:
    whoever owns the job's group, the owner's checks are MEDIUM, nothing is planned or
    written, and the job runs on (`_check` asserts it)."""
    settings = replace(STOP_ALL, vpc_owner_read_role_name=role)
    report, world, owner = _check(
        aws, settings, with_endpoint=False, refused=role is not None, owners_group=owners_group
    )
    body = report.to_dict()
    found = _by_check(report)
    assert set(found) >= OWNER_CHECKS, sorted(found)
    assert all(f["severity"] != "HIGH" for f in body["findings"]), body["findings"]
    for check in OWNER_CHECKS:
        assert OWNER in found[check]["evidence"]["undetermined"], found[check]
    assert not body.get("actions"), "no change proposed, no stop, on what was not read"
    assert not owner.client("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )["VpcEndpoints"]
    assert report.outcome.value == "WARN"


def test_a_group_shared_into_the_jobs_own_vpc_leaves_the_vpc_the_jobs(aws: Any) -> None:
    """The job account owns the subnets (so the VPC), the group is another account's: the
    VPC is not shared and the job account reads it itself, without the read role."""
    world = build_world(aws, REGION)

    def shared_group(parsed: dict[str, Any], **_: Any) -> None:
        # What moto cannot express: the group belongs to another account (AWS RAM).
        for group in parsed.get("SecurityGroups", []):
            group["OwnerId"] = OWNER

    calls: Counter[str] = Counter()
    session = counting_session(calls)
    session.events.register("after-call.ec2.DescribeSecurityGroups", shared_group)
    settings = Settings(vpc_owner_read_role_name=READ_ROLE)
    event = world.event(load_event("good_job"))
    report = handle_event(
        event, settings, clients_factory(session), home_account=world.account, lock=LocalVpcLock()
    )[0]
    body = report.to_dict()
    assert report.outcome.value == "PASS", body["findings"]
    assert "vpcOwner" not in body["job"]
    assert set(body["summary"]["checks"]["passed"]) >= OWNER_CHECKS
    assert "sts.AssumeRole" not in calls


def test_apply_never_writes_a_group_the_owner_shares(aws: Any) -> None:
    settings = Settings(remediation_mode=Mode.APPLY, vpc_owner_read_role_name=READ_ROLE)
    report, world, owner = _check(aws, settings, group_egress="none", owners_group=True)
    (group,) = owner.client("ec2").describe_security_groups(GroupIds=world.group_ids)[
        "SecurityGroups"
    ]
    assert group["IpPermissionsEgress"] == [], "the owner's group is left as it was"
    actions = [a for a in report.to_dict()["actions"] if a["action"] != "stop-job"]
    assert actions and all(a["status"] == "SKIPPED" for a in actions), actions
    assert all("never writes another account's resources" in a["reason"] for a in actions)


def test_without_the_vpcs_endpoints_a_missing_egress_rule_is_not_certain(aws: Any) -> None:
    """An S3 interface endpoint the guardrail could not see would take S3's traffic to its
    own interfaces: the missing prefix-list rule is undetermined, never HIGH or written."""
    report, world, _ = _check(
        aws, Settings(remediation_mode=Mode.APPLY), group_egress="none", owners_group=False
    )
    egress = _by_check(report)["SG_EGRESS_S3_MISSING"]
    assert egress["severity"] == "MEDIUM" and world.vpc_id in egress["evidence"]["undetermined"]
    assert "describe-vpc-endpoints" in egress["remediation"]["command"]
    written = [a for a in report.to_dict()["actions"] if a["status"] == "APPLIED"]
    assert all(a["checkId"] != "SG_EGRESS_S3_MISSING" for a in written), written
