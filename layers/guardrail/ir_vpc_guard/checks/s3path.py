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
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.netmath import Interval, cidr_interval, contains, elementary
from ir_vpc_guard.checks.requests import endpoint_read, object_arn, prefix_arn, role_facts
from ir_vpc_guard.discovery.snapshot import ReferencedPrefixList, Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.workload import THROUGH_VPC
from ir_vpc_guard.intake.workloads import workload_of
from ir_vpc_guard.requirements import S3_READ_ACTION, S3_WRITE_ACTION

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import (
        NatGatewayTypeDef,
        RouteTableTypeDef,
        RouteTypeDef,
        VpcEndpointTypeDef,
    )


class Hop(StrEnum):
    """What the winning route does with S3 traffic."""

    ENDPOINT = "gateway-endpoint"
    NAT = "nat-gateway"  # a public NAT whose own table sends S3 to an internet gateway
    NAT_NO_INTERNET = "nat-gateway-without-internet"  # private, or no internet route of its own
    NAT_UNDETERMINED = "nat-gateway-undetermined"  # its own table sends S3 on to a TGW, ...
    INTERNET_GATEWAY = "internet-gateway"  # the job's interfaces have private addresses only
    PEERING = "vpc-peering"  # no edge-to-edge routing: the peer's gateways are out of reach
    APPLIANCE = "appliance-endpoint"  # a Gateway Load Balancer or Network Firewall endpoint
    BLACKHOLE = "blackhole"
    NOWHERE = "no-route"
    OTHER = "other"  # transit gateway, virtual private gateway, interface: reaches S3 or not


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
    prefix_list: str | None = None  # a customer list's route: the entry it stands for

    def to_dict(self) -> dict[str, str]:
        found = {"destination": self.destination, "target": self.target, "hop": self.hop.value}
        return {**found, "prefixList": self.prefix_list} if self.prefix_list else found


@dataclass(frozen=True, eq=False, repr=False)
class TablePath:
    """Where one route table sends each S3 range (a range may be split by longer routes).
    `unread_lists`: customer prefix lists the table routes to whose entries are unknown (any
    of them may take part of S3's ranges elsewhere)."""

    table_id: str | None
    subnets: tuple[str, ...]
    by_cidr: Mapping[str, tuple[Route | None, ...]]
    unread_lists: tuple[str, ...] = ()

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
        return self.hops == {Hop.ENDPOINT} and not self.unread_lists

    def targets(self, hop: Hop) -> list[str]:
        """The targets of the winning routes that take this hop."""
        found = (r.target for rs in self.by_cidr.values() for r in rs if r and r.hop is hop)
        return sorted(set(found))

    def evidence(self) -> dict[str, Any]:
        found = {
            "routeTable": self.table_id,
            "subnets": list(self.subnets),
            "s3Routes": {
                cidr: [r.to_dict() if r else {"hop": Hop.NOWHERE.value} for r in routes]
                for cidr, routes in self.by_cidr.items()
            },
        }
        return (
            {**found, "unreadPrefixLists": list(self.unread_lists)} if self.unread_lists else found
        )


# How sure a table's S3 path is broken, by the worst hop its S3 ranges take.
_SEVERITY_BY_HOP = {
    Hop.ENDPOINT: None,
    Hop.NAT: Severity.LOW,  # S3 is reached, at NAT's cost: advisory
    Hop.NAT_UNDETERMINED: Severity.MEDIUM,
    Hop.OTHER: Severity.MEDIUM,  # a transit gateway or appliance may lead to S3, or not
    Hop.APPLIANCE: Severity.MEDIUM,
    # AWS gives SageMaker's interfaces private addresses only; cautious all the same.
    Hop.INTERNET_GATEWAY: Severity.MEDIUM,
    Hop.NAT_NO_INTERNET: Severity.HIGH,
    Hop.PEERING: Severity.HIGH,
    Hop.BLACKHOLE: Severity.HIGH,
    Hop.NOWHERE: Severity.HIGH,
}

