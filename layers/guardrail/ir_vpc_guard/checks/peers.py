"""R7 between the instances of one distributed job: the job's security groups admit their own
members (docs/workloads.md, "Distributed jobs" and "EnableInterContainerTrafficEncryption").

Every network interface of the job carries all the job's groups, so a rule naming any of them
admits every peer; so do rules from CIDRs covering the job subnets, where the peers' addresses
are. The rule math is checks/network.py's (`rules_allowing`, `judge`, `rules_reaching`). A gap
is certain only when no rule lets any of the traffic through from (or to) any peer; when some
gets through, which ports the job uses or where SageMaker places its instances decides, and
neither is known: MEDIUM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks.network import (
    EGRESS,
    INGRESS,
    Ports,
    all_traffic,
    job_groups,
    job_vpc_subnets,
    judge,
    list_entries,
    reaches_subnet,
    rules_allowing,
    rules_reaching,
    subnet_label,
    tcp_ports,
)
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import ReadError, ReferencedPrefixList, Snapshot
from ir_vpc_guard.findings import ActionName, Severity
from ir_vpc_guard.intake.workloads import workload_of
from ir_vpc_guard.requirements import ALL_PORTS

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import SecurityGroupTypeDef, SubnetTypeDef

ENCRYPTION_PAGE = (
    "Protect Communications Between ML Compute Instances in a Distributed Training Job"
)
IKE_PORT = 500  # UDP, the IPsec key exchange inter-container encryption uses
# The entries of a list only inbound rules name are not read (nor those of a failed read).
UNREAD_LIST = ReadError("ec2:GetManagedPrefixListEntries", "NotRead")


@dataclass(frozen=True)
class Traffic:
    """What must pass between peers. `ports_of` gives a rule's ports when it allows this
    traffic (ALL_PORTS standing for "all of it" where the need is one port or no ports);
    `touches` says a rule lets some of it, or of anything, through (a partial admission)."""

    label: str
    ports_of: Callable[[dict[str, Any]], Ports | None]
    touches: Callable[[dict[str, Any]], bool]


def _protocol(permission: Mapping[str, Any]) -> str:
    return str(permission.get("IpProtocol", "")).lower()


def _udp_500(permission: dict[str, Any]) -> Ports | None:
    protocol = _protocol(permission)
    if protocol == "-1":
        return ALL_PORTS
    if protocol not in {"udp", "17"}:
        return None
    low, high = int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))
    return ALL_PORTS if low <= IKE_PORT <= high else None


def _esp(permission: dict[str, Any]) -> Ports | None:
    # EC2 ignores ports for IP protocol 50 (the page's own words).
    return ALL_PORTS if _protocol(permission) in {"-1", "50", "esp"} else None


def _anything(permission: dict[str, Any]) -> bool:
    return True


ALL_TRAFFIC = Traffic("all traffic", all_traffic, _anything)
EVERY_TCP_PORT = Traffic("every TCP port", tcp_ports, _anything)
UDP_500 = Traffic("UDP 500", _udp_500, lambda p: _udp_500(p) is not None)
ESP = Traffic("ESP (IP protocol 50)", _esp, lambda p: _esp(p) is not None)


@dataclass(frozen=True)
class Need:
    """One thing the peers need in one direction: its severity when no rule lets any of it
    through, and (`unknown`) why even that is not certain."""

    direction: str
    traffic: Traffic
    severity: Severity
    source: str
    unknown: str | None = None


PORTS_UNKNOWN = (
    "which ports the job's instances use between each other (AWS names none for this workload)"
)
OUTBOUND_UNDOCUMENTED = (
    "whether the job's instances open connections to each other: AWS documents only inbound "
    "rules for this workload"
)
EFA_UNKNOWN = "whether the job uses an Elastic Fabric Adapter (not in the request)"


def distributed(snapshot: Snapshot) -> bool:
    """More than one instance at once of a workload whose peers AWS documents."""
    job = snapshot.job
    return workload_of(job.workload).peers is not None and job.peers > 1


def needs(snapshot: Snapshot) -> list[Need]:
    """What the workload's peers need, for this job's instance types and settings."""
    job = snapshot.job
    workload = workload_of(job.workload)
    profile = workload.peers
    if profile is None:
        return []
    both = (INGRESS, EGRESS)
    found: list[Need] = []
    if profile.all_traffic:
        found += [Need(d, ALL_TRAFFIC, Severity.HIGH, profile.source) for d in both]
    else:
        found.append(Need(INGRESS, EVERY_TCP_PORT, Severity.HIGH, profile.source))
        found.append(
            Need(EGRESS, EVERY_TCP_PORT, Severity.MEDIUM, profile.source, OUTBOUND_UNDOCUMENTED)
        )
    if profile.efa and any(t in workload.efa_instance_types for t, _ in job.instance_groups):
        found += [Need(d, ALL_TRAFFIC, Severity.MEDIUM, profile.source, EFA_UNKNOWN) for d in both]
    if profile.encryption is not None and job.inter_container_encryption:
        found += [
            Need(d, t, profile.encryption, ENCRYPTION_PAGE) for d in both for t in (UDP_500, ESP)
        ]
    return found


@dataclass(frozen=True)
class Gap:
    """A need the groups do not meet, how sure that is, and the rules that partly meet it."""

    need: Need
    severity: Severity
    rules: tuple[str, ...] = ()
    undetermined: str | None = None
    lists: tuple[str, ...] = ()  # prefix lists whose unread entries might meet the need


def gaps(snapshot: Snapshot) -> list[Gap]:
    """Every need of the job's peers that the groups (as read) do not meet."""
    groups = job_groups(snapshot)
    subnets = job_vpc_subnets(snapshot)
    if not groups or not subnets:
        return []  # SECURITY_GROUP_NOT_FOUND, SUBNET_NOT_FOUND or VPC_MISMATCH says it
    unread = [g for g in snapshot.job.security_groups if g not in snapshot.security_groups.get()]
    entries = list_entries(snapshot)
    found = []
    for need in needs(snapshot):
        gap = _judged(need, groups, subnets, entries)
        if gap is not None and unread and gap.severity is Severity.HIGH:
            why = f"the rules of {', '.join(unread)} (not found)"
            gap = Gap(need, Severity.MEDIUM, gap.rules, why)
        if gap is not None:
            found.append(gap)
    return found


