"""R5: the job subnets reach S3 through an S3 gateway endpoint, judged route table by route
table, and that endpoint's policy lets the job's reads through (both judged in
checks/s3path.py, which remediation shares)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from ir_vpc_guard.checks import confirm
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.s3path import (
    TablePath,
    describe_requests,
    gateway_endpoints,
    private_dns_interfaces,
    refused_requests,
    request_label,
    s3_paths,
    table_severity,
    unknowns,
)
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Severity

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import VpcEndpointTypeDef


def _worst(paths: list[TablePath]) -> Severity | None:
    found = [s for p in paths if (s := table_severity(p)) is not None]
    return max(found, key=lambda s: s.rank) if found else None


def _undetermined(severity: Severity, paths: list[TablePath]) -> dict[str, str]:
    if severity is Severity.MEDIUM:
        return {"undetermined": "; ".join(unknowns(paths))}
    return {}


# The reads every S3 path judgement needs (checks/s3path.py).
PATH_READS = ("route_tables", "s3_prefix_list", "route_prefix_lists", "nat_gateways")


@register(
    "S3_ENDPOINT_MISSING",
    title="The VPC has no S3 gateway endpoint",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("s3_endpoints", *PATH_READS),
    consults=("dns_support",),
    risk="Without an endpoint (or a NAT path) the job cannot read its model from S3.",
    fix="Create a Gateway endpoint for com.amazonaws.<region>.s3 on the job subnets' route tables.",
    remediation_action=ActionName.CREATE_S3_GATEWAY_ENDPOINT,
    blocks_job=True,
)
def s3_endpoint_missing(snapshot: Snapshot) -> Iterator[Problem]:
    if gateway_endpoints(snapshot):
        return
    pending = gateway_endpoints(snapshot, "pending")
    if pending:
        endpoint = pending[0]["VpcEndpointId"]
        yield Problem(
            detail=f"{endpoint} is still pending in {snapshot.vpc_id}: S3 is reachable once it "
            "is available (usually within a minute). Check again before the job starts.",
            resources=(endpoint,),
            evidence={"pending": endpoint, "undetermined": "whether the endpoint is available"},
            severity=Severity.MEDIUM,
            command=f"aws ec2 wait vpc-endpoint-available --vpc-endpoint-ids {endpoint}",
        )
        return
    paths = s3_paths(snapshot)
    severity = _worst(paths) or Severity.HIGH
    table_ids = sorted({p.table_id for p in paths if p.table_id})
    nat = " They reach S3 through a NAT path, at a cost." if severity is Severity.LOW else ""
    create = (
        f"aws ec2 create-vpc-endpoint --vpc-id {snapshot.vpc_id} --vpc-endpoint-type Gateway "
        f"--service-name com.amazonaws.{snapshot.job.region}.s3 "
        f"--route-table-ids {' '.join(table_ids)}"
    )
    interfaces = private_dns_interfaces(snapshot.s3_endpoints.get(), snapshot.dns_support.value)
    if interfaces and severity.rank > Severity.MEDIUM.rank:
        yield _through_interface(snapshot, interfaces, paths, create)
        return
    yield Problem(
        detail=f"No available S3 gateway endpoint in {snapshot.vpc_id}.{nat}",
        resources=(str(snapshot.vpc_id),),
        evidence={
            "routeTables": table_ids,
            "paths": [p.evidence() for p in paths],
            "endpointsSeen": [
                {"id": e.get("VpcEndpointId"), "type": e.get("VpcEndpointType")}
                for e in snapshot.s3_endpoints.get()
            ],
            "natPath": severity is Severity.LOW,
            **_undetermined(severity, paths),
        },
        severity=severity,
        command=confirm.route_reads(paths, str(snapshot.vpc_id))
        if severity is Severity.MEDIUM
        else create,
    )


def _through_interface(
    snapshot: Snapshot,
    interfaces: list[VpcEndpointTypeDef],
    paths: list[TablePath],
    create: str,
) -> Problem:
    """No gateway endpoint, but S3's names resolve to an interface endpoint in the VPC:
    SageMaker's pages ask for a gateway endpoint, and whether the job's reads work through
    the interface endpoint is not documented (VPC User Guide, "AWS PrivateLink for S3")."""
    ids = [str(e["VpcEndpointId"]) for e in interfaces]
    return Problem(
        detail=f"No available S3 gateway endpoint in {snapshot.vpc_id}, but S3's names may "
        f"resolve to interface endpoint {', '.join(ids)} (private DNS, which also needs the "
        "VPC's enableDnsHostnames): the job's reads may work through it. SageMaker's "
        "documentation asks for a gateway endpoint.",
        resources=(str(snapshot.vpc_id), *ids),
        evidence={
            "interfaceEndpoints": ids,
            "paths": [p.evidence() for p in paths],
            "undetermined": f"whether the job's S3 reads succeed through {', '.join(ids)}: "
            "the VPC's enableDnsHostnames must be true for its private DNS, its subnets must "
            "be reachable from the job subnets, and its security groups must allow TCP 443 "
            "from the job's groups",
        },
        severity=Severity.MEDIUM,
        command=f"aws ec2 describe-vpc-attribute --vpc-id {snapshot.vpc_id} "
        "--attribute enableDnsHostnames && "
        f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {' '.join(ids)} --query "
        "'VpcEndpoints[].{Dns:PrivateDnsEnabled,Subnets:SubnetIds,Groups:Groups}'  "
        f"# or create the gateway endpoint SageMaker documents: {create}",
    )


def _attachable(path: TablePath, endpoint: VpcEndpointTypeDef) -> bool:
    """Adding the table to the endpoint would route S3 through it (it is not already on
    it, which leaves a more specific route as the cause)."""
    return path.table_id is not None and path.table_id not in endpoint.get("RouteTableIds", [])


@register(
    "S3_ENDPOINT_ROUTE_MISSING",
    title="A job subnet's route table is not attached to the S3 gateway endpoint",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("s3_endpoints", "subnets", *PATH_READS),
    consults=("dns_support",),
    risk="Endpoints in that subnet cannot reach S3 and the job fails.",
    fix="Add the subnet's route table (explicit, else the main one) to the S3 gateway endpoint.",
    remediation_action=ActionName.ADD_ENDPOINT_ROUTE_TABLES,
    blocks_job=True,
)
def s3_endpoint_route_missing(snapshot: Snapshot) -> Iterator[Problem]:
    endpoints = gateway_endpoints(snapshot)
    if not endpoints:
        return  # S3_ENDPOINT_MISSING says it
    off = [p for p in s3_paths(snapshot) if table_severity(p) is not None]
    if not off:
        return
    endpoint = endpoints[0]
    endpoint_id = endpoint["VpcEndpointId"]
    severity = _worst(off) or Severity.HIGH
    attachable = sorted({str(p.table_id) for p in off if _attachable(p, endpoint)})
    yield _unless_through_interface(
        snapshot,
        Problem(
            detail="S3 traffic does not go to a gateway endpoint from "
            + "; ".join(_describe(p) for p in off)
            + ".",
            resources=(
                endpoint_id,
                *sorted({str(p.table_id) for p in off}),
                *sorted({s for p in off for s in p.subnets}),
            ),
            evidence={
                "endpoint": endpoint_id,
                "attached": sorted(endpoint.get("RouteTableIds", [])),
                "subnetRouteTables": {s: p.table_id for p in off for s in p.subnets},
                "paths": [p.evidence() for p in off],
                **_undetermined(severity, off),
            },
            severity=severity,
            command=confirm.route_reads(off, str(snapshot.vpc_id))
            if severity is Severity.MEDIUM
            else (
                f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {endpoint_id} "
                f"--add-route-table-ids {' '.join(attachable)}"
                if attachable
                else f"aws ec2 describe-route-tables --route-table-ids "
                f"{' '.join(sorted(str(p.table_id) for p in off))}"
                "  # remove the more specific route"
            ),
        ),
    )


def _describe(path: TablePath) -> str:
    hops = ", ".join(sorted(h.value for h in path.hops))
    return f"{path.table_id or 'no route table'} (used by {', '.join(path.subnets)}): {hops}"


@register(
    "S3_ENDPOINT_POLICY_DENIES",
    title="The S3 gateway endpoint's policy does not allow reading the job's objects",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("s3_endpoints", "model", "subnets", *PATH_READS),
    # Training and the other VPC-side workloads: the request's own S3 locations, no model.
    vpc_reads=("s3_endpoints", "subnets", *PATH_READS),
    consults=("dns_support",),
    risk="Reads of the model artifacts through the endpoint are refused and the job fails "
    "(the sample payload is read from the service side, not through the endpoint).",
    fix="Allow s3:GetObject on the model artifacts in the endpoint policy (console default: full).",
    blocks_job=True,
)
def s3_endpoint_policy_denies(snapshot: Snapshot) -> Iterator[Problem]:
    used = {e for p in s3_paths(snapshot) for e in p.endpoints}
    for endpoint in gateway_endpoints(snapshot):
        endpoint_id = str(endpoint["VpcEndpointId"])
        refused = refused_requests(snapshot, endpoint) if endpoint_id in used else {}
        if not refused:
            continue
        certain = any(e.certain for e in refused.values())
        unknown = sorted({k for e in refused.values() for k in e.unknown_keys})
        yield _unless_through_interface(
            snapshot,
            Problem(
                detail=f"{endpoint_id} does not {'allow' if certain else 'certainly allow'} "
                f"{describe_requests(refused)} by the job's role.",
                resources=(endpoint_id,),
                evidence={
                    "decisions": {request_label(*k): e.decision.value for k, e in refused.items()},
                    "statements": sorted({s for e in refused.values() for s in e.statements}),
                    **({"undetermined": ", ".join(unknown)} if not certain else {}),
                },
                severity=None if certain else Severity.MEDIUM,
                command=(
                    f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {endpoint_id} "
                    "--query 'VpcEndpoints[0].PolicyDocument'  # then: aws ec2 modify-vpc-endpoint "
                    f"--vpc-endpoint-id {endpoint_id} --policy-document file://policy.json"
                )
                if certain
                else confirm.commands(
                    unknown,
                    [
                        confirm.object_target(action, arn, snapshot.job.role_arn)
                        for action, arn in refused
                    ],
                    f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {endpoint_id} "
                    "--query 'VpcEndpoints[0].PolicyDocument'",
                ),
            ),
        )


def _unless_through_interface(snapshot: Snapshot, problem: Problem) -> Problem:
    """An S3 interface endpoint whose private DNS takes the whole VPC's S3 traffic (beside the
    gateway endpoint: PrivateDnsOnlyForInboundResolverEndpoint off) makes the gateway
    endpoint's routes and policy beside the point: what it would certainly refuse is
    undetermined, with the read that confirms which endpoint the job's reads use."""
    interfaces = private_dns_interfaces(snapshot.s3_endpoints.get(), snapshot.dns_support.value)
    if not interfaces or (problem.severity or Severity.HIGH) is not Severity.HIGH:
        return problem
    ids = [str(e["VpcEndpointId"]) for e in interfaces]
    return replace(
        problem,
        severity=Severity.MEDIUM,
        evidence={
            **problem.evidence,
            "interfaceEndpoints": ids,
            "undetermined": f"whether the job's S3 reads use the gateway endpoint or interface "
            f"endpoint {', '.join(ids)}, whose private DNS takes S3's names for the VPC",
        },
        command=f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {' '.join(ids)} --query "
        "'VpcEndpoints[].{Dns:PrivateDnsEnabled,Options:DnsOptions}'  # then: "
        f"{problem.command}",
    )