# What to confirm for each undetermined hop (evidence.undetermined).
_UNKNOWN_BY_HOP = {
    Hop.OTHER: "whether the transit gateway or appliance route {targets} reaches S3",
    Hop.APPLIANCE: "whether the appliance endpoint {targets} (Gateway Load Balancer or Network "
    "Firewall) forwards S3 traffic to a path that reaches S3",
    Hop.NAT_UNDETERMINED: "whether NAT gateway {targets} reaches S3 (its own route table does "
    "not send S3 to an internet gateway, or it is not available)",
    Hop.INTERNET_GATEWAY: "whether the job's interfaces can use internet gateway {targets} "
    "(SageMaker gives them private addresses only)",
}


def table_severity(path: TablePath) -> Severity | None:
    """None when every S3 range of the table goes to a gateway endpoint; at most MEDIUM
    when a route to an unread customer list could take part of them elsewhere."""
    if path.unread_lists:
        return Severity.MEDIUM
    found = [s for hop in path.hops if (s := _SEVERITY_BY_HOP[hop]) is not None]
    return max(found, key=lambda s: s.rank) if found else None


def unknowns(paths: Iterable[TablePath]) -> list[str]:
    """What to confirm for the undetermined hops of these paths, one line each."""
    lines = []
    for hop, text in _UNKNOWN_BY_HOP.items():
        targets = sorted({t for p in paths for t in p.targets(hop)})
        if targets:
            lines.append(text.format(targets=", ".join(targets)))
    lists = sorted({pl for p in paths for pl in p.unread_lists})
    if lists:
        lines.append(f"the entries of prefix list {', '.join(lists)}, which a route goes to")
    return lines


def main_table(tables: Iterable[RouteTableTypeDef]) -> RouteTableTypeDef | None:
    return next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)


def _explicit(tables: Iterable[RouteTableTypeDef]) -> dict[str, RouteTableTypeDef]:
    return {
        a["SubnetId"]: t
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId")
        and a.get("AssociationState", {}).get("State", "associated") == "associated"
    }


def effective_route_tables(snapshot: Snapshot) -> dict[str, RouteTableTypeDef | None]:
    """Each job subnet found in the job's VPC and its route table: the explicit association,
    else the VPC's main table. A subnet of another VPC is never mapped to this VPC's tables."""
    tables = snapshot.route_tables.get()
    main = main_table(tables)
    explicit = _explicit(tables)
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


def private_dns_interfaces(
    endpoints: Iterable[VpcEndpointTypeDef], dns_support: bool | None = True
) -> list[VpcEndpointTypeDef]:
    """Available S3 interface endpoints (AWS PrivateLink for Amazon S3) that S3's names may
    resolve to inside the VPC: private DNS on, and no available gateway endpoint taking the
    VPC's own traffic (with one, only inbound resolver traffic uses the interface endpoint
    unless PrivateDnsOnlyForInboundResolverEndpoint is off). Private DNS needs the VPC's
    enableDnsSupport (and enableDnsHostnames, not read): with it off (`dns_support` False),
    S3's names resolve to its public addresses and no interface endpoint counts."""
    if dns_support is False:
        return []
    found = list(endpoints)
    gateway = any(
        e.get("VpcEndpointType") == "Gateway" and str(e.get("State", "")).lower() == "available"
        for e in found
    )
    return [
        e
        for e in found
        if e.get("VpcEndpointType") == "Interface"
        and str(e.get("State", "")).lower() == "available"
        and e.get("PrivateDnsEnabled")
        and (
            not gateway
            or e.get("DnsOptions", {}).get("PrivateDnsOnlyForInboundResolverEndpoint") is False
        )
    ]


def artifact_objects(snapshot: Snapshot) -> list[str]:
    """The objects the job's instances read through the VPC: the model artifacts. (The sample
    payload is read by Inference Recommender from the service side, not through the VPC.)"""
    model = snapshot.model.value if snapshot.model.ok else None
    arns = (object_arn(snapshot.job, url) for url in (model.artifact_urls if model else ()))
    return list(dict.fromkeys(a for a in arns if a))


