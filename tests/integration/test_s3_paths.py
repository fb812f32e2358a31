"""Paths to S3 as AWS forwards packets, on moto worlds built as AWS's pages build them: NAT
gateways by type and by their own subnet's table, peering, customer prefix-list routes,
appliance endpoints inline, and S3 interface endpoints (docs/aws-rules.md, "Routing")."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.reliability.faults import access_denied

S3_SERVICE = f"com.amazonaws.{REGION}.s3"


def _findings(world: World) -> dict[str, dict[str, Any]]:
    (checked,) = handle_event(world.event(load_event("good_job")), Settings(), lock=LocalVpcLock())
    report = checked.to_dict()
    return {f["checkId"]: f for f in report["findings"]}


def _igw(ec2: Any, world: World) -> str:
    igw: str = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=world.vpc_id)
    return igw


def nat_gateway(session: Any, world: World, *, kind: str = "public", igw: bool = True) -> str:
    """A NAT gateway in its own subnet; that subnet's table sends 0.0.0.0/0 to an internet
    gateway when `igw` (a public subnet), else it has only the local route."""
    ec2 = session.client("ec2")
    subnet = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.250.0/24")["Subnet"]
    table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    if igw:
        ec2.create_route(
            RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=_igw(ec2, world)
        )
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["SubnetId"])
    if kind == "private":
        answer = ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], ConnectivityType="private")
    else:
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        answer = ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=allocation)
    nat: str = answer["NatGateway"]["NatGatewayId"]
    return nat


def _default_route(session: Any, world: World, **target: str) -> None:
    session.client("ec2").create_route(
        RouteTableId=world.route_table_ids[0], DestinationCidrBlock="0.0.0.0/0", **target
    )


# --- NAT gateways --------------------------------------------------------------------------
def test_a_public_nat_with_an_internet_route_of_its_own_is_a_path(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    _default_route(aws, world, NatGatewayId=nat_gateway(aws, world))
    finding = _findings(world)["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "LOW" and finding["evidence"]["natPath"] is True


def test_a_public_nat_whose_subnet_has_no_internet_route_is_no_path(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    nat = nat_gateway(aws, world, igw=False)
    _default_route(aws, world, NatGatewayId=nat)
    finding = _findings(world)["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "HIGH" and finding["evidence"]["natPath"] is False
    [path] = finding["evidence"]["paths"]
    hops = {r["hop"] for routes in path["s3Routes"].values() for r in routes}
    assert hops == {"nat-gateway-without-internet"}


def test_a_private_nat_is_no_path_even_beside_an_internet_gateway(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    _default_route(aws, world, NatGatewayId=nat_gateway(aws, world, kind="private"))
    finding = _findings(world)["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "HIGH"
    assert "undetermined" not in finding["evidence"]


# --- Peering -------------------------------------------------------------------------------
def _peering(session: Any, world: World) -> str:
    ec2 = session.client("ec2")
    peer = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    pcx: str = ec2.create_vpc_peering_connection(VpcId=world.vpc_id, PeerVpcId=peer)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    return pcx


def test_a_peering_connection_is_no_path_to_s3(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    pcx = _peering(aws, world)
    _default_route(aws, world, VpcPeeringConnectionId=pcx)
    finding = _findings(world)["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "HIGH" and "undetermined" not in finding["evidence"]


# --- Customer prefix lists in routes -------------------------------------------------------
def test_a_route_to_a_customer_list_takes_its_entries_from_the_endpoint(
    aws: Any, world: World
) -> None:
    ec2 = aws.client("ec2")
    s3_range = ec2.get_managed_prefix_list_entries(PrefixListId=world.prefix_list_id)["Entries"][0][
        "Cidr"
    ]
    network, bits = s3_range.split("/")
    narrower = f"{network}/{int(bits) + 1}"  # longer than the endpoint's route: it wins
    corp = ec2.create_managed_prefix_list(
        PrefixListName="corp-egress",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": narrower}],
    )["PrefixList"]["PrefixListId"]
    ec2.create_route(
        RouteTableId=world.route_table_ids[0],
        DestinationPrefixListId=corp,
        VpcPeeringConnectionId=_peering(aws, world),
    )
    finding = _findings(world)["S3_ENDPOINT_ROUTE_MISSING"]
    assert finding["severity"] == "HIGH"
    [path] = finding["evidence"]["paths"]
    taken = [r for r in path["s3Routes"][s3_range] if r["hop"] == "vpc-peering"]
    assert taken and taken[0]["prefixList"] == corp and taken[0]["destination"] == narrower


# --- Appliance endpoints inline ------------------------------------------------------------
def _appliance(session: Any, world: World) -> str:
    """A Gateway Load Balancer endpoint (a firewall appliance, or AWS Network Firewall's)."""
    endpoint: str = session.client("ec2").create_vpc_endpoint(
        VpcId=world.vpc_id,
        ServiceName=f"com.amazonaws.vpce.{REGION}.vpce-svc-0123456789abcdef0",
        VpcEndpointType="GatewayLoadBalancer",
        SubnetIds=[world.subnet_ids[0]],
    )["VpcEndpoint"]["VpcEndpointId"]
    return endpoint


def test_an_appliance_endpoint_is_never_the_s3_endpoint(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    appliance = _appliance(aws, world)
    _default_route(aws, world, VpcEndpointId=appliance)
    finding = _findings(world)["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "MEDIUM"
    assert appliance in finding["evidence"]["undetermined"]


def test_an_appliance_is_not_hidden_by_an_s3_endpoint_on_another_table(aws: Any) -> None:
    world = build_world(aws, REGION)  # the S3 endpoint is on the job subnets' table
    ec2 = aws.client("ec2")
    inspected = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    appliance = _appliance(aws, world)
    for cidr in ec2.get_managed_prefix_list_entries(PrefixListId=world.prefix_list_id)["Entries"]:
        ec2.create_route(
            RouteTableId=inspected, DestinationCidrBlock=cidr["Cidr"], VpcEndpointId=appliance
        )
    association = next(
        a["RouteTableAssociationId"]
        for a in ec2.describe_route_tables(RouteTableIds=world.route_table_ids)["RouteTables"][0][
            "Associations"
        ]
        if a.get("SubnetId") == world.subnet_ids[1]
    )
    ec2.replace_route_table_association(AssociationId=association, RouteTableId=inspected)
    finding = _findings(world)["S3_ENDPOINT_ROUTE_MISSING"]
    assert finding["severity"] == "MEDIUM" and inspected in finding["resources"]
    assert appliance in finding["evidence"]["undetermined"]


# --- S3 interface endpoints ----------------------------------------------------------------
def _interface(session: Any, world: World) -> str:
    endpoint: str = session.client("ec2").create_vpc_endpoint(
        VpcId=world.vpc_id,
        ServiceName=S3_SERVICE,
        VpcEndpointType="Interface",
        SubnetIds=world.subnet_ids,
        PrivateDnsEnabled=True,
    )["VpcEndpoint"]["VpcEndpointId"]
    return endpoint


def test_an_s3_interface_endpoint_makes_a_missing_gateway_undetermined(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    interface = _interface(aws, world)
    found = _findings(world)
    finding = found["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "MEDIUM" and interface in finding["resources"]
    assert interface in finding["evidence"]["undetermined"]
    assert "describe-vpc-endpoints" in finding["remediation"]["command"]


@pytest.mark.parametrize(
    ("egress", "severity"), [("vpc-https-only", None), ("compliant", None), ("none", "MEDIUM")]
)
def test_with_an_s3_interface_endpoint_egress_to_the_prefix_list_is_not_what_matters(
    aws: Any, egress: str, severity: str | None
) -> None:
    """S3's names resolve to the interface endpoint's private addresses: HTTPS to the VPC
    reaches them; HTTPS to the S3 prefix list alone may not (those addresses are unread)."""
    world = build_world(aws, REGION, with_endpoint=False, group_egress=egress)
    _interface(aws, world)
    finding = _findings(world).get("SG_EGRESS_S3_MISSING")
    assert (finding and finding["severity"]) == severity
    if finding:
        assert "network interfaces" in finding["detail"]
        assert "describe-network-interfaces" in finding["remediation"]["command"]


def test_without_private_dns_the_interface_endpoint_changes_nothing(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False, group_egress="none")
    aws.client("ec2").create_vpc_endpoint(
        VpcId=world.vpc_id,
        ServiceName=S3_SERVICE,
        VpcEndpointType="Interface",
        SubnetIds=world.subnet_ids,
        PrivateDnsEnabled=False,
    )
    found = _findings(world)
    assert found["S3_ENDPOINT_MISSING"]["severity"] == "HIGH"
    assert found["SG_EGRESS_S3_MISSING"]["severity"] == "HIGH"


def test_an_unreadable_nat_gateway_is_a_check_error_never_a_verdict(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    _default_route(aws, world, NatGatewayId=nat_gateway(aws, world))
    session = counting_session(Counter())
    session.events.register(
        "before-call.ec2.DescribeNatGateways", access_denied("DescribeNatGateways")
    )
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        clients_factory(session),
        lock=LocalVpcLock(),
    )[0].to_dict()
    [error] = [f for f in report["findings"] if f["checkId"] == "CHECK_ERROR"]
    assert error["evidence"]["reads"] == ["nat_gateways"]
    assert "S3_ENDPOINT_MISSING" in error["evidence"]["checks"]
    assert not [f for f in report["findings"] if f["severity"] == "HIGH"]
    assert report["outcome"] == "ERROR"
