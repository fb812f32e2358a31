"""Shared VPCs: the owner's resources are read through the read role in its account, or
are undetermined (never an error, never a pass) with the reason and what to do."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery import network, prefix_lists, shared_vpc
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.discovery.snapshot import Read, failed
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard_dev.sandbox import World
from tests.vpc_owner import OWNER, READ_ROLE, owner_session

if TYPE_CHECKING:
    from ir_vpc_guard.discovery.snapshot import SubnetsById

READER = "123456789012"  # moto's default account: the job's


def _owner(
    wave: Wave, clients: AwsClients, job: JobRequest, vpc_id: str | None, role: str | None
) -> Read[Any]:
    return shared_vpc.owner_ec2(
        wave, clients, job, vpc_id=vpc_id, vpc_owner=OWNER, reader=READER, read_role=role
    )


def test_the_owner_is_the_subnets_owner() -> None:
    subnets: Read[SubnetsById] = Read(
        value={
            "subnet-a": {"VpcId": "vpc-1", "OwnerId": OWNER},
            "subnet-b": {"VpcId": "vpc-2", "OwnerId": "222222222222"},
        }
    )
    assert shared_vpc.owner_of(subnets, "vpc-1") == OWNER
    assert shared_vpc.owner_of(subnets, "vpc-3") is None
    unread = failed("ec2:DescribeSubnets", "AccessDenied")
    assert shared_vpc.owner_of(unread, "vpc-1") is None


def test_in_the_readers_own_vpc_its_own_client_reads(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    for vpc_owner, vpc_id in ((READER, "vpc-1"), (None, "vpc-1"), (OWNER, None)):
        owner = shared_vpc.owner_ec2(
            wave, clients, job, vpc_id=vpc_id, vpc_owner=vpc_owner, reader=READER, read_role=None
        )
        assert owner.value is clients.ec2
    assert calls == Counter()


def test_without_a_read_role_the_owners_resources_are_undetermined(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    owner = _owner(wave, clients, job, "vpc-1", None)
    assert owner.error is None and owner.value is None
    why = owner.undetermined or ""
    assert OWNER in why and READER in why and "vpc-1" in why
    assert "VPC_OWNER_READ_ROLE_NAME" in why and shared_vpc.SHARED_VPC_DOCS in why
    assert calls == Counter()


def test_through_the_read_role_the_owners_vpc_is_read(
    aws: Any, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    vpc_id = owner_session(aws).client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    owner = _owner(wave, clients, job, vpc_id, READ_ROLE)
    assert calls == Counter({"sts.AssumeRole": 1})
    assert network.read_vpc(owner.get(), vpc_id)["OwnerId"] == OWNER
    # The job account's own client does not see the owner's VPC.
    assert wave.result(
        wave.submit("ec2:DescribeVpcs", lambda: network.read_vpc(clients.ec2, vpc_id))
    ).error


def test_a_refused_read_role_is_undetermined_with_the_reason(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied"}}, "AssumeRole")

    clients.sts.meta.events.register("before-call.sts.AssumeRole", refuse)
    owner = _owner(wave, clients, job, "vpc-1", READ_ROLE)
    why = owner.undetermined or ""
    assert f"arn:aws:iam::{OWNER}:role/{READ_ROLE}" in why
    assert "AccessDenied" in why and shared_vpc.SHARED_VPC_DOCS in why
    assert owner.error is None and owner.value is None


def test_the_owner_reads_are_exactly_the_vpcs_own_resources() -> None:
    in_flight = {f.name for f in dataclasses.fields(network.VpcReads)}
    # Read once the VPC and its tables are known: its DHCP options, and the NAT gateways and
    # customer prefix lists the job subnets' tables route to.
    later = {"dhcp_name_servers", "nat_gateways", "route_prefix_lists"}
    assert set(shared_vpc.OWNER_READS) == in_flight | later
    assert set(shared_vpc.OWNER_READS) <= set(network.READ_ACTIONS) | set(prefix_lists.READ_ACTIONS)


def _owned_by(account: str, key: str) -> Any:
    """What moto cannot express (AWS RAM): the answer's subnets or groups are `account`'s."""

    def shared(parsed: dict[str, Any], **_: Any) -> None:
        for item in parsed.get(key, []):
            item["OwnerId"] = account

    return shared


@pytest.mark.parametrize("groups_shared_too", [False, True])
def test_a_shared_vpc_without_a_read_role_makes_only_the_job_accounts_reads(
    world: World,
    clients: AwsClients,
    calls: Counter[str],
    job: JobRequest,
    groups_shared_too: bool,
) -> None:
    """Shared is the subnets' owner against the reading account, whoever owns the groups:
    the owner may share its groups with the job's account too."""
    clients.ec2.meta.events.register("after-call.ec2.DescribeSubnets", _owned_by(OWNER, "Subnets"))
    if groups_shared_too:
        clients.ec2.meta.events.register(
            "after-call.ec2.DescribeSecurityGroups", _owned_by(OWNER, "SecurityGroups")
        )
    snapshot = Discovery(clients).discover(job)
    assert (snapshot.vpc_owner, snapshot.reader_account) == (OWNER, READER)
    assert snapshot.shared_vpc
    for name in shared_vpc.OWNER_READS:
        read = snapshot.read(name)
        assert read.undetermined and OWNER in read.undetermined, name
        assert read.error is None and read.value is None, name
    assert snapshot.subnets.ok and snapshot.security_groups.ok and snapshot.role.ok
    owner_calls = {
        "ec2." + a.split(":")[1]
        for r in shared_vpc.OWNER_READS
        for a in {**network.READ_ACTIONS, **prefix_lists.READ_ACTIONS}[r]
    } - {"ec2.GetManagedPrefixListEntries"}  # (the job account reads the S3 list's entries)
    assert not owner_calls & set(calls), calls


def test_a_group_of_another_account_in_the_jobs_own_vpc_is_no_shared_vpc(
    world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    clients.ec2.meta.events.register(
        "after-call.ec2.DescribeSecurityGroups", _owned_by(OWNER, "SecurityGroups")
    )
    snapshot = Discovery(clients, owner_read_role=READ_ROLE).discover(job)
    assert (snapshot.vpc_owner, snapshot.reader_account) == (READER, READER)
    assert not snapshot.shared_vpc
    assert all(snapshot.read(name).ok for name in shared_vpc.OWNER_READS)
    assert "sts.AssumeRole" not in calls


def test_the_reading_account_is_the_credentials_not_the_jobs(
    world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    """A job checked with the VPC owner's own credentials (a replay allowed across
    accounts): the owner reads its VPC itself."""
    clients.ec2.meta.events.register("after-call.ec2.DescribeSubnets", _owned_by(OWNER, "Subnets"))
    snapshot = Discovery(clients, reader_account=OWNER).discover(job)
    assert (snapshot.vpc_owner, snapshot.reader_account) == (OWNER, OWNER)
    assert not snapshot.shared_vpc
    assert all(snapshot.read(name).ok for name in shared_vpc.OWNER_READS)
