"""R5: the job subnets reach S3 through an S3 gateway endpoint on their route tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.job import S3_URL_PATTERN
from ir_vpc_guard.requirements import S3_READ_ACTION
from ir_vpc_guard.snapshot import Snapshot

# Next hops that give private subnets a path to the internet (an internet gateway does not:
# the job's interfaces have no public IPs).
EGRESS_HOPS = ("NatGatewayId", "TransitGatewayId", "NetworkInterfaceId", "InstanceId")


def effective_route_tables(snapshot: Snapshot) -> dict[str, dict[str, Any] | None]:
    """Each job subnet's route table: its explicit association, else the VPC's main table."""
    tables = snapshot.route_tables.get()
    main = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    explicit = {
        a["SubnetId"]: t
        for t in tables
        for a in t.get("Associations", [])
        if a.get("SubnetId")
        and a.get("AssociationState", {}).get("State", "associated") == "associated"
    }
    return {sid: explicit.get(sid, main) for sid in snapshot.job.subnets}


def gateway_endpoints(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Available S3 endpoints of type Gateway (an Interface endpoint needs other plumbing)."""
    return [
        e
        for e in snapshot.s3_endpoints.get()
        if e.get("VpcEndpointType") == "Gateway" and e.get("State", "").lower() == "available"
    ]


def has_egress_path(table: dict[str, Any] | None) -> bool:
    """A default route through a NAT (or transit gateway, or appliance) that is active."""
    if table is None:
        return False
    return any(
        route.get("DestinationCidrBlock") == "0.0.0.0/0"
        and route.get("State", "active") == "active"
        and any(route.get(hop) for hop in EGRESS_HOPS)
        for route in table.get("Routes", [])
    )


def _severity(tables: list[dict[str, Any] | None]) -> Severity:
    """A blocker, unless every affected subnet still reaches S3 through a NAT path."""
    return Severity.LOW if tables and all(has_egress_path(t) for t in tables) else Severity.HIGH


@register(
    "S3_ENDPOINT_MISSING",
    title="The VPC has no S3 gateway endpoint",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("s3_endpoints", "route_tables"),
    risk="Without an endpoint (or a NAT path) the job cannot read its model or payload from S3.",
    fix="Create a Gateway endpoint for com.amazonaws.<region>.s3 on the job subnets' route tables.",
    remediation_action="create-s3-gateway-endpoint",
)
def s3_endpoint_missing(snapshot: Snapshot) -> Iterator[Problem]:
    if gateway_endpoints(snapshot):
        return
    tables = effective_route_tables(snapshot)
    table_ids = sorted({t["RouteTableId"] for t in tables.values() if t})
    severity = _severity(list(tables.values()))
    path = " They reach S3 through a NAT path, at a cost." if severity is Severity.LOW else ""
    yield Problem(
        detail=f"No available S3 gateway endpoint in {snapshot.vpc_id}.{path}",
        resources=(str(snapshot.vpc_id),),
        evidence={
            "routeTables": table_ids,
            "endpointsSeen": [
                {"id": e.get("VpcEndpointId"), "type": e.get("VpcEndpointType")}
                for e in snapshot.s3_endpoints.get()
            ],
            "natPath": severity is Severity.LOW,
        },
        severity=severity,
        command=(
            f"aws ec2 create-vpc-endpoint --vpc-id {snapshot.vpc_id} --vpc-endpoint-type Gateway "
            f"--service-name com.amazonaws.{snapshot.job.region}.s3 "
            f"--route-table-ids {' '.join(table_ids)}"
        ),
    )


@register(
    "S3_ENDPOINT_ROUTE_MISSING",
    title="A job subnet's route table is not attached to the S3 gateway endpoint",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("s3_endpoints", "route_tables", "subnets"),
    risk="Endpoints in that subnet cannot reach S3 and the job fails.",
    fix="Add the subnet's route table (explicit, else the main one) to the S3 gateway endpoint.",
    remediation_action="add-endpoint-route-tables",
)
def s3_endpoint_route_missing(snapshot: Snapshot) -> Iterator[Problem]:
    endpoints = gateway_endpoints(snapshot)
    if not endpoints:
        return  # S3_ENDPOINT_MISSING says it
    attached = {rt for e in endpoints for rt in e.get("RouteTableIds", [])}
    tables = effective_route_tables(snapshot)
    missing = {
        sid: t for sid, t in tables.items() if sid in snapshot.subnets.get() and t is not None
    }
    missing = {sid: t for sid, t in missing.items() if t["RouteTableId"] not in attached}
    if not missing:
        return
    table_ids = sorted({t["RouteTableId"] for t in missing.values()})
    endpoint_id = endpoints[0]["VpcEndpointId"]
    yield Problem(
        detail=(
            f"{endpoint_id} is not on "
            + ", ".join(f"{t['RouteTableId']} (used by {sid})" for sid, t in missing.items())
            + "."
        ),
        resources=(endpoint_id, *table_ids),
        evidence={
            "endpoint": endpoint_id,
            "attached": sorted(attached),
            "subnetRouteTables": {sid: t["RouteTableId"] for sid, t in missing.items()},
        },
        severity=_severity(list(missing.values())),
        command=(
            f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} "
            f"--add-route-table-ids {' '.join(table_ids)}"
        ),
    )


def _job_objects(snapshot: Snapshot) -> list[str]:
    """ARNs of the S3 objects the job reads: model artifacts and sample payload."""
    model = snapshot.model.get()
    urls = [*model.artifact_urls, snapshot.job.sample_payload_url or model.sample_payload_url]
    arns = []
    for url in urls:
        match = S3_URL_PATTERN.fullmatch(url or "")
        if match:
            arns.append(f"arn:aws:s3:::{match.group(1)}{match.group(2) or '/'}".rstrip("/"))
    return list(dict.fromkeys(arns))


@register(
    "S3_ENDPOINT_POLICY_DENIES",
    title="The S3 gateway endpoint's policy does not allow reading the job's objects",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("s3_endpoints", "model"),
    risk="Reads of the model or payload through the endpoint are refused and the job fails.",
    fix="Allow s3:GetObject on the job's buckets in the endpoint policy (console default: full).",
)
def s3_endpoint_policy_denies(snapshot: Snapshot) -> Iterator[Problem]:
    objects = _job_objects(snapshot)
    for endpoint in gateway_endpoints(snapshot):
        document = policy.parse(endpoint.get("PolicyDocument"))
        if not document:  # no policy means full access
            continue
        refused = {
            arn: decision.value
            for arn in objects
            if (decision := policy.decide([document], S3_READ_ACTION, arn))
            is not policy.Decision.ALLOWED
        }
        if refused:
            yield Problem(
                detail=f"{endpoint['VpcEndpointId']} does not allow s3:GetObject on "
                + ", ".join(refused)
                + " (conditional statements are not taken as allowing).",
                resources=(endpoint["VpcEndpointId"],),
                evidence={"decisions": refused},
                command=(
                    f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint['VpcEndpointId']} "
                    "--reset-policy"
                ),
            )