def _judged(
    need: Need,
    groups: Sequence[SecurityGroupTypeDef],
    subnets: Mapping[str, SubnetTypeDef],
    entries: Mapping[str, tuple[str, ...]],
) -> Gap | None:
    ids = [g["GroupId"] for g in groups]
    rules = rules_allowing(groups, need.direction, need.traffic.ports_of)
    lists = {
        pl: ReferencedPrefixList(pl, cidrs=entries[pl])
        if pl in entries
        else ReferencedPrefixList(pl, error=UNREAD_LIST)
        for pl in rules.to_prefix_lists
    }
    allowed, unknown = judge(
        rules, lists, lambda r: all(reaches_subnet(r, s, ids) for s in subnets.values())
    )
    if allowed:
        return None
    touching = [
        {**g, need.direction: [p for p in _rules_of(g, need.direction) if need.traffic.touches(p)]}
        for g in groups
    ]
    partly = tuple(
        dict.fromkeys(
            r
            for s in subnets.values()
            for r in rules_reaching(touching, s, ids, entries, need.direction)
        )
    )
    if unknown:
        lists_unread = f"the entries of prefix list {', '.join(unknown)}"
        return Gap(need, Severity.MEDIUM, partly, lists_unread, unknown)
    if not partly:
        return Gap(need, Severity.MEDIUM if need.unknown else need.severity, (), need.unknown)
    why = need.unknown or (
        PORTS_UNKNOWN
        if need.traffic is EVERY_TCP_PORT
        else "how SageMaker places the instances across the job subnets, and whether the "
        "traffic the rules leave out is used"
    )
    return Gap(need, Severity.MEDIUM, partly, why)


