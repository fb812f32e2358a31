"""R7: the union of the job's security groups allows egress to S3 and to the job subnets.

Security group rules are allow-only and are unioned across every group on the interface.
A rule names a CIDR, a prefix list or a group; protocol -1 means every protocol and port.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ir_vpc_guard.checks.netmath import ALL_ADDRESSES, Grant, cidr_interval, grants_cover
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ALL_PORTS, HTTPS_PORT
from ir_vpc_guard.snapshot import Snapshot

TCP = {"-1", "tcp", "6"}


@dataclass(frozen=True)
class TcpEgress:
    """The TCP egress a set of groups allows, split by kind of destination."""

    to_addresses: tuple[Grant, ...]
    to_prefix_lists: dict[str, tuple[tuple[int, int], ...]]
    to_groups: dict[str, tuple[tuple[int, int], ...]]


def tcp_ports(permission: dict[str, Any]) -> tuple[int, int] | None:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol not in TCP:
        return None
    if protocol == "-1":
        return ALL_PORTS
    return int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))


def tcp_egress(groups: Iterable[dict[str, Any]]) -> TcpEgress:
    addresses: list[Grant] = []
    prefix_lists: dict[str, list[tuple[int, int]]] = {}
    referenced: dict[str, list[tuple[int, int]]] = {}
    for group in groups:
        for permission in group.get("IpPermissionsEgress", []):
            ports = tcp_ports(permission)
            if ports is None:
                continue
            for ip_range in permission.get("IpRanges", []):
                interval = cidr_interval(str(ip_range.get("CidrIp", "")))
                if interval is not None:
                    addresses.append(Grant(interval, ports))
            for entry in permission.get("PrefixListIds", []):
                prefix_lists.setdefault(str(entry.get("PrefixListId")), []).append(ports)
            for pair in permission.get("UserIdGroupPairs", []):
                referenced.setdefault(str(pair.get("GroupId")), []).append(ports)
    return TcpEgress(
        to_addresses=tuple(addresses),
        to_prefix_lists={k: tuple(v) for k, v in prefix_lists.items()},
        to_groups={k: tuple(v) for k, v in referenced.items()},
    )


def _ports_grants(ports: Iterable[tuple[int, int]]) -> list[Grant]:
    return [Grant(ALL_ADDRESSES, p) for p in ports]


def allows_s3(egress: TcpEgress, prefix_list_id: str, s3_cidrs: Iterable[str]) -> bool:
    """TCP 443 to the S3 prefix list, or to CIDRs that cover every range in it."""
    https = (HTTPS_PORT, HTTPS_PORT)
    if grants_cover(
        _ports_grants(egress.to_prefix_lists.get(prefix_list_id, ())), *[ALL_ADDRESSES, https]
    ):
        return True
    intervals = [cidr_interval(c) for c in s3_cidrs]
    return bool(intervals) and all(
        i is not None and grants_cover(egress.to_addresses, i, https) for i in intervals
    )


def allows_subnet(egress: TcpEgress, cidr: str, job_groups: Iterable[str]) -> bool:
    """Every TCP port to the subnet's CIDR; a reference to a job group counts for all of it."""
    interval = cidr_interval(cidr)
    if interval is None:
        return False
    via_groups = [p for g in job_groups for p in egress.to_groups.get(g, ())]
    grants = [*egress.to_addresses, *(Grant(interval, p) for p in via_groups)]
    return grants_cover(grants, interval, ALL_PORTS)


def _job_groups(snapshot: Snapshot) -> list[dict[str, Any]]:
    found = snapshot.security_groups.get()
    return [found[g] for g in snapshot.job.security_groups if g in found]


@register(
    "SG_EGRESS_S3_MISSING",
    title="The job's security groups do not allow HTTPS to S3",
    severity=Severity.HIGH,
    requirement="R7",
    reads=("security_groups", "s3_prefix_list"),
    risk="The endpoints cannot download the model or payload from S3 and the job fails.",
    fix="Add an egress rule TCP 443 to the S3 prefix list on one of the job's groups.",
    remediation_action="add-s3-egress-rule",
)
def sg_egress_s3_missing(snapshot: Snapshot) -> Iterator[Problem]:
    groups = _job_groups(snapshot)
    if not groups:
        return  # SECURITY_GROUP_NOT_FOUND says it
    prefix_list = snapshot.s3_prefix_list.get()
    if allows_s3(tcp_egress(groups), prefix_list.prefix_list_id, prefix_list.cidrs):
        return
    first = groups[0]["GroupId"]
    yield Problem(
        detail=(
            f"No rule of {', '.join(g['GroupId'] for g in groups)} allows TCP 443 to "
            f"{prefix_list.prefix_list_id} (S3) or to CIDRs covering it."
        ),
        resources=tuple(g["GroupId"] for g in groups),
        evidence={"prefixListId": prefix_list.prefix_list_id, "s3Cidrs": list(prefix_list.cidrs)},
        command=(
            f"aws ec2 authorize-security-group-egress --group-id {first} --ip-permissions "
            f"'IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{{PrefixListId="
            f'{prefix_list.prefix_list_id},Description="S3 for SageMaker IR jobs"}}]\''
        ),
    )


@register(
    "SG_EGRESS_SUBNETS_MISSING",
    title="The job's security groups do not allow traffic to the job subnets",
    severity=Severity.HIGH,
    requirement="R7",
    reads=("security_groups", "subnets"),
    risk="Instances of the job cannot reach each other across its subnets.",
    fix="Add egress (all TCP) to each job subnet's CIDR, or to one of the job's groups.",
    remediation_action="add-subnet-egress-rules",
)
def sg_egress_subnets_missing(snapshot: Snapshot) -> Iterator[Problem]:
    groups = _job_groups(snapshot)
    if not groups:
        return
    egress = tcp_egress(groups)
    group_ids = [g["GroupId"] for g in groups]
    cidrs = {sid: str(subnet.get("CidrBlock")) for sid, subnet in snapshot.subnets.get().items()}
    missing = {sid: c for sid, c in cidrs.items() if not allows_subnet(egress, c, group_ids)}
    if missing:
        yield Problem(
            detail="No rule of the job's groups allows all TCP to "
            + ", ".join(f"{c} ({sid})" for sid, c in missing.items())
            + ".",
            resources=(*group_ids, *missing),
            evidence={"missingCidrs": missing, "groups": group_ids},
            command="; ".join(
                f"aws ec2 authorize-security-group-egress --group-id {group_ids[0]} "
                "--ip-permissions "
                f"'IpProtocol=tcp,FromPort=0,ToPort=65535,IpRanges=[{{CidrIp={c}}}]'"
                for c in missing.values()
            ),
        )
