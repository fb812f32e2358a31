"""From remediable findings to actions, using only what the snapshot read.

The planner proposes additive changes only: an S3 gateway endpoint, route tables on it,
and egress rules to the S3 prefix list and to the job subnets' own CIDRs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ir_vpc_guard.checks.network import subnet_gaps, subnet_label
from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.checks.s3path import gateway_endpoints, refused_objects, s3_paths, table_severity
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, RemediationStatus, Severity
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.safety import safe_egress_cidr

Planner = Callable[[Snapshot, str, Finding], list[Action]]


def plan(snapshot: Snapshot, findings: Iterable[Finding]) -> list[Action]:
    """The actions for remediable findings, in a stable order. Only a certain HIGH finding
    drives a change: for LOW (a NAT path) and MEDIUM (undetermined) ones every action is
    proposed, SKIPPED with the reason, never applied."""
    if snapshot.vpc_id is None:
        return []
    actions: list[Action] = []
    for finding in findings:
        remediation = finding.remediation
        planner = PLANNERS.get(remediation.action) if remediation else None
        check = CATALOGUE.get(finding.check_id)
        if planner is None or check is None or not all(snapshot.read(r).ok for r in check.reads):
            continue  # inputs unknown (a shared VPC not read): nothing to propose
        uncertain = finding.severity.rank < Severity.HIGH.rank
        reason = f"{finding.check_id} is {finding.severity.value}, not a certain HIGH"
        actions.extend(
            action.settle(RemediationStatus.SKIPPED, reason)
            if uncertain and action.status is RemediationStatus.PLANNED
            else action
            for action in planner(snapshot, snapshot.vpc_id, finding)
        )
    return actions


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
FIXED_ELSEWHERE = (
    "these route tables are on the endpoint already: a more specific route takes S3 traffic "
    "elsewhere; change that route by hand"
)


def _tables_by_need(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
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


def _left_alone(action: Action, tables: dict[str, tuple[str, ...]]) -> list[Action]:
    """A SKIPPED action for each group of tables the guardrail must not reroute."""
    return [
        replace(action, route_table_ids=tables[need]).settle(RemediationStatus.SKIPPED, reason)
        for need, reason in (("nat", NAT_PATH), ("other", OTHER_PATH))
        if tables.get(need)
    ]


def _create_endpoint(snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
    tables = _tables_by_need(snapshot)
    action = Action(ActionName.CREATE_S3_GATEWAY_ENDPOINT, finding.check_id, vpc_id, vpc_id)
    private = tables.get("endpoint", ())
    planned = [replace(action, route_table_ids=private)] if private else []
    return planned + _left_alone(action, tables)


def _add_route_tables(snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
    endpoints = gateway_endpoints(snapshot)
    if not endpoints:
        return []
    endpoint = endpoints[0]
    attached = set(endpoint.get("RouteTableIds", []))
    tables = _tables_by_need(snapshot)
    private = tables.get("endpoint", ())
    missing = tuple(t for t in private if t not in attached)
    action = Action(
        ActionName.ADD_ENDPOINT_ROUTE_TABLES,
        finding.check_id,
        vpc_id,
        str(endpoint["VpcEndpointId"]),
    )
    actions = _left_alone(action, tables)
    overridden = tuple(t for t in private if t in attached)
    if overridden:
        manual = replace(action, route_table_ids=overridden)
        actions.append(manual.settle(RemediationStatus.MANUAL, FIXED_ELSEWHERE))
    if not missing:
        return actions
    planned = replace(action, route_table_ids=missing)
    refused = refused_objects(snapshot, endpoint)
    if refused:
        return [
            planned.settle(
                RemediationStatus.MANUAL,
                f"{endpoint['VpcEndpointId']}'s policy does not allow the job's objects "
                f"({', '.join(refused)}): attaching the tables would not give the job S3",
            ),
            *actions,
        ]
    return [planned, *actions]


def _first_group(snapshot: Snapshot, vpc_id: str) -> str | None:
    """The first job group of the job's own VPC: a group elsewhere is never written."""
    found = snapshot.security_groups.get()
    return next(
        (g for g in snapshot.job.security_groups if g in found and found[g].get("VpcId") == vpc_id),
        None,
    )


def _add_s3_egress(snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
    group = _first_group(snapshot, vpc_id)
    if group is None:
        return []
    prefix_list = snapshot.s3_prefix_list.get()
    action = Action(
        ActionName.ADD_S3_EGRESS_RULE,
        finding.check_id,
        vpc_id,
        group,
        prefix_list_id=prefix_list.prefix_list_id,
    )
    return [action]


def _add_subnet_egress(snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
    if "undetermined" in finding.evidence:
        return []  # confirm first; the certain gaps, if any, have their own finding
    group = _first_group(snapshot, vpc_id)
    if group is None:
        return []
    missing, _undetermined = subnet_gaps(snapshot)
    cidrs = sorted({str(s["CidrBlock"]) for s in missing.values() if s.get("CidrBlock")})
    ipv6_only = [
        f"{sid} ({subnet_label(s)})" for sid, s in missing.items() if not s.get("CidrBlock")
    ]
    if not cidrs and not ipv6_only:
        return []
    unsafe = [c for c in cidrs if not safe_egress_cidr(c)]
    action = Action(
        ActionName.ADD_SUBNET_EGRESS_RULES,
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
        return [action.settle(RemediationStatus.SKIPPED, "; ".join(refusals))]
    return [action]


# Keyed by name: a finding's remediation carries its check's ActionName as a string.
PLANNERS: dict[str, Planner] = {
    ActionName.CREATE_S3_GATEWAY_ENDPOINT: _create_endpoint,
    ActionName.ADD_ENDPOINT_ROUTE_TABLES: _add_route_tables,
    ActionName.ADD_S3_EGRESS_RULE: _add_s3_egress,
    ActionName.ADD_SUBNET_EGRESS_RULES: _add_subnet_egress,
}