def job_requests(snapshot: Snapshot) -> list[tuple[str, str]]:
    """The S3 requests the job's instances make through the VPC, as (action, object ARN): the
    model artifacts' reads for Inference Recommender; for a workload whose data path is the
    VPC, its own locations (JobRequest.s3_reads and s3_writes)."""
    job = snapshot.job
    if workload_of(job.workload).data_path != THROUGH_VPC:
        return [(S3_READ_ACTION, arn) for arn in artifact_objects(snapshot)]
    found = [(S3_READ_ACTION, prefix_arn(job, u)) for u in job.s3_reads]
    found += [(S3_WRITE_ACTION, prefix_arn(job, u)) for u in job.s3_writes]
    return list(dict.fromkeys((action, arn) for action, arn in found if arn))


def request_label(action: str, arn: str) -> str:
    """An object ARN, preceded by its action when that is not the read."""
    return arn if action == S3_READ_ACTION else f"{action} {arn}"


def describe_requests(requests: Iterable[tuple[str, str]]) -> str:
    """`s3:GetObject on A, B; s3:PutObject on C`: the requests grouped by action."""
    by_action: dict[str, list[str]] = {}
    for action, arn in requests:
        by_action.setdefault(action, []).append(arn)
    return "; ".join(f"{a} on {', '.join(arns)}" for a, arns in by_action.items())


def refused_requests(
    snapshot: Snapshot, endpoint: Mapping[str, Any]
) -> dict[tuple[str, str], policy.Evaluation]:
    """The job's requests (action, ARN) an endpoint's policy does not certainly let through."""
    document = policy.parse(endpoint.get("PolicyDocument"))
    if not document:  # no policy means full access
        return {}
    endpoint_id = str(endpoint["VpcEndpointId"])
    vpc_id, role = str(snapshot.vpc_id), role_facts(snapshot)
    # A VPC-side job's locations are prefixes (prefix_arn); IR's artifacts are objects.
    prefixes = workload_of(snapshot.job.workload).data_path == THROUGH_VPC
    results = {
        (action, arn): policy.evaluate(
            [document],
            replace(
                endpoint_read(snapshot.job, endpoint_id, vpc_id, arn, role=role, action=action),
                resource_is_template=prefixes,
            ),
        )
        for action, arn in job_requests(snapshot)
    }
    return {k: e for k, e in results.items() if e.decision is not policy.Decision.ALLOWED}


def refused_objects(
    snapshot: Snapshot, endpoint: Mapping[str, Any]
) -> dict[str, policy.Evaluation]:
    """The job's objects an endpoint's policy does not certainly let through, by label (the
    ARN, preceded by its action when that is not s3:GetObject)."""
    return {request_label(*k): e for k, e in refused_requests(snapshot, endpoint).items()}


def s3_paths(snapshot: Snapshot) -> list[TablePath]:
    """One path per route table the job's subnets use (None: the VPC has no table for it)."""
    router = Router.of(snapshot)
    by_table: dict[str | None, list[str]] = {}
    tables: dict[str | None, RouteTableTypeDef | None] = {}
    for sid, table in effective_route_tables(snapshot).items():
        key = table["RouteTableId"] if table else None
        by_table.setdefault(key, []).append(sid)
        tables[key] = table
    return [router.path(tables[key], tuple(subnets)) for key, subnets in by_table.items()]


