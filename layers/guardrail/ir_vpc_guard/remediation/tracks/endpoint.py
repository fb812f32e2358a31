"""The VPC's S3 gateway endpoint: what its fixes share. One re-read, then the fixes in
order (a created endpoint is what the next fix completes); which route tables need it."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ir_vpc_guard.checks.s3path import refused_objects, s3_paths, table_severity
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import RemediationStatus, Severity
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fix import Context, Fix, failure
from ir_vpc_guard.remediation.targets import VPC_ENDPOINT, Target
from ir_vpc_guard.requirements import s3_service_name

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import VpcEndpointTypeDef

GONE_STATES = {"deleted", "deleting", "failed", "rejected", "expired"}
NAT_PATH = (
    "these route tables reach S3 through a NAT today; an endpoint would change the source of "
    "all S3 traffic on them (policies on aws:SourceIp would stop matching): add them by hand "
    "if that is wanted"
)
OTHER_PATH = (
    "these route tables send S3 traffic somewhere the guardrail cannot follow to the end (a "
    "transit gateway, an appliance, an internet gateway, a NAT gateway it could not judge), "
    "which may be the intended path: add them by hand if the endpoint is wanted"
)


class EndpointFix(Fix):
    """A fix of the VPC's S3 gateway endpoint."""

    writes: ClassVar[Target] = VPC_ENDPOINT

    @abstractmethod
    def apply(
        self, context: Context, action: Action, endpoints: list[VpcEndpointTypeDef]
    ) -> tuple[Action, list[VpcEndpointTypeDef]]:
        """Settle the action against the endpoints re-read (only what is still missing is
        written); the endpoints as they are after it."""


def run(context: Context, work: Sequence[tuple[Action, Fix]]) -> list[Action]:
    """Re-read once; a failed fix fails alone and the next still runs."""
    current = s3_gateway_endpoints(context)
    results = []
    for action, unit in work:
        try:
            result, current = cast(EndpointFix, unit).apply(context, action, current)
        except Exception as error:  # this action fails; the next still runs
            result = failure(action, error)
        results.append(result)
    return results


def s3_gateway_endpoints(context: Context) -> list[VpcEndpointTypeDef]:
    """The VPC's S3 gateway endpoints that are not gone, as AWS answers now."""
    snapshot = context.snapshot
    if snapshot.vpc_id is None:  # the planner plans nothing without a VPC
        raise RuntimeError("no VPC was read: nothing to re-read")
    answer = context.ec2.describe_vpc_endpoints(
        Filters=[
            {"Name": "vpc-id", "Values": [snapshot.vpc_id]},
            {"Name": "service-name", "Values": [s3_service_name(snapshot.job.region)]},
            {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
        ]
    )
    return [
        e
        for e in answer.get("VpcEndpoints", [])
        if str(e.get("State", "")).lower() not in GONE_STATES
    ]


def refusal_reason(snapshot: Snapshot, endpoint: Mapping[str, Any]) -> str | None:
    """Why the job's tables must not go on this endpoint (its policy refuses the job's
    objects), or None: the planner and the apply both ask."""
    refused = refused_objects(snapshot, endpoint)
    if not refused:
        return None
    return (
        f"{endpoint['VpcEndpointId']}'s policy does not allow the job's objects "
        f"({', '.join(refused)}): attaching the tables would not give the job S3"
    )


def policy_refusal(context: Context, action: Action, endpoint: Mapping[str, Any]) -> Action | None:
    """Never attach the job's tables to an endpoint whose policy refuses its objects."""
    reason = refusal_reason(context.snapshot, endpoint)
    if reason is None:
        return None
    return action.settle(RemediationStatus.MANUAL, reason, endpoint=endpoint["VpcEndpointId"])


def attach(context: Context, endpoint: VpcEndpointTypeDef, table_ids: tuple[str, ...]) -> list[str]:
    """Add the tables not yet on the endpoint; the ones added."""
    attached = set(endpoint.get("RouteTableIds", []))
    missing = [t for t in table_ids if t not in attached]
    if missing:
        # RouteAlreadyExists (another endpoint routes S3 for a table) raises: the action
        # fails with that code, and the re-check says whether S3 is reachable anyway.
        context.ec2.modify_vpc_endpoint(
            VpcEndpointId=endpoint["VpcEndpointId"], AddRouteTableIds=missing
        )
    return missing


def tables_by_need(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """The job's route tables by what their S3 path needs: "endpoint" (no path: private),
    "nat", "other" (left alone). Only tables of the job's own VPC appear."""
    found: dict[str, set[str]] = {}
    for path in s3_paths(snapshot):
        severity = table_severity(path)
        if path.table_id is None or severity is None:
            continue
        need = (
            "endpoint"
            if severity is Severity.HIGH
            else "nat"
            if severity is Severity.LOW
            else "other"
        )
        found.setdefault(need, set()).add(path.table_id)
    return {need: tuple(sorted(ids)) for need, ids in found.items()}


def left_alone(action: Action, tables: dict[str, tuple[str, ...]]) -> list[Action]:
    """A SKIPPED action for each group of tables the guardrail must not reroute."""
    return [
        replace(action, route_table_ids=tables[need]).settle(RemediationStatus.SKIPPED, reason)
        for need, reason in (("nat", NAT_PATH), ("other", OTHER_PATH))
        if tables.get(need)
    ]
