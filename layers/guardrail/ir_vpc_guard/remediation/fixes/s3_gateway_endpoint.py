"""create-s3-gateway-endpoint: an S3 gateway endpoint on the job's private route tables
(those whose S3 traffic goes nowhere), or the one that appeared meanwhile, completed."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

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
    tables_by_need,
)
from ir_vpc_guard.requirements import s3_service_name

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import VpcEndpointTypeDef


def client_token(event_id: str, vpc_id: str, route_table_ids: tuple[str, ...]) -> str:
    """Same event, VPC and route tables, same token (at most 64 ASCII characters): a retried
    request is answered with the first result. Another event gets another token, so a
    re-create after someone deleted the endpoint is not answered with the deleted one."""
    key = f"{event_id}|{vpc_id}|{','.join(sorted(route_table_ids))}"
    return f"ir-vpc-guard-{hashlib.sha256(key.encode()).hexdigest()[:48]}"


class CreateS3GatewayEndpoint(EndpointFix):
    name = ActionName.CREATE_S3_GATEWAY_ENDPOINT
    grants = (
        # The endpoint may only be the region's S3 service...
        Grant(
            ("ec2:CreateVpcEndpoint",),
            ("vpc-endpoint/*",),
            {"StringEquals": {"ec2:VpceServiceName": "com.amazonaws.{region}.s3"}},
        ),
        # ...while the call also authorizes the VPC and the tables it names (no such key).
        Grant(("ec2:CreateVpcEndpoint",), ("vpc/*", "route-table/*")),
        # Tagged in the create call (TagSpecifications) only.
        Grant(
            ("ec2:CreateTags",),
            ("vpc-endpoint/*",),
            {"StringEquals": {"ec2:CreateAction": "CreateVpcEndpoint"}},
        ),
    )

    def plan(self, snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
        tables = tables_by_need(snapshot)
        action = Action(self.name, finding.check_id, vpc_id, vpc_id)
        private = tables.get("endpoint", ())
        planned = [replace(action, route_table_ids=private)] if private else []
        return planned + left_alone(action, tables)

    def apply(
        self, context: Context, action: Action, endpoints: list[VpcEndpointTypeDef]
    ) -> tuple[Action, list[VpcEndpointTypeDef]]:
        if endpoints:  # it appeared meanwhile (another job, a person): complete it instead
            endpoint = endpoints[0]
            refused = policy_refusal(context, action, endpoint)
            if refused:
                return refused, endpoints
            missing = attach(context, endpoint, action.route_table_ids)
            settled = action.settle(
                RemediationStatus.APPLIED,
                f"{endpoint['VpcEndpointId']} already existed"
                + (f"; added {', '.join(missing)}" if missing else "; nothing to add"),
                endpoint=endpoint["VpcEndpointId"],
            )
            return settled, endpoints
        job = context.snapshot.job
        created = context.ec2.create_vpc_endpoint(
            VpcId=action.vpc_id,
            ServiceName=s3_service_name(job.region),
            VpcEndpointType="Gateway",
            RouteTableIds=list(action.route_table_ids),
            ClientToken=client_token(job.event_id, action.vpc_id, action.route_table_ids),
            TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": context.tags()}],
        )["VpcEndpoint"]
        endpoint_id = created["VpcEndpointId"]
        settled = action.settle(
            RemediationStatus.APPLIED,
            f"created {endpoint_id} on {', '.join(action.route_table_ids)}",
            endpoint=endpoint_id,
            created=True,
        )
        # What the next fix of this track completes: the endpoint on these tables.
        return settled, [
            {"VpcEndpointId": endpoint_id, "RouteTableIds": list(action.route_table_ids)}
        ]


UNIT = CreateS3GatewayEndpoint()