@dataclass(frozen=True, eq=False, repr=False)
class Router:
    """The VPC router's view of S3 traffic: the S3 ranges, the VPC's S3 endpoints, the
    customer prefix lists and NAT gateways its routes name, and every table of the VPC (a
    NAT gateway forwards by its own subnet's table)."""

    s3_list: str
    s3_cidrs: tuple[str, ...]
    endpoints: list[VpcEndpointTypeDef]
    lists: Mapping[str, ReferencedPrefixList]
    nats: Mapping[str, NatGatewayTypeDef]
    tables: list[RouteTableTypeDef]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Router:
        prefix_list = snapshot.s3_prefix_list.get()
        return cls(
            s3_list=prefix_list.prefix_list_id,
            s3_cidrs=prefix_list.cidrs,
            endpoints=snapshot.s3_endpoints.get(),
            lists=snapshot.route_prefix_lists.get(),
            nats=snapshot.nat_gateways.get(),
            tables=snapshot.route_tables.get(),
        )

    def path(self, table: RouteTableTypeDef | None, subnets: tuple[str, ...]) -> TablePath:
        routes, unread = self.routes(table)
        by_cidr = {}
        for cidr in self.s3_cidrs:
            interval = cidr_interval(cidr)
            if interval is None:
                continue
            winners = [self._resolve(piece, r) for piece, r in _pieces(routes, interval)]
            by_cidr[cidr] = tuple(dict.fromkeys(winners))
        return TablePath(table["RouteTableId"] if table else None, subnets, by_cidr, unread)

    def _resolve(self, piece: Interval, route: Route | None) -> Route | None:
        """A NAT gateway's hop is decided by what it does with the piece (see nat_hop)."""
        if route is None or route.hop is not Hop.NAT:
            return route
        return replace(route, hop=self.nat_hop(route.target, piece))

    def nat_hop(self, nat_id: str, piece: Interval) -> Hop:
        """A public NAT gateway reaches S3 when its own table sends the piece to an internet
        gateway; a private one never through an internet gateway ("NAT gateways",
        "Connectivity types"), though perhaps through a transit or private gateway."""
        nat = self.nats.get(nat_id)
        state = str((nat or {}).get("State", "")).lower()
        if nat is None or state in {"pending", ""}:
            return Hop.NAT_UNDETERMINED
        if state != "available":  # deleting, deleted, failed
            return Hop.NAT_NO_INTERNET
        table = self.nat_table(nat)
        if table is None and nat.get("RouteTableId"):  # a table that was not read
            return Hop.NAT_UNDETERMINED
        routes, unread = self.routes(table)
        if unread:
            return Hop.NAT_UNDETERMINED
        # moto leaves ConnectivityType out of public NAT gateways; AWS's default is public.
        private = nat.get("ConnectivityType") == "private"
        winners = [r for _, r in _pieces(routes, piece)]
        onward = {r.hop if r else Hop.NOWHERE for r in winners}
        # A NAT gateway whose own table sends the piece back to itself: a loop, no exit.
        loops = any(r is not None and r.hop is Hop.NAT and r.target == nat_id for r in winners)
        if (
            loops
            or onward & {Hop.NOWHERE, Hop.BLACKHOLE, Hop.PEERING}
            or (private and Hop.INTERNET_GATEWAY in onward)
        ):
            return Hop.NAT_NO_INTERNET
        return Hop.NAT if onward == {Hop.INTERNET_GATEWAY} else Hop.NAT_UNDETERMINED

    def nat_table(self, nat: NatGatewayTypeDef) -> RouteTableTypeDef | None:
        """The table a NAT gateway forwards by: its own (a regional NAT gateway names one),
        else its subnet's explicit table, else the main table."""
        own = nat.get("RouteTableId")
        if own:
            return next((t for t in self.tables if t.get("RouteTableId") == own), None)
        subnet = str(nat.get("SubnetId", ""))
        return _explicit(self.tables).get(subnet) or main_table(self.tables)

    def routes(self, table: RouteTableTypeDef | None) -> tuple[list[Route], tuple[str, ...]]:
        """The table's IPv4 routes (a prefix-list route once per entry), and the customer
        lists it routes to whose entries are unknown."""
        if table is None:
            return [], ()
        routes: list[Route] = []
        unread: list[str] = []
        for route in self._raw(table):
            listed = route.get("DestinationPrefixListId")
            if route.get("DestinationCidrBlock"):
                destinations = [str(route["DestinationCidrBlock"])]
                priority = (
                    _PROPAGATED if route.get("Origin") == "EnableVgwRoutePropagation" else _STATIC
                )
            elif listed == self.s3_list:
                destinations, priority = list(self.s3_cidrs), _PREFIX_LIST
            elif listed:
                found = self.lists.get(str(listed))
                if found is None or found.error is not None:
                    unread.append(str(listed))
                    continue
                destinations, priority = list(found.cidrs), _PREFIX_LIST
            else:
                continue  # IPv6
            target, hop = _target(route, self._s3_gateways())
            for destination in destinations:
                interval = cidr_interval(destination)
                if interval is not None:
                    via = str(listed) if listed and listed != self.s3_list else None
                    routes.append(Route(destination, interval, priority, target, hop, via))
        return routes, tuple(dict.fromkeys(unread))

    def _s3_gateways(self) -> set[str]:
        return {
            str(e["VpcEndpointId"]) for e in self.endpoints if e.get("VpcEndpointType") == "Gateway"
        }

    def _raw(self, table: RouteTableTypeDef) -> list[RouteTypeDef]:
        """The table's routes, with the S3 gateway endpoints' routes where the endpoints'
        own lists of tables say (AWS adds and removes the route with the association; moto
        does neither on modify_vpc_endpoint: docs/moto.md, "Route tables and endpoints")."""
        table_id = table.get("RouteTableId")
        available = [e for e in self.endpoints if str(e.get("State", "")).lower() == "available"]
        serving = {
            e["VpcEndpointId"]
            for e in available
            if e.get("VpcEndpointType") == "Gateway" and table_id in e.get("RouteTableIds", [])
        }
        known = {e.get("VpcEndpointId") for e in self.endpoints}
        raw = [
            r
            for r in table.get("Routes", [])
            if not (
                r.get("DestinationPrefixListId") == self.s3_list
                and r.get("GatewayId") in known
                and r.get("GatewayId") not in serving
            )
        ]
        routed = {
            r.get("GatewayId") for r in raw if r.get("DestinationPrefixListId") == self.s3_list
        }
        added: list[RouteTypeDef] = [
            {"DestinationPrefixListId": self.s3_list, "GatewayId": endpoint_id}
            for endpoint_id in sorted(serving - routed)
        ]
        return raw + added


