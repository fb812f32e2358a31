"""The job's network, read from EC2 with one call per resource kind, whatever the VPC's size;
a read that cannot be made carries why (the same reason as what it depends on)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery import network
from ir_vpc_guard.discovery.snapshot import Read, failed, undetermined
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.requirements import AMAZON_PROVIDED_DNS
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION
from tests.refusals import refuse

if TYPE_CHECKING:
    from ir_vpc_guard.discovery.snapshot import GroupsById, SubnetsById

MISSING_SUBNET = "subnet-0000000000000000f"


def of_the_vpc(reads: network.VpcReads) -> list[Future[Read[Any]]]:
    """The reads that need the VPC's ID (the network ACLs are found by the job's subnets)."""
    return [reads.vpc, reads.dns_support, reads.route_tables, reads.s3_endpoints]


def test_only_the_jobs_subnets_and_groups_are_read_in_one_call_each(
    aws: Any, clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    world = build_world(aws, REGION, extra_subnets=40)
    subnets = wave.result(network.submit_subnets(wave, clients, tuple(world.subnet_ids)))
    groups = wave.result(network.submit_security_groups(wave, clients, tuple(world.group_ids)))
    assert set(subnets.get()) == set(world.subnet_ids)
    assert set(groups.get()) == set(world.group_ids)
    assert network.vpc_of(subnets, groups) == world.vpc_id
    assert calls == Counter({"ec2.DescribeSubnets": 1, "ec2.DescribeSecurityGroups": 1})


def test_a_missing_subnet_does_not_hide_the_others(world: World, clients: AwsClients) -> None:
    found = network.read_subnets(clients.ec2, (world.subnet_ids[0], MISSING_SUBNET))
    assert list(found) == [world.subnet_ids[0]]
    assert found[world.subnet_ids[0]]["VpcId"] == world.vpc_id


def test_the_vpc_is_where_most_subnets_are_else_the_groups() -> None:
    subnets: Read[SubnetsById] = Read(
        value={"a": {"VpcId": "vpc-1"}, "b": {"VpcId": "vpc-2"}, "c": {"VpcId": "vpc-2"}}
    )
    groups: Read[GroupsById] = Read(value={"g": {"VpcId": "vpc-3"}})
    assert network.vpc_of(subnets, groups) == "vpc-2"
    assert network.vpc_of(Read(value={}), groups) == "vpc-3"
    assert network.vpc_of(failed("ec2:DescribeSubnets", "AccessDenied"), groups) == "vpc-3"
    assert network.vpc_of(Read(value={}), Read(value={})) is None


def test_the_vpcs_own_resources_are_read_once_each(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    reads = network.submit_vpc_reads(wave, Read(value=clients.ec2), job, world.vpc_id)
    acls = wave.result(reads.network_acls).get()
    vpc = wave.result(reads.vpc)
    tables = wave.result(reads.route_tables).get()
    endpoints = wave.result(reads.s3_endpoints).get()
    assert {a["VpcId"] for a in acls} == {world.vpc_id}
    assert vpc.get()["VpcId"] == world.vpc_id
    assert wave.result(reads.dns_support).get() is True
    assert set(world.route_table_ids) <= {t["RouteTableId"] for t in tables}
    assert [e["VpcEndpointId"] for e in endpoints] == [world.endpoint_id]
    # The VPC names no DHCP options of its own: the Amazon-provided DNS, without a call.
    assert network.dhcp_name_servers(wave, Read(value=clients.ec2), vpc).get() == (
        AMAZON_PROVIDED_DNS,
    )
    assert calls == Counter(
        {
            "ec2.DescribeNetworkAcls": 1,
            "ec2.DescribeVpcs": 1,
            "ec2.DescribeVpcAttribute": 1,
            "ec2.DescribeRouteTables": 1,
            "ec2.DescribeVpcEndpoints": 1,
        }
    )


def test_only_the_s3_gateway_endpoints_are_read(
    aws: Any, world: World, clients: AwsClients
) -> None:
    aws.client("ec2").create_vpc_endpoint(
        VpcId=world.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.dynamodb",
        VpcEndpointType="Gateway",
        RouteTableIds=world.route_table_ids,
    )
    endpoints = network.read_s3_endpoints(clients.ec2, world.vpc_id, REGION)
    assert [e["VpcEndpointId"] for e in endpoints] == [world.endpoint_id]


def test_custom_dhcp_options_are_read_for_their_name_servers(
    aws: Any, world: World, clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    ec2 = aws.client("ec2")
    options = ec2.create_dhcp_options(
        DhcpConfigurations=[
            {"Key": "domain-name-servers", "Values": ["10.0.0.53", "10.0.1.53"]},
            {"Key": "domain-name", "Values": ["corp.example"]},
        ]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=world.vpc_id)
    owner = Read(value=clients.ec2)
    vpc = Read(value=network.read_vpc(clients.ec2, world.vpc_id))
    servers = network.dhcp_name_servers(wave, owner, vpc)
    assert servers.get() == ("10.0.0.53", "10.0.1.53")
    assert calls == Counter({"ec2.DescribeVpcs": 1, "ec2.DescribeDhcpOptions": 1})


def test_a_vpc_that_is_not_found_is_an_error_and_its_options_carry_it(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    reads = network.submit_vpc_reads(wave, Read(value=clients.ec2), job, "vpc-0000000000000000f")
    vpc = wave.result(reads.vpc)
    assert vpc.error is not None
    assert (vpc.error.api, vpc.error.code) == ("ec2:DescribeVpcs", "InvalidVpcID.NotFound")
    dhcp = network.dhcp_name_servers(wave, Read(value=clients.ec2), vpc)
    assert dhcp.error == vpc.error
    assert "ec2.DescribeDhcpOptions" not in calls


def test_without_a_vpc_only_the_network_acls_are_read(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    reads = network.submit_vpc_reads(wave, Read(value=clients.ec2), job, None)
    assert wave.result(reads.network_acls).ok
    for future in of_the_vpc(reads):
        assert wave.result(future).not_applicable == "no job subnet or group was found, so no VPC"
    assert calls == Counter({"ec2.DescribeNetworkAcls": 1})


def test_without_the_owners_client_nothing_is_read_and_each_read_says_why(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    owner = undetermined("only the owner can read them")
    reads = network.submit_vpc_reads(wave, owner, job, world.vpc_id)
    for future in [reads.network_acls, *of_the_vpc(reads)]:
        assert wave.result(future).undetermined == "only the owner can read them"
    dhcp = network.dhcp_name_servers(wave, owner, wave.result(reads.vpc))
    assert dhcp.undetermined == "only the owner can read them"
    assert calls == Counter()


def test_a_refused_read_is_an_error_value_not_a_pass(
    world: World, clients: AwsClients, wave: Wave
) -> None:
    refuse(clients.ec2.meta.events, "ec2", "DescribeSubnets", "UnauthorizedOperation")
    subnets = wave.result(network.submit_subnets(wave, clients, tuple(world.subnet_ids)))
    assert not subnets.ok and subnets.value is None
    assert subnets.error is not None
    assert (subnets.error.api, subnets.error.code) == (
        "ec2:DescribeSubnets",
        "UnauthorizedOperation",
    )


def test_the_job_route_tables_are_their_explicit_ones_and_main_only_when_one_has_none() -> None:
    main = {"RouteTableId": "rtb-main", "Associations": [{"Main": True}]}
    own = {"RouteTableId": "rtb-1", "Associations": [{"SubnetId": "subnet-a"}]}
    other = {"RouteTableId": "rtb-2", "Associations": [{"SubnetId": "subnet-z"}]}
    tables: Any = [main, own, other]
    assert network.job_route_tables(tables, ("subnet-a",)) == [own]
    assert network.job_route_tables(tables, ("subnet-a", "subnet-b")) == [own, main]


def test_nat_gateways_are_read_only_when_a_job_table_routes_to_one(
    aws: Any, clients: AwsClients, calls: Counter[str], wave: Wave, *, world: World, job: JobRequest
) -> None:
    ec2 = aws.client("ec2")
    owner: Read[Any] = Read(value=clients.ec2)
    tables = Read(value=network.read_route_tables(clients.ec2, world.vpc_id))
    calls.clear()
    assert wave.result(network.submit_nat_gateways(wave, owner, tables, job)).value == {}
    assert calls == Counter()
    subnet = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.250.0/24")["Subnet"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=allocation)
    nat_id = nat["NatGateway"]["NatGatewayId"]
    ec2.create_route(
        RouteTableId=world.route_table_ids[0], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id
    )
    tables = Read(value=network.read_route_tables(clients.ec2, world.vpc_id))
    calls.clear()
    found = wave.result(network.submit_nat_gateways(wave, owner, tables, job)).get()
    assert list(found) == [nat_id] and found[nat_id]["SubnetId"] == subnet["SubnetId"]
    assert calls == Counter({"ec2.DescribeNatGateways": 1})
