"""Where each job subnet's S3 traffic goes, as the VPC router decides (VPC User Guide: "How
route priority works", "Gateway endpoints", "Route tables")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from ir_vpc_guard.checks.policy import Decision
from ir_vpc_guard.checks.s3path import (
    Hop,
    Route,
    TablePath,
    effective_route_tables,
    gateway_endpoints,
    main_table,
    private_dns_interfaces,
    refused_objects,
    s3_paths,
    table_severity,
    unknowns,
)
from ir_vpc_guard.discovery.snapshot import Read, ReadError, ReferencedPrefixList
from ir_vpc_guard.findings import Severity
from tests.snapshots import S3_CIDRS, S3_PL, SUBNETS, compliant, endpoint, route_table, subnet

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import RouteTableTypeDef

BIG, SMALL = "52.216.0.0/15", "3.5.0.0/19"  # the baseline S3 prefix list's two ranges
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}


def route(cidr: str, state: str = "active", **target: str) -> dict[str, Any]:
    return {"DestinationCidrBlock": cidr, "State": state, **target}


# nat-1: a public NAT gateway whose own subnet's table sends everything to an internet gateway.
PUBLIC_NAT = {"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}
PUBLIC_TABLE = route_table(
    "rtb-pub", ("subnet-pub",), routes=[route("0.0.0.0/0", GatewayId="igw-1")]
)


def paths(
    *routes: dict[str, Any],
    endpoint_tables: tuple[str, ...] = ("rtb-1",),
    nat: dict[str, Any] = PUBLIC_NAT,
    nat_table: RouteTableTypeDef = PUBLIC_TABLE,
    lists: dict[str, ReferencedPrefixList] | None = None,
) -> TablePath:
    """The single path of the baseline's job subnets, with `routes` on their table."""
    tables = [
        route_table("rtb-main", main=True),
        route_table("rtb-1", SUBNETS, routes=[*routes]),
        nat_table,
    ]
    endpoints = [endpoint(list(endpoint_tables))] if endpoint_tables else []
    (path,) = s3_paths(
        compliant(
            route_tables=Read(value=tables),
            s3_endpoints=Read(value=endpoints),
            nat_gateways=Read(value={str(nat["NatGatewayId"]): nat}),
            route_prefix_lists=Read(value=lists or {}),
        )
    )
    return path


def hops(path: TablePath, cidr: str) -> list[Hop]:
    return [r.hop if r else Hop.NOWHERE for r in path.by_cidr[cidr]]


# --- Which table ---------------------------------------------------------------------------
def test_main_table_is_the_one_with_the_main_association() -> None:
    main = route_table("rtb-main", main=True)
    assert main_table([route_table("rtb-1", SUBNETS), main]) is main
    assert main_table([route_table("rtb-1", SUBNETS)]) is None


def test_a_subnet_without_an_explicit_association_uses_the_main_table() -> None:
    main, own = route_table("rtb-main", main=True), route_table("rtb-1", ("subnet-a",))
    snapshot = compliant(route_tables=Read(value=[main, own]))
    assert effective_route_tables(snapshot) == {"subnet-a": own, "subnet-b": main}


def test_an_association_that_is_not_associated_does_not_count() -> None:
    main = route_table("rtb-main", main=True)
    leaving = route_table("rtb-1", SUBNETS)
    leaving["Associations"][0]["AssociationState"] = {"State": "disassociating"}
    snapshot = compliant(route_tables=Read(value=[main, leaving]))
    assert effective_route_tables(snapshot) == {"subnet-a": main, "subnet-b": leaving}


def test_no_main_table_and_no_association_maps_to_none() -> None:
    snapshot = compliant(route_tables=Read(value=[route_table("rtb-1", ("subnet-a",))]))
    tables = effective_route_tables(snapshot)
    assert tables["subnet-b"] is None and tables["subnet-a"] is not None
    by_table = {p.table_id: p for p in s3_paths(snapshot)}
    assert by_table[None].subnets == ("subnet-b",)
    assert by_table[None].hops == {Hop.NOWHERE}