def _rules_of(group: Mapping[str, Any], direction: str) -> list[dict[str, Any]]:
    return list(group.get(direction, []))


@register(
    "SG_PEER_TRAFFIC_BLOCKED",
    title="The job's security groups do not admit the job's own instances",
    severity=Severity.HIGH,
    requirement="R7",
    reads=("security_groups", "subnets", "referenced_prefix_lists"),
    risk="The instances of a distributed job cannot reach each other: the job hangs or fails.",
    fix="Add an inbound rule on the job's group from that same group (all traffic); with "
    "inter-container traffic encryption, an outbound one to it too.",
    remediation_action=ActionName.ADD_PEER_INGRESS_RULE,
    needed=distributed,
    concerns=lambda workload: workload.peers is not None,
)
def sg_peer_traffic_blocked(snapshot: Snapshot) -> Iterator[Problem]:
    found = gaps(snapshot)
    if not found:
        return
    group_ids = tuple(g["GroupId"] for g in job_groups(snapshot))
    subnets = {sid: subnet_label(s) for sid, s in job_vpc_subnets(snapshot).items()}
    by_kind: dict[tuple[str, Severity], list[Gap]] = {}
    for gap in found:
        by_kind.setdefault((gap.need.direction, gap.severity), []).append(gap)
    for (direction, severity), kind in by_kind.items():
        yield _problem(
            snapshot,
            direction=direction,
            severity=severity,
            kind=kind,
            group_ids=group_ids,
            subnets=subnets,
        )


def _problem(
    snapshot: Snapshot,
    *,
    direction: str,
    severity: Severity,
    kind: list[Gap],
    group_ids: tuple[str, ...],
    subnets: dict[str, str],
) -> Problem:
    inbound = direction == INGRESS
    missing = list(dict.fromkeys(g.need.traffic.label for g in kind))
    rules = list(dict.fromkeys(r for g in kind for r in g.rules))
    way = "from" if inbound else "to"
    cidrs = ", ".join(subnets.values())
    peers = f"the job's groups ({', '.join(group_ids)}) or its subnets ({cidrs})"
    detail = (
        f"This job runs {snapshot.job.peers} instances that talk to each other, and no "
        f"{'inbound' if inbound else 'outbound'} rule of its groups allows "
        f"{', '.join(missing)} {way} {peers}."
    )
    if rules:
        detail = (
            f"This job runs {snapshot.job.peers} instances that talk to each other; its groups "
            f"allow {'in' if inbound else 'out'} only {'; '.join(rules)}, not {', '.join(missing)} "
            f"{way} every peer."
        )
    evidence: dict[str, Any] = {
        "direction": "inbound" if inbound else "outbound",
        "missing": missing,
        "groups": list(group_ids),
        "subnets": subnets,
        "instances": snapshot.job.peers,
        "sources": list(dict.fromkeys(g.need.source for g in kind)),
    }
    if rules:
        evidence["rules"] = rules
    unknowns = list(dict.fromkeys(g.undetermined for g in kind if g.undetermined))
    if severity is not Severity.HIGH and unknowns:
        evidence["undetermined"] = "; ".join(unknowns)
    verb = "ingress" if inbound else "egress"
    command = (
        f"aws ec2 authorize-security-group-{verb} --group-id {group_ids[0]} --ip-permissions "
        f"'IpProtocol=-1,UserIdGroupPairs=[{{GroupId={group_ids[0]}}}]'"
    )
    if severity is not Severity.HIGH:
        lists = dict.fromkeys(pl for g in kind for pl in g.lists)
        confirm = [f"aws ec2 get-managed-prefix-list-entries --prefix-list-id {pl}" for pl in lists]
        command = "; ".join([*confirm, command]) + (
            "  # all traffic with the group itself meets every peer need, whatever is unknown"
        )
    return Problem(
        detail=detail,
        resources=group_ids,
        evidence=evidence,
        severity=severity,
        command=command,
    )