def _target(route: RouteTypeDef, s3_gateways: set[str]) -> tuple[str, Hop]:
    key = next((k for k in _TARGET_KEYS if route.get(k)), None)
    target = str(route.get(key)) if key else "(none)"
    if str(route.get("State", "active")).lower() == "blackhole" or key is None:
        return target, Hop.BLACKHOLE
    if key == "NatGatewayId":
        return target, Hop.NAT
    if key == "VpcPeeringConnectionId":
        return target, Hop.PEERING
    if key == "GatewayId" and target.startswith("vpce-"):
        # Only the VPC's S3 gateway endpoints carry S3; any other endpoint in a route is an
        # appliance placed inline (Gateway Load Balancer, Network Firewall).
        return target, Hop.ENDPOINT if target in s3_gateways else Hop.APPLIANCE
    if key == "GatewayId" and target.startswith("igw-"):
        return target, Hop.INTERNET_GATEWAY
    return target, Hop.OTHER


def _pieces(routes: list[Route], target: Interval) -> list[tuple[Interval, Route | None]]:
    """Each piece of `target` with its winning route (None where no route matches)."""
    relevant = [r for r in routes if r.interval[0] <= target[1] and target[0] <= r.interval[1]]
    pieces: list[tuple[Interval, Route | None]] = []
    for piece in elementary((r.interval for r in relevant), target):
        covering = [r for r in relevant if contains(r.interval, piece)]
        best = min(
            covering,
            key=lambda r: (r.interval[1] - r.interval[0], r.priority),
            default=None,
        )
        pieces.append((piece, best))
    return pieces