def test_a_subnet_of_another_vpc_is_never_mapped_to_this_vpcs_tables() -> None:
    subnets = {
        "subnet-a": subnet("subnet-a", "10.0.1.0/24"),
        "subnet-b": subnet("subnet-b", "10.9.2.0/24", vpc="vpc-other"),
    }
    snapshot = compliant(subnets=Read(value=subnets))
    assert list(effective_route_tables(snapshot)) == ["subnet-a"]
    unread = compliant(subnets=Read(error=ReadError("DescribeSubnets", "AccessDenied")))
    assert list(effective_route_tables(unread)) == list(SUBNETS)


# --- Which endpoints -----------------------------------------------------------------------
def test_gateway_endpoints_are_s3_gateways_in_the_asked_state() -> None:
    gateway = endpoint(["rtb-1"])
    interface = {**endpoint(["rtb-1"], kind="Interface"), "VpcEndpointId": "vpce-2"}
    pending = {**endpoint(["rtb-1"]), "VpcEndpointId": "vpce-3", "State": "Pending"}
    snapshot = compliant(s3_endpoints=Read(value=[gateway, interface, pending]))
    assert gateway_endpoints(snapshot) == [gateway]
    assert gateway_endpoints(snapshot, "pending") == [pending]


# --- Route priority ------------------------------------------------------------------------
def test_an_endpoint_on_the_table_carries_every_s3_range() -> None:
    path = paths(LOCAL)
    assert path.table_id == "rtb-1" and path.subnets == SUBNETS
    assert hops(path, BIG) == [Hop.ENDPOINT] and hops(path, SMALL) == [Hop.ENDPOINT]
    assert path.via_endpoint and path.endpoints == {"vpce-1"}


def test_the_endpoints_route_is_where_its_route_tables_say() -> None:
    """The endpoint's RouteTableIds decide: a route it lists is there even if the table read
    lacks it, and a route left on a table it no longer serves is not."""
    stale = {"DestinationPrefixListId": S3_PL, "GatewayId": "vpce-1", "State": "active"}
    gone = paths(stale, endpoint_tables=("rtb-other",))
    assert gone.hops == {Hop.NOWHERE} and not gone.via_endpoint
    assert paths().via_endpoint


def test_a_shorter_default_route_loses_to_the_endpoint() -> None:
    path = paths(route("0.0.0.0/0", NatGatewayId="nat-1"))
    assert path.hops == {Hop.ENDPOINT}


def test_a_longer_static_route_takes_its_part_of_an_s3_range() -> None:
    path = paths(route("52.217.0.0/16", NatGatewayId="nat-1"))
    assert sorted(hops(path, BIG)) == sorted([Hop.ENDPOINT, Hop.NAT])
    assert hops(path, SMALL) == [Hop.ENDPOINT]
    assert path.hops == {Hop.ENDPOINT, Hop.NAT} and not path.via_endpoint


def test_an_equal_prefix_static_route_beats_the_endpoint() -> None:
    path = paths(route(SMALL, GatewayId="igw-1"))
    assert hops(path, SMALL) == [Hop.INTERNET_GATEWAY]
    assert hops(path, BIG) == [Hop.ENDPOINT]
    (winner,) = path.by_cidr[SMALL]
    assert winner is not None and winner.target == "igw-1"


def test_an_equal_prefix_propagated_route_loses_to_the_endpoint() -> None:
    propagated = route(SMALL, GatewayId="vgw-1", Origin="EnableVgwRoutePropagation")
    assert paths(propagated).hops == {Hop.ENDPOINT}


