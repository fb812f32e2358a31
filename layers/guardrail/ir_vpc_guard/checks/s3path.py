"""Where each job subnet's traffic to S3 goes, route by route, as the VPC router decides.

VPC User Guide, "How route priority works": the longest prefix wins; between routes of the
same prefix, static routes beat prefix-list routes, which beat propagated routes. A gateway
endpoint is a route to the service's prefix list, so it stands for each of the list's CIDRs;
a more specific (or equal, static) route takes that range elsewhere. A subnet without an
explicit association uses the main table. A route whose target is gone is a blackhole.

Shared by the R5 checks (checks/routing.py) and remediation: how sure each table's path is
broken, and whether an endpoint's policy lets the job's reads through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.netmath import Interval, cidr_interval, contains, elementary
from ir_vpc_guard.checks.requests import endpoint_read, job_objects
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import RouteTableTypeDef, RouteTypeDef, VpcEndpointTypeDef


class Hop(StrEnum):
    """What the winning route does with S3 traffic."""

    ENDPOINT = "gateway-endpoint"
    NAT = "nat-gateway"
    INTERNET_GATEWAY = "internet-gateway"  # the job's interfaces have no public IP: dropped
    BLACKHOLE = "blackhole"
    NOWHERE = "no-route"
    OTHER = "other"  # transit gateway, appliance, peering: reaches S3 only if that path does


# Targets that are static routes when they are not propagated (Origin), by route key.
_TARGET_KEYS = (
    "NatGatewayId",
    "TransitGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "VpcPeeringConnectionId",
    "CoreNetworkArn",
    "LocalGatewayId",
    "CarrierGatewayId",
    "GatewayId",
)
_STATIC, _PREFIX_LIST, _PROPAGATED = 0, 1, 2


@dataclass(frozen=True)
class Route:
    """One route reduced to what priority needs: its range, kind and target."""

    destination: str
    interval: Interval
    priority: int
    target: str
    hop: Hop

    def to_dict(self) -> dict[str, str]:
        return {"destination": self.destination, "target": self.target, "hop": self.hop.value}


@dataclass(frozen=True)
class TablePath:
    """Where one route table sends each S3 range (a range may be split by longer routes)."""

    table_id: str | None
    subnets: tuple[str, ...]
    by_cidr: Mapping[str, tuple[Route | None, ...]]

    @property
    def hops(self) -> set[Hop]:
        return {r.hop if r else Hop.NOWHERE for routes in self.by_cidr.values() for r in routes}

    @property
    def endpoints(self) -> set[str]:
        return {
            r.target
            for routes in self.by_cidr.values()
            for r in routes
            if r and r.hop is Hop.ENDPOINT
        }

    @property
    def via_endpoint(self) -> bool:
        return self.hops == {Hop.ENDPOINT}

    def evidence(self) -> dict[str, Any]:
        return {
            "routeTable": self.table_id,
            "subnets": list(self.subnets),
            "s3Routes": {
                cidr: [r.to_dict() if r else {"hop": Hop.NOWHERE.value} for r in routes]
                for cidr, routes in self.by_cidr.items()
            },
        }


# How sure a table's S3 path is broken, by the worst hop its S3 ranges take.
_SEVERITY_BY_HOP = {
    Hop.ENDPOINT: None,
    Hop.NAT: Severity.LOW,  # S3 is reached, at NAT's cost: advisory
    Hop.OTHER: Severity.MEDIUM,  # a transit gateway or appliance may lead to S3, or not
    Hop.INTERNET_GATEWAY: Severity.HIGH,  # the job's interfaces have no public IP
    Hop.BLACKHOLE: Severity.HIGH,
    Hop.NOWHERE: Severity.HIGH,
}


def table_severity(path: TablePath) -> Severity | None:
    """None when every S3 range of the table goes to a gateway endpoint."""
    found = [s for hop in path.hops if (s := _SEVERITY_BY_HOP[hop]) is not None]
    return max(found, key=lambda s: s.rank) if found else None


def main_table(tables: Iterable[RouteTableTypeDef]) -> RouteTableTypeDef | None:
    return next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)


def effective_route_tables(snapshot: Snapshot) -> dict[str, RouteTableTypeDef | None]:
    """Each job subnet found in the job's VPC and its route table: the explicit association,
    else the VPC's main table. A subnet of another VPC is never mapped to this VPC's tables."""
    tables = snapshot.route_tables.get()
    main = main_table(tables)
    explicit = {
        a["SubnetId"]: t
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId")
        and a.get("AssociationState", {}).get("State", "associated") == "associated"
    }
    found = snapshot.subnets.value if snapshot.subnets.ok else None
    return {
        sid: explicit.get(sid, main)
        for sid in snapshot.job.subnets
        if found is None or found.get(sid, {}).get("VpcId") == snapshot.vpc_id
    }


def gateway_endpoints(snapshot: Snapshot, state: str = "available") -> list[VpcEndpointTypeDef]:
    """S3 endpoints of type Gateway in a state (an Interface endpoint needs other plumbing)."""
    return [
        e
        for e in snapshot.s3_endpoints.get()
        if e.get("VpcEndpointType") == "Gateway" and str(e.get("State", "")).lower() == state
    ]


def refused_objects(
    snapshot: Snapshot, endpoint: Mapping[str, Any]
) -> dict[str, policy.Evaluation]:
    """The job's objects an endpoint's policy does not certainly let through, by ARN."""
    document = policy.parse(endpoint.get("PolicyDocument"))
    if not document:  # no policy means full access
        return {}
    endpoint_id = str(endpoint["VpcEndpointId"])
    objects = [arn for arns in job_objects(snapshot).values() for arn in arns]
    results = {
        arn: policy.evaluate(
            [document], endpoint_read(snapshot.job, endpoint_id, str(snapshot.vpc_id), arn)
        )
        for arn in objects
    }
    return {a: e for a, e in results.items() if e.decision is not policy.Decision.ALLOWED}


def s3_paths(snapshot: Snapshot) -> list[TablePath]:
    """One path per route table the job's subnets use (None: the VPC has no table for it)."""
    prefix_list = snapshot.s3_prefix_list.get()
    endpoints = gateway_endpoints(snapshot)
    by_table: dict[str | None, list[str]] = {}
    tables: dict[str | None, RouteTableTypeDef | None] = {}
    for sid, table in effective_route_tables(snapshot).items():
        key = table["RouteTableId"] if table else None
        by_table.setdefault(key, []).append(sid)
        tables[key] = table
    paths = []
    for key, subnets in by_table.items():
        routes = _routes(
            tables[key],
            prefix_list.prefix_list_id,
            prefix_list.cidrs,
            endpoints,
            snapshot.s3_endpoints.get(),
        )
        by_cidr = {
            cidr: _winners(routes, interval)
            for cidr in prefix_list.cidrs
            if (interval := cidr_interval(cidr)) is not None
        }
        paths.append(TablePath(key, tuple(subnets), by_cidr))
    return paths


