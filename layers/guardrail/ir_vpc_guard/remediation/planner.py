"""From remediable findings to actions, using only what the snapshot read.

The planner proposes additive changes only: an S3 gateway endpoint, route tables on it,
and egress rules to the S3 prefix list and to the job subnets' own CIDRs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ir_vpc_guard.checks.egress import subnet_gaps
from ir_vpc_guard.checks.routing import effective_route_tables, gateway_endpoints
from ir_vpc_guard.checks.vpc_config import subnet_label
from ir_vpc_guard.findings import Finding, RemediationStatus, Severity
from ir_vpc_guard.remediation.actions import (
    ADD_ENDPOINT_ROUTE_TABLES,
    ADD_S3_EGRESS,
    ADD_SUBNET_EGRESS,
    CREATE_ENDPOINT,
    Action,
)
from ir_vpc_guard.remediation.safety import safe_egress_cidr
from ir_vpc_guard.snapshot import Snapshot

Planner = Callable[[Snapshot, str, Finding], Action | None]


def plan(snapshot: Snapshot, findings: Iterable[Finding]) -> list[Action]:
    """One action per remediable finding, in a stable order."""
    if snapshot.vpc_id is None:
        return []
    actions = []
    for finding in findings:
        remediation = finding.remediation
        planner = PLANNERS.get(remediation.action) if remediation else None
        if planner is not None:
            action = planner(snapshot, snapshot.vpc_id, finding)
            if action is not None:
                actions.append(action)
    return actions


NAT_PATH = (
    "the subnets reach S3 through a NAT today; an endpoint would change the source of all "
    "S3 traffic on these route tables (policies on aws:SourceIp would stop matching): "
    "add it by hand if that is wanted"
)


def _table_ids(snapshot: Snapshot, vpc_id: str) -> tuple[str, ...]:
    """Route tables of the job subnets found in this VPC only: a subnet that was not found
    must never lead to a change of the VPC's main table."""
    found = snapshot.subnets.get()
    ours = {sid for sid, subnet in found.items() if subnet.get("VpcId") == vpc_id}
    tables = effective_route_tables(snapshot)
    return tuple(sorted({t["RouteTableId"] for sid, t in tables.items() if t and sid in ours}))


def _via_nat(action: Action, finding: Finding) -> Action:
    """A LOW finding means S3 is reachable through a NAT: propose, never apply."""
    if finding.severity is Severity.LOW:
        return action.settle(RemediationStatus.SKIPPED, NAT_PATH)
    return action


def _create_endpoint(snapshot: Snapshot, vpc_id: str, finding: Finding) -> Action | None:
    tables = _table_ids(snapshot, vpc_id)
    if not tables:
        return None
    action = Action(CREATE_ENDPOINT, finding.check_id, vpc_id, vpc_id, route_table_ids=tables)
    return _via_nat(action, finding)


def _add_route_tables(snapshot: Snapshot, vpc_id: str, finding: Finding) -> Action | None:
    endpoints = gateway_endpoints(snapshot)
    if not endpoints:
        return None
    endpoint = endpoints[0]
    attached = set(endpoint.get("RouteTableIds", []))
    missing = tuple(t for t in _table_ids(snapshot, vpc_id) if t not in attached)
    if not missing:
        return None
    action = Action(
        ADD_ENDPOINT_ROUTE_TABLES,
        finding.check_id,
        vpc_id,
        str(endpoint["VpcEndpointId"]),
        route_table_ids=missing,
    )
    return _via_nat(action, finding)


def _first_group(snapshot: Snapshot) -> str | None:
    found = snapshot.security_groups.get()
    return next((g for g in snapshot.job.security_groups if g in found), None)


def _add_s3_egress(snapshot: Snapshot, vpc_id: str, finding: Finding) -> Action | None:
    group = _first_group(snapshot)
    if group is None:
        return None
    prefix_list = snapshot.s3_prefix_list.get()
    return Action(
        ADD_S3_EGRESS,
        finding.check_id,
        vpc_id,
        group,
        prefix_list_id=prefix_list.prefix_list_id,
    )


def _add_subnet_egress(snapshot: Snapshot, vpc_id: str, finding: Finding) -> Action | None:
    if "undetermined" in finding.evidence:
        return None  # confirm first; the certain gaps, if any, have their own finding
    group = _first_group(snapshot)
    if group is None:
        return None
    missing, _undetermined = subnet_gaps(snapshot)
    cidrs = sorted({str(s["CidrBlock"]) for s in missing.values() if s.get("CidrBlock")})
    ipv6_only = [
        f"{sid} ({subnet_label(s)})" for sid, s in missing.items() if not s.get("CidrBlock")
    ]
    if not cidrs and not ipv6_only:
        return None
    unsafe = [c for c in cidrs if not safe_egress_cidr(c)]
    action = Action(
        ADD_SUBNET_EGRESS,
        finding.check_id,
        vpc_id,
        group,
        cidrs=tuple(c for c in cidrs if safe_egress_cidr(c)),
    )
    refusals = []
    if unsafe:
        refusals.append(f"refused: {', '.join(unsafe)} is not a subnet-sized IPv4 CIDR")
    if ipv6_only:
        refusals.append(
            f"{', '.join(ipv6_only)} has no IPv4 CIDR: add its IPv6 rule by hand "
            "(the finding's command)"
        )
    if refusals:
        return action.settle(RemediationStatus.SKIPPED, "; ".join(refusals))
    return action


PLANNERS: dict[str, Planner] = {
    CREATE_ENDPOINT: _create_endpoint,
    ADD_ENDPOINT_ROUTE_TABLES: _add_route_tables,
    ADD_S3_EGRESS: _add_s3_egress,
    ADD_SUBNET_EGRESS: _add_subnet_egress,
}