def test_without_an_endpoint_the_default_route_decides_the_hop() -> None:
    cases = {
        Hop.NAT: route("0.0.0.0/0", NatGatewayId="nat-1"),
        Hop.INTERNET_GATEWAY: route("0.0.0.0/0", GatewayId="igw-1"),
        Hop.OTHER: route("0.0.0.0/0", TransitGatewayId="tgw-1"),
    }
    for hop, default in cases.items():
        path = paths(LOCAL, default, endpoint_tables=())
        assert path.hops == {hop}, hop
        assert path.endpoints == set() and not path.via_endpoint
    peering = route("0.0.0.0/0", VpcPeeringConnectionId="pcx-1")
    assert paths(peering, endpoint_tables=()).hops == {Hop.PEERING}


def test_no_route_to_s3_is_nowhere() -> None:
    path = paths(LOCAL, endpoint_tables=())
    assert path.by_cidr == {BIG: (None,), SMALL: (None,)}
    assert path.hops == {Hop.NOWHERE}


def test_a_blackhole_route_drops_traffic_even_when_it_is_the_longest() -> None:
    dead_nat = route("0.0.0.0/0", "blackhole", NatGatewayId="nat-gone")
    assert paths(dead_nat, endpoint_tables=()).hops == {Hop.BLACKHOLE}
    dead_specific = route("3.5.0.0/20", "blackhole", NatGatewayId="nat-gone")
    path = paths(dead_specific)
    assert sorted(hops(path, SMALL)) == sorted([Hop.BLACKHOLE, Hop.ENDPOINT])
    assert not path.via_endpoint


def test_subnets_are_grouped_by_the_table_they_use() -> None:
    main = route_table("rtb-main", main=True, routes=[route("0.0.0.0/0", NatGatewayId="nat-1")])
    tables = [main, route_table("rtb-1", ("subnet-a",)), PUBLIC_TABLE]
    snapshot = compliant(
        route_tables=Read(value=tables), nat_gateways=Read(value={"nat-1": PUBLIC_NAT})
    )
    by_table = {p.table_id: p for p in s3_paths(snapshot)}
    assert by_table["rtb-1"].subnets == ("subnet-a",) and by_table["rtb-1"].via_endpoint
    assert by_table["rtb-main"].subnets == ("subnet-b",)
    assert by_table["rtb-main"].hops == {Hop.NAT}


def test_evidence_names_the_table_its_subnets_and_each_ranges_routes() -> None:
    path = paths(route(SMALL, NatGatewayId="nat-1"))
    assert path.evidence() == {
        "routeTable": "rtb-1",
        "subnets": list(SUBNETS),
        "s3Routes": {
            BIG: [{"destination": BIG, "target": "vpce-1", "hop": "gateway-endpoint"}],
            SMALL: [{"destination": SMALL, "target": "nat-1", "hop": "nat-gateway"}],
        },
    }
    nowhere = paths(endpoint_tables=())
    assert nowhere.evidence()["s3Routes"][BIG] == [{"hop": "no-route"}]


OBJECT = "arn:aws:s3:::models/m.tar.gz"


def path(*hops: Hop | None) -> TablePath:
    """A table whose S3 ranges take these hops (None: no route)."""
    routes = tuple(Route("0.0.0.0/0", (0, 2**32 - 1), 0, "x", h) if h else None for h in hops)
    return TablePath("rtb-1", ("subnet-a",), {S3_CIDRS[0]: routes})