def _routes(
    table: RouteTableTypeDef | None,
    s3_list: str,
    s3_cidrs: Iterable[str],
    endpoints: list[VpcEndpointTypeDef],
    all_endpoints: list[VpcEndpointTypeDef],
) -> list[Route]:
    if table is None:
        return []
    table_id = table.get("RouteTableId")
    # The endpoint's own list of tables is the truth for its route: AWS adds and removes the
    # route with the association; moto does neither on modify_vpc_endpoint (MOTO_NOTES §3).
    serving = {e["VpcEndpointId"] for e in endpoints if table_id in e.get("RouteTableIds", [])}
    known = {e.get("VpcEndpointId") for e in all_endpoints}
    raw = [
        r
        for r in table.get("Routes", [])
        if not (
            r.get("DestinationPrefixListId") == s3_list
            and r.get("GatewayId") in known
            and r.get("GatewayId") not in serving
        )
    ]
    routed = {r.get("GatewayId") for r in raw if r.get("DestinationPrefixListId") == s3_list}
    raw += [
        {"DestinationPrefixListId": s3_list, "GatewayId": endpoint_id}
        for endpoint_id in sorted(serving - routed)
    ]
    routes = []
    for route in raw:
        if route.get("DestinationCidrBlock"):
            destinations = [str(route["DestinationCidrBlock"])]
            priority = (
                _PROPAGATED if route.get("Origin") == "EnableVgwRoutePropagation" else _STATIC
            )
        elif route.get("DestinationPrefixListId") == s3_list:
            destinations, priority = list(s3_cidrs), _PREFIX_LIST
        else:
            continue  # IPv6, or a customer prefix list whose entries are not read here
        target, hop = _target(route)
        for destination in destinations:
            interval = cidr_interval(destination)
            if interval is not None:
                routes.append(Route(destination, interval, priority, target, hop))
    return routes


def _target(route: RouteTypeDef) -> tuple[str, Hop]:
    key = next((k for k in _TARGET_KEYS if route.get(k)), None)
    target = str(route.get(key)) if key else "(none)"
    if str(route.get("State", "active")).lower() == "blackhole" or key is None:
        return target, Hop.BLACKHOLE
    if key == "NatGatewayId":
        return target, Hop.NAT
    if key == "GatewayId" and target.startswith("vpce-"):
        return target, Hop.ENDPOINT
    if key == "GatewayId" and target.startswith("igw-"):
        return target, Hop.INTERNET_GATEWAY
    return target, Hop.OTHER


def _winners(routes: list[Route], target: Interval) -> tuple[Route | None, ...]:
    """The winning route of each piece of `target` (None where no route matches)."""
    relevant = [r for r in routes if r.interval[0] <= target[1] and target[0] <= r.interval[1]]
    winners: list[Route | None] = []
    for piece in elementary((r.interval for r in relevant), target):
        covering = [r for r in relevant if contains(r.interval, piece)]
        best = min(
            covering,
            key=lambda r: (r.interval[1] - r.interval[0], r.priority),
            default=None,
        )
        if best not in winners:
            winners.append(best)
    return tuple(winners)
