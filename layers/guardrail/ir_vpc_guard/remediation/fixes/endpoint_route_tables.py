"""add-endpoint-route-tables: the job's private route tables on the VPC's S3 gateway
endpoint, never on one whose policy refuses the job's objects."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ir_vpc_guard.checks.s3path import gateway_endpoints
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fix import Context
from ir_vpc_guard.remediation.permissions import Grant
from ir_vpc_guard.remediation.tracks.endpoint import (
    EndpointFix,
    attach,
    left_alone,
    policy_refusal,
    refusal_reason,
    tables_by_need,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import VpcEndpointTypeDef

FIXED_ELSEWHERE = (
    "these route tables are on the endpoint already: a more specific route takes S3 traffic "
    "elsewhere; change that route by hand"
)


class AddEndpointRouteTables(EndpointFix):
    name = ActionName.ADD_ENDPOINT_ROUTE_TABLES
    grants = (Grant(("ec2:ModifyVpcEndpoint",), ("vpc-endpoint/*", "route-table/*")),)

    def plan(self, snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
        endpoints = gateway_endpoints(snapshot)
        if not endpoints:
            return []
        endpoint = endpoints[0]
        attached = set(endpoint.get("RouteTableIds", []))
        tables = tables_by_need(snapshot)
        private = tables.get("endpoint", ())
        missing = tuple(t for t in private if t not in attached)
        action = Action(self.name, finding.check_id, vpc_id, str(endpoint["VpcEndpointId"]))
        actions = left_alone(action, tables)
        overridden = tuple(t for t in private if t in attached)
        if overridden:
            manual = replace(action, route_table_ids=overridden)
            actions.append(manual.settle(RemediationStatus.MANUAL, FIXED_ELSEWHERE))
        if not missing:
            return actions
        planned = replace(action, route_table_ids=missing)
        refused = refusal_reason(snapshot, endpoint)
        if refused:
            return [planned.settle(RemediationStatus.MANUAL, refused), *actions]
        return [planned, *actions]

    def apply(
        self, context: Context, action: Action, endpoints: list[VpcEndpointTypeDef]
    ) -> tuple[Action, list[VpcEndpointTypeDef]]:
        endpoint = next((e for e in endpoints if e["VpcEndpointId"] == action.resource), None)
        if endpoint is None:
            gone = action.settle(
                RemediationStatus.FAILED,
                f"{action.resource} no longer exists; the next run will create an endpoint",
                "InvalidVpcEndpointId.NotFound",
            )
            return gone, endpoints
        refused = policy_refusal(context, action, endpoint)
        if refused:
            return refused, endpoints
        missing = attach(context, endpoint, action.route_table_ids)
        reason = f"added {', '.join(missing)}" if missing else "already attached"
        return action.settle(RemediationStatus.APPLIED, f"{reason} to {action.resource}"), endpoints


UNIT = AddEndpointRouteTables()
