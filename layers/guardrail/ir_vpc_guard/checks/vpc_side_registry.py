"""A private registry's credentials Lambda (docs/workloads.md, "Private registry"):
with `RepositoryAccessMode=Vpc` and a credentials provider, SageMaker calls that Lambda
"through your VPC to lambda.<region>.amazonaws.com" ("Use a private Docker registry for
real-time inference containers", "... for training"). The job subnets need a Lambda
interface endpoint whose private DNS answers that name (enableDnsSupport and
enableDnsHostnames on the VPC), or a NAT path to the internet.

The registry host itself is a name the product cannot resolve: whether the job subnets
reach it stays for the customer to confirm, and every finding says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ir_vpc_guard.checks.netmath import cidr_interval
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.routing import PATH_READS
from ir_vpc_guard.checks.s3path import Hop, Route, Router, effective_route_tables
from ir_vpc_guard.discovery.private_registry import lambda_service_name
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.workload import THROUGH_VPC

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import RouteTableTypeDef, VpcEndpointTypeDef

DEFAULT_ROUTE = "0.0.0.0/0"
# Private and shared address space: a route there never carries Lambda's public addresses.
_PRIVATE = [cidr_interval(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
_PRIVATE += [cidr_interval("100.64.0.0/10")]
REGISTRY_UNKNOWN = (
    "The private registry host is not checked: its name resolves only inside your network, "
    "so whether the job subnets reach it (and its security groups admit the job's groups) "
    "is for you to confirm."
)


@register(
    "REGISTRY_AUTH_LAMBDA_UNREACHABLE",
    title="The job subnets cannot reach the private registry's credentials Lambda",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("lambda_endpoints", "dns_hostnames", "dns_support", "s3_endpoints", *PATH_READS),
    risk="SageMaker calls the registry's credentials Lambda through the job's VPC; without a "
    "Lambda interface endpoint (private DNS) or a NAT path the call fails and the image is "
    "never pulled.",
    fix="Create an interface endpoint for com.amazonaws.<region>.lambda with private DNS in "
    "the job's VPC (enableDnsSupport and enableDnsHostnames on), or give the job subnets a "
    "NAT path.",
    blocks_job=True,
    concerns=lambda workload: workload.data_path == THROUGH_VPC,
)
def registry_auth_lambda_unreachable(snapshot: Snapshot) -> Iterator[Problem]:
    endpoints = _available(snapshot.lambda_endpoints.get())
    dns_on = snapshot.dns_support.get() and snapshot.dns_hostnames.get()
    if dns_on and any(e.get("PrivateDnsEnabled") for e in endpoints):
        return
    router = Router.of(snapshot)
    tables = {
        str(t["RouteTableId"]) if t else None: t for t in effective_route_tables(snapshot).values()
    }
    hops = {table_id: _internet_hop(router, table) for table_id, table in tables.items()}
    if not hops:
        return  # no job subnet in the VPC: R2's checks say so
    found = set(hops.values())
    none = {Hop.NOWHERE, Hop.BLACKHOLE, Hop.NAT_NO_INTERNET, Hop.PEERING}
    if found == {Hop.NAT}:
        severity, how = Severity.LOW, "reach it through a NAT gateway only, at NAT's cost"
    elif found <= none:
        severity, how = Severity.HIGH, "have no NAT path to it"
    else:
        severity, how = Severity.MEDIUM, "may not reach it"
    unknown = _unknowns(found, none, bool(endpoints) and severity is Severity.HIGH)
    shared = _other_networks(router, list(tables.values()))
    if shared and severity is Severity.HIGH:
        unknown.append(
            f"whether a Lambda interface endpoint of another VPC, reached through "
            f"{', '.join(shared)}, answers lambda.<region>.amazonaws.com for this VPC (a shared "
            "private hosted zone or resolver rule)"
        )
    if unknown and severity is Severity.HIGH:
        severity = Severity.MEDIUM
    yield _problem(snapshot, endpoints, hops, severity=severity, how=how, unknown=unknown)


def _other_networks(router: Router, tables: list[RouteTableTypeDef | None]) -> list[str]:
    """The peering connections, transit and virtual private gateways the job subnets' tables
    route to: a centrally shared Lambda endpoint may sit behind one of them."""
    found = {
        r.target
        for table in tables
        for r in router.routes(table)[0]
        if r.target != "local" and r.hop in {Hop.PEERING, Hop.OTHER}
    }
    return sorted(found)


def _available(endpoints: list[VpcEndpointTypeDef]) -> list[VpcEndpointTypeDef]:
    return [
        e
        for e in endpoints
        if e.get("VpcEndpointType") == "Interface"
        and str(e.get("State", "")).lower() == "available"
    ]


def _unknowns(found: set[Hop], none: set[Hop], endpoint_without_dns: bool) -> list[str]:
    unknown = []
    if found & none and found - none:
        unknown.append("which job subnets SageMaker calls the Lambda from")
    if found - none - {Hop.NAT}:
        unknown.append(
            "whether the transit gateway, appliance, internet gateway or NAT route of the job "
            "subnets reaches lambda.<region>.amazonaws.com"
        )
    if endpoint_without_dns:
        unknown.append(
            "whether a DNS mapping of your own sends lambda.<region>.amazonaws.com to the "
            "Lambda interface endpoint (its private DNS does not answer that name)"
        )
    return unknown


def _problem(
    snapshot: Snapshot,
    endpoints: list[VpcEndpointTypeDef],
    hops: dict[str | None, Hop],
    *,
    severity: Severity,
    how: str,
    unknown: list[str],
) -> Problem:
    job, vpc_id = snapshot.job, str(snapshot.vpc_id)
    ids = [str(e["VpcEndpointId"]) for e in endpoints]
    dns = {
        "enableDnsSupport": snapshot.dns_support.get(),
        "enableDnsHostnames": snapshot.dns_hostnames.get(),
    }
    endpoint_text = (
        f"Lambda interface endpoint {', '.join(ids)} has no private DNS the job can use "
        f"(private DNS on the endpoint, and enableDnsSupport and enableDnsHostnames on "
        f"{vpc_id}: {dns})"
        if ids
        else f"{vpc_id} has no Lambda interface endpoint"
    )
    evidence: dict[str, object] = {
        "credentialsProvider": job.repository_credentials_provider,
        "lambdaEndpoints": ids,
        **dns,
        "internetPath": {str(t): h.value for t, h in hops.items()},
        "registryHost": "not determined",
    }
    if unknown:
        evidence["undetermined"] = "; ".join(unknown)
    return Problem(
        detail=f"SageMaker calls the registry's credentials Lambda "
        f"{job.repository_credentials_provider} through the job's VPC at "
        f"lambda.{job.region}.amazonaws.com; {endpoint_text}, and the job subnets {how}. "
        + REGISTRY_UNKNOWN,
        resources=(vpc_id, *ids),
        evidence=evidence,
        severity=severity,
        command=_command(snapshot, ids, dns),
    )


def _command(snapshot: Snapshot, ids: list[str], dns: dict[str, bool]) -> str:
    job, vpc_id = snapshot.job, str(snapshot.vpc_id)
    steps = [
        f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} --{name} '{{\"Value\":true}}'"
        for name, key in (
            ("enable-dns-support", "enableDnsSupport"),
            ("enable-dns-hostnames", "enableDnsHostnames"),
        )
        if not dns[key]
    ]
    if ids:
        steps += [
            f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {i} --private-dns-enabled" for i in ids
        ]
    else:
        steps.append(
            f"aws ec2 create-vpc-endpoint --vpc-id {vpc_id} --vpc-endpoint-type Interface "
            f"--service-name {lambda_service_name(job.region)} --subnet-ids "
            f"{' '.join(job.subnets)} --security-group-ids {' '.join(job.security_groups)} "
            "--private-dns-enabled"
        )
    return " && ".join(steps)


def _internet_hop(
    router: Router, table: RouteTableTypeDef | None, *, follow_nat: bool = True
) -> Hop:
    """Where the table sends a public address such as Lambda's: its default route, unless a
    more specific route to public space (or an unread prefix list) may take it. A NAT
    gateway's own table is not followed further (`follow_nat`)."""
    routes, unread = router.routes(table)
    specific = [
        r
        for r in routes
        if r.destination != DEFAULT_ROUTE
        and r.target != "local"
        and r.hop is not Hop.ENDPOINT  # S3's ranges, through its gateway endpoint
        and not any(p and p[0] <= r.interval[0] and r.interval[1] <= p[1] for p in _PRIVATE)
    ]
    if unread or specific:
        return Hop.OTHER
    default = min(
        (r for r in routes if r.destination == DEFAULT_ROUTE),
        key=lambda r: r.priority,
        default=None,
    )
    if default is None:
        return Hop.NOWHERE
    if default.hop is Hop.NAT:
        return _nat_hop(router, default) if follow_nat else Hop.NAT_UNDETERMINED
    return default.hop


def _nat_hop(router: Router, route: Route) -> Hop:
    """A public, available NAT gateway whose own table's default route is an internet
    gateway reaches Lambda; a private one, or one with no route out, does not."""
    nat = router.nats.get(route.target)
    state = str((nat or {}).get("State", "")).lower()
    if nat is None or state in {"pending", ""}:
        return Hop.NAT_UNDETERMINED
    if state != "available":
        return Hop.NAT_NO_INTERNET
    table = router.nat_table(nat)
    if table is None:
        return Hop.NAT_UNDETERMINED
    onward = _internet_hop(router, table, follow_nat=False)
    # A private NAT gateway never reaches the internet through an internet gateway ("NAT
    # gateways", "Connectivity types"); through a transit gateway, perhaps.
    private = nat.get("ConnectivityType") == "private"
    if onward is Hop.INTERNET_GATEWAY:
        return Hop.NAT_NO_INTERNET if private else Hop.NAT
    if onward in {Hop.NOWHERE, Hop.BLACKHOLE, Hop.PEERING}:
        return Hop.NAT_NO_INTERNET
    return Hop.NAT_UNDETERMINED