@pytest.mark.parametrize(
    ("hops", "severity"),
    [
        ((Hop.ENDPOINT,), None),
        ((Hop.NAT,), Severity.LOW),
        ((Hop.OTHER,), Severity.MEDIUM),
        # AWS gives SageMaker's interfaces private addresses only: cautious, not certain.
        ((Hop.INTERNET_GATEWAY,), Severity.MEDIUM),
        ((Hop.APPLIANCE,), Severity.MEDIUM),
        ((Hop.NAT_UNDETERMINED,), Severity.MEDIUM),
        ((Hop.NAT_NO_INTERNET,), Severity.HIGH),
        ((Hop.PEERING,), Severity.HIGH),
        ((Hop.BLACKHOLE,), Severity.HIGH),
        ((None,), Severity.HIGH),
        ((Hop.ENDPOINT, Hop.NAT), Severity.LOW),
        ((Hop.NAT, Hop.OTHER, Hop.ENDPOINT), Severity.MEDIUM),
        ((Hop.OTHER, Hop.BLACKHOLE), Severity.HIGH),
    ],
)
def test_table_severity_is_that_of_the_worst_hop(
    hops: tuple[Hop | None, ...], severity: Severity | None
) -> None:
    assert table_severity(path(*hops)) is severity


def test_the_compliant_tables_go_to_the_endpoint() -> None:
    assert [table_severity(p) for p in s3_paths(compliant())] == [None]


def test_gateway_endpoints_by_type_and_state() -> None:
    pending = {**endpoint(["rtb-1"]), "State": "Pending"}
    interface = endpoint(["rtb-1"], kind="Interface")
    snapshot = compliant(s3_endpoints=Read(value=[pending, interface, endpoint(["rtb-2"])]))
    assert [e["RouteTableIds"] for e in gateway_endpoints(snapshot)] == [["rtb-2"]]
    assert gateway_endpoints(snapshot, "pending") == [pending]


def test_refused_objects_are_the_jobs_objects_the_policy_does_not_allow() -> None:
    def policy(resource: str) -> str:
        statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        return json.dumps({"Statement": [{**statement, "Resource": resource}]})

    snapshot = compliant()
    assert refused_objects(snapshot, endpoint(["rtb-1"])) == {}  # no policy: full access
    assert refused_objects(snapshot, endpoint(["rtb-1"], policy("arn:aws:s3:::models/*"))) == {}
    refused = refused_objects(snapshot, endpoint(["rtb-1"], policy("arn:aws:s3:::other/*")))
    assert list(refused) == [OBJECT]
    assert refused[OBJECT].decision is Decision.IMPLICIT_DENY


# --- NAT gateways, peering, appliances, customer lists (docs/aws-rules.md, "Routing") ------
NAT_DEFAULT = route("0.0.0.0/0", NatGatewayId="nat-1")


def test_a_nat_gateway_is_judged_by_its_type_and_its_own_table() -> None:
    assert paths(NAT_DEFAULT, endpoint_tables=()).hops == {Hop.NAT}
    private = {**PUBLIC_NAT, "ConnectivityType": "private"}
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat=private).hops == {Hop.NAT_NO_INTERNET}
    closed = route_table("rtb-pub", ("subnet-pub",), routes=[LOCAL])
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat_table=closed).hops == {Hop.NAT_NO_INTERNET}
    # Its subnet without a table of its own uses the main table (here: no route out).
    elsewhere = {**PUBLIC_NAT, "SubnetId": "subnet-other"}
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat=elsewhere).hops == {Hop.NAT_NO_INTERNET}


def test_a_nat_gateway_that_may_reach_s3_another_way_is_undetermined() -> None:
    onward = route_table(
        "rtb-pub", ("subnet-pub",), routes=[route("0.0.0.0/0", TransitGatewayId="tgw-1")]
    )
    private = {**PUBLIC_NAT, "ConnectivityType": "private"}
    for nat in (PUBLIC_NAT, private):
        path = paths(NAT_DEFAULT, endpoint_tables=(), nat=nat, nat_table=onward)
        assert path.hops == {Hop.NAT_UNDETERMINED}, nat
    pending = {**PUBLIC_NAT, "State": "pending"}
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat=pending).hops == {Hop.NAT_UNDETERMINED}
    unknown = {"NatGatewayId": "nat-other", "State": "available"}
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat=unknown).hops == {Hop.NAT_UNDETERMINED}


