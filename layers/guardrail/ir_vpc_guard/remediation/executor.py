"""Applies approved actions idempotently: re-read, then write only what is still missing.

Endpoint actions and security group actions touch different resources, so they run as two
concurrent tracks. "Already exists" answers are success; any other error fails that action
only (FAILED with the AWS error code) and the others still run. Every created resource is
tagged in the create call itself, so nothing is ever left half-made and untagged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.checks.network import allows_s3, allows_subnet, tcp_egress
from ir_vpc_guard.checks.s3path import refused_objects
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, RemediationStatus
from ir_vpc_guard.remediation.actions import ENDPOINT_ACTIONS, Action, rule_description, tags
from ir_vpc_guard.remediation.safety import egress_permissions_are_safe, safe_egress_cidr
from ir_vpc_guard.requirements import HTTPS_PORT, s3_service_name

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import (
        IpPermissionTypeDef,
        SecurityGroupTypeDef,
        TagTypeDef,
        VpcEndpointTypeDef,
    )

DUPLICATE_RULE = "InvalidPermission.Duplicate"
GONE_STATES = {"deleted", "deleting", "failed", "rejected", "expired"}
APPLIED, FAILED, SKIPPED = (
    RemediationStatus.APPLIED,
    RemediationStatus.FAILED,
    RemediationStatus.SKIPPED,
)


def client_token(event_id: str, vpc_id: str, route_table_ids: tuple[str, ...]) -> str:
    """Same event, VPC and route tables, same token (at most 64 ASCII characters): a retried
    request is answered with the first result. Another event gets another token, so a
    re-create after someone deleted the endpoint is not answered with the deleted one."""
    key = f"{event_id}|{vpc_id}|{','.join(sorted(route_table_ids))}"
    return f"ir-vpc-guard-{hashlib.sha256(key.encode()).hexdigest()[:48]}"


def _error(action: Action, error: BaseException) -> Action:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        return action.settle(FAILED, f"{error.operation_name}: {info.get('Message', '')}", code)
    return action.settle(FAILED, str(error)[:300], type(error).__name__)


class Executor:
    """Applies one job's approved actions in its VPC (the caller holds the VPC's lock)."""

    def __init__(
        self,
        clients: AwsClients,
        snapshot: Snapshot,
        budget: Budget = UNLIMITED,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ec2 = clients.ec2
        self.snapshot = snapshot
        self.job = snapshot.job
        self.budget = budget
        self.now = now

    def apply(self, actions: list[Action]) -> list[Action]:
        """Every action settled; the order of `actions` is kept."""
        approved = [a for a in actions if a.approved]
        endpoint_track = [a for a in approved if a.name in ENDPOINT_ACTIONS]
        group_track = [a for a in approved if a.name not in ENDPOINT_ACTIONS]
        with ThreadPoolExecutor(2, thread_name_prefix="remediation") as pool:
            endpoints = pool.submit(self._run_track, endpoint_track, self._endpoint_track)
            groups = pool.submit(self._run_track, group_track, self._group_track)
            settled = {
                **dict(zip(map(id, endpoint_track), endpoints.result(), strict=True)),
                **dict(zip(map(id, group_track), groups.result(), strict=True)),
            }
        return [settled.get(id(a), a) for a in actions]

    def _run_track(
        self, actions: list[Action], track: Callable[[list[Action]], list[Action]]
    ) -> list[Action]:
        if not actions:
            return []
        if not self.budget.may_start():
            return [a.settle(SKIPPED, "deadline near: not started") for a in actions]
        try:
            return track(actions)
        except Exception as error:  # the re-read failed (or worse): nothing was written
            return [_error(a, error) for a in actions]

    # --- S3 gateway endpoint -----------------------------------------------------------
    def _endpoint_track(self, actions: list[Action]) -> list[Action]:
        current = self._s3_gateway_endpoints()
        results = []
        for action in actions:
            try:
                if action.name is ActionName.CREATE_S3_GATEWAY_ENDPOINT:
                    result = self._ensure_endpoint(action, current)
                    if not current and result.details.get("endpoint"):
                        current = [
                            {
                                "VpcEndpointId": result.details["endpoint"],
                                "RouteTableIds": list(action.route_table_ids),
                            }
                        ]
                else:
                    result = self._add_route_tables(action, current)
            except Exception as error:  # this action fails; the next still runs
                result = _error(action, error)
            results.append(result)
        return results

    def _s3_gateway_endpoints(self) -> list[VpcEndpointTypeDef]:
        if self.snapshot.vpc_id is None:  # the planner plans nothing without a VPC
            raise RuntimeError("no VPC was read: nothing to re-read")
        answer = self.ec2.describe_vpc_endpoints(
            Filters=[
                {"Name": "vpc-id", "Values": [self.snapshot.vpc_id]},
                {"Name": "service-name", "Values": [s3_service_name(self.job.region)]},
                {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
            ]
        )
        return [
            e
            for e in answer.get("VpcEndpoints", [])
            if str(e.get("State", "")).lower() not in GONE_STATES
        ]

    def _ensure_endpoint(self, action: Action, current: list[VpcEndpointTypeDef]) -> Action:
        if current:  # it appeared meanwhile (another job, a person): complete it instead
            endpoint = current[0]
            refused = self._refusal(action, endpoint)
            if refused:
                return refused
            missing = self._attach(endpoint, action.route_table_ids)
            return action.settle(
                APPLIED,
                f"{endpoint['VpcEndpointId']} already existed"
                + (f"; added {', '.join(missing)}" if missing else "; nothing to add"),
                endpoint=endpoint["VpcEndpointId"],
            )
        created = self.ec2.create_vpc_endpoint(
            VpcId=action.vpc_id,
            ServiceName=s3_service_name(self.job.region),
            VpcEndpointType="Gateway",
            RouteTableIds=list(action.route_table_ids),
            ClientToken=client_token(self.job.event_id, action.vpc_id, action.route_table_ids),
            TagSpecifications=[
                {"ResourceType": "vpc-endpoint", "Tags": self._tags()},
            ],
        )["VpcEndpoint"]
        return action.settle(
            APPLIED,
            f"created {created['VpcEndpointId']} on {', '.join(action.route_table_ids)}",
            endpoint=created["VpcEndpointId"],
            created=True,
        )

    def _add_route_tables(self, action: Action, current: list[VpcEndpointTypeDef]) -> Action:
        endpoint = next((e for e in current if e["VpcEndpointId"] == action.resource), None)
        if endpoint is None:
            return action.settle(
                FAILED,
                f"{action.resource} no longer exists; the next run will create an endpoint",
                "InvalidVpcEndpointId.NotFound",
            )
        refused = self._refusal(action, endpoint)
        if refused:
            return refused
        missing = self._attach(endpoint, action.route_table_ids)
        reason = f"added {', '.join(missing)}" if missing else "already attached"
        return action.settle(APPLIED, f"{reason} to {action.resource}")

    def _refusal(self, action: Action, endpoint: Mapping[str, Any]) -> Action | None:
        """Never attach the job's tables to an endpoint whose policy refuses its objects."""
        refused = refused_objects(self.snapshot, endpoint)
        if not refused:
            return None
        return action.settle(
            RemediationStatus.MANUAL,
            f"{endpoint['VpcEndpointId']}'s policy does not allow the job's objects "
            f"({', '.join(refused)}): attaching the tables would not give the job S3",
            endpoint=endpoint["VpcEndpointId"],
        )

    def _attach(self, endpoint: VpcEndpointTypeDef, table_ids: tuple[str, ...]) -> list[str]:
        attached = set(endpoint.get("RouteTableIds", []))
        missing = [t for t in table_ids if t not in attached]
        if missing:
            # RouteAlreadyExists (another endpoint routes S3 for a table) raises: the action
            # fails with that code, and the re-check says whether S3 is reachable anyway.
            self.ec2.modify_vpc_endpoint(
                VpcEndpointId=endpoint["VpcEndpointId"], AddRouteTableIds=missing
            )
        return missing

    # --- Security group egress ---------------------------------------------------------
    def _group_track(self, actions: list[Action]) -> list[Action]:
        found = self.snapshot.security_groups.get()
        job_groups = [g for g in self.job.security_groups if g in found]
        answer = self.ec2.describe_security_groups(GroupIds=job_groups)
        groups = answer.get("SecurityGroups", [])
        # Each action adds a different rule: their writes run side by side (one wave).
        with ThreadPoolExecutor(len(actions), thread_name_prefix="egress") as pool:
            return list(pool.map(lambda a: self._ensure_rule(a, groups, job_groups), actions))

    def _ensure_rule(
        self, action: Action, groups: list[SecurityGroupTypeDef], job_groups: list[str]
    ) -> Action:
        try:
            for _attempt in range(2):  # a duplicate means a concurrent change: re-read once
                permission = self._missing_permission(action, groups, job_groups)
                if permission is None:
                    return action.settle(APPLIED, "already allowed: nothing to add")
                settled = self._authorize(action, permission)
                if settled is not None:
                    return settled
                answer = self.ec2.describe_security_groups(GroupIds=job_groups)
                groups = answer.get("SecurityGroups", [])
        except Exception as error:  # a timeout (or worse) fails this rule only
            return _error(action, error)
        return action.settle(FAILED, "rules kept changing under this write", DUPLICATE_RULE)

    def _missing_permission(
        self, action: Action, groups: list[SecurityGroupTypeDef], job_groups: list[str]
    ) -> IpPermissionTypeDef | None:
        egress = tcp_egress(groups)
        job = self.job.job_name
        if action.name is ActionName.ADD_S3_EGRESS_RULE:
            prefix_list = self.snapshot.s3_prefix_list.get()
            if allows_s3(egress, prefix_list.prefix_list_id, prefix_list.cidrs):
                return None
            if action.prefix_list_id is None:  # the planner names it; never a CIDR instead
                raise ValueError("an S3 egress action without the region's S3 prefix list")
            return {
                "IpProtocol": "tcp",
                "FromPort": HTTPS_PORT,
                "ToPort": HTTPS_PORT,
                "PrefixListIds": [
                    {
                        "PrefixListId": action.prefix_list_id,
                        "Description": rule_description("HTTPS to S3", job),
                    }
                ],
            }
        cidrs = [c for c in action.cidrs if not allows_subnet(egress, c, job_groups)]
        if not cidrs:
            return None
        return {
            "IpProtocol": "tcp",
            "FromPort": 0,
            "ToPort": 65535,
            "IpRanges": [
                {"CidrIp": c, "Description": rule_description("traffic between job subnets", job)}
                for c in cidrs
                if safe_egress_cidr(c)
            ],
        }

    def _authorize(self, action: Action, permission: IpPermissionTypeDef) -> Action | None:
        """The settled action, or None when AWS answered that a rule already exists."""
        if not egress_permissions_are_safe([permission]) or not (
            permission.get("IpRanges") or permission.get("PrefixListIds")
        ):
            return action.settle(SKIPPED, "refused: the rule would not be subnet-sized")
        try:
            answer = self.ec2.authorize_security_group_egress(
                GroupId=action.resource,
                IpPermissions=[permission],
                TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": self._tags()}],
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == DUPLICATE_RULE:
                return None  # AWS refused the whole request: see what is still missing
            return _error(action, error)
        rules = [r.get("SecurityGroupRuleId") for r in answer.get("SecurityGroupRules", [])]
        return action.settle(
            APPLIED,
            f"added egress to {self._destination(permission)} on {action.resource}",
            rules=[r for r in rules if r],
        )

    @staticmethod
    def _destination(permission: IpPermissionTypeDef) -> str:
        ports = f"TCP {permission['FromPort']}-{permission['ToPort']}"
        targets = [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
        targets += [r["CidrIp"] for r in permission.get("IpRanges", [])]
        return f"{', '.join(targets)} ({ports})"

    def _tags(self) -> list[TagTypeDef]:
        return tags(self.job.job_name, self.now().isoformat(timespec="seconds"))