def test_a_regional_nat_gateway_forwards_by_the_table_it_names() -> None:
    regional = {"NatGatewayId": "nat-1", "State": "available", "RouteTableId": "rtb-pub"}
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat=regional).hops == {Hop.NAT}
    unread = {**regional, "RouteTableId": "rtb-unread"}
    assert paths(NAT_DEFAULT, endpoint_tables=(), nat=unread).hops == {Hop.NAT_UNDETERMINED}


def test_only_the_vpcs_s3_gateway_endpoints_are_endpoints() -> None:
    firewall = route(BIG, GatewayId="vpce-firewall")
    path = paths(firewall)
    assert hops(path, BIG) == [Hop.APPLIANCE] and hops(path, SMALL) == [Hop.ENDPOINT]
    assert path.endpoints == {"vpce-1"} and not path.via_endpoint
    assert table_severity(path) is Severity.MEDIUM
    assert "vpce-firewall" in " ".join(unknowns([path]))


def test_a_customer_list_route_takes_part_in_longest_prefix_matching() -> None:
    listed = {"DestinationPrefixListId": "pl-corp", "GatewayId": "igw-1", "State": "active"}
    lists = {"pl-corp": ReferencedPrefixList("pl-corp", cidrs=("3.5.0.0/20", "192.0.2.0/24"))}
    path = paths(listed, lists=lists)
    assert sorted(hops(path, SMALL)) == sorted([Hop.INTERNET_GATEWAY, Hop.ENDPOINT])
    assert hops(path, BIG) == [Hop.ENDPOINT]
    taken = next(r for r in path.by_cidr[SMALL] if r and r.hop is Hop.INTERNET_GATEWAY)
    assert taken.to_dict() == {
        "destination": "3.5.0.0/20",
        "target": "igw-1",
        "hop": "internet-gateway",
        "prefixList": "pl-corp",
    }


def test_a_route_to_an_unread_customer_list_leaves_the_table_undetermined() -> None:
    listed = {"DestinationPrefixListId": "pl-corp", "GatewayId": "igw-1", "State": "active"}
    failed = {"pl-corp": ReferencedPrefixList("pl-corp", error=ReadError("x", "AccessDenied"))}
    for lists in (failed, {}):
        path = paths(listed, lists=lists)
        assert path.unread_lists == ("pl-corp",) and not path.via_endpoint
        assert table_severity(path) is Severity.MEDIUM
        assert "pl-corp" in " ".join(unknowns([path]))


def _interface(**changes: Any) -> Any:
    found = {**endpoint([], kind="Interface"), "VpcEndpointId": "vpce-i", "PrivateDnsEnabled": True}
    return {**found, **changes}


def test_an_interface_endpoint_counts_only_with_private_dns_and_no_gateway_taking_the_vpc() -> None:
    interface, gateway = _interface(), endpoint(["rtb-1"])
    assert private_dns_interfaces([interface]) == [interface]
    assert private_dns_interfaces([_interface(PrivateDnsEnabled=False)]) == []
    assert private_dns_interfaces([_interface(State="pending")]) == []
    # With a gateway endpoint the VPC's own traffic uses it, unless the interface endpoint's
    # private DNS is not limited to inbound resolver traffic.
    assert private_dns_interfaces([interface, gateway]) == []
    everyone = _interface(DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": False})
    assert private_dns_interfaces([everyone, gateway]) == [everyone]


def test_a_nat_gateway_whose_own_table_sends_s3_back_to_it_is_no_path() -> None:
    """A NAT gateway placed in a job subnet, whose table sends 0.0.0.0/0 to that same NAT
    gateway: its own table has no route to an internet gateway, so no path (HIGH)."""
    loop = route_table("rtb-pub", ("subnet-pub",), routes=[LOCAL, NAT_DEFAULT])
    path = paths(NAT_DEFAULT, endpoint_tables=(), nat_table=loop)
    assert path.hops == {Hop.NAT_NO_INTERNET}
