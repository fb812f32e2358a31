"""What the job's network allows, as the checks and remediation both reason about it.

The job's subnets (of its own VPC) and how their addresses are named, and the TCP egress
the union of the job's security groups allows. Security group rules are allow-only and are
unioned across every group on the interface. A rule names a CIDR, a prefix list (AWS- or
customer-managed: it allows every entry of the list) or a group; protocol -1 means every
protocol and port. A list whose entries could not be read may or may not allow the traffic:
`judge` says which unreadable lists the verdict hangs on, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks.netmath import (
    ALL_ADDRESSES,
    Grant,
    cidr_interval,
    grants_cover,
    ipv6_interval,
    overlaps,
)
from ir_vpc_guard.discovery.snapshot import ReferencedPrefixList, Snapshot
from ir_vpc_guard.requirements import ALL_PORTS, HTTPS_PORT

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import SecurityGroupTypeDef, SubnetTypeDef


TCP = {"-1", "tcp", "6"}
# The keys of a described group's rules, by direction.
EGRESS, INGRESS = "IpPermissionsEgress", "IpPermissions"
# What an unreadable list is assumed to hold when asking "could it allow this?".
EVERYWHERE = ("0.0.0.0/0", "::/0")

Ports = tuple[int, int]


# --- The job's subnets ---------------------------------------------------------------
def job_vpc_subnets(snapshot: Snapshot) -> dict[str, SubnetTypeDef]:
    """The job subnets found in the job's VPC: a subnet of another VPC is VPC_MISMATCH's
    finding, and is never judged against (or mapped to) this VPC's rules and tables."""
    return {
        sid: subnet
        for sid, subnet in snapshot.subnets.get().items()
        if subnet.get("VpcId") == snapshot.vpc_id
    }


def ipv6_cidrs(subnet: SubnetTypeDef) -> tuple[str, ...]:
    """The subnet's associated IPv6 CIDRs."""
    return tuple(
        str(a["Ipv6CidrBlock"])
        for a in subnet.get("Ipv6CidrBlockAssociationSet", [])
        if a.get("Ipv6CidrBlock")
        and a.get("Ipv6CidrBlockState", {}).get("State", "associated") == "associated"
    )


def subnet_label(subnet: SubnetTypeDef) -> str:
    """How a subnet's addresses are named in details and commands: its IPv4 CIDR, or what
    an IPv6-only subnet (no IPv4 CIDR) has instead."""
    if subnet.get("CidrBlock"):
        return str(subnet["CidrBlock"])
    return f"IPv6-only ({', '.join(ipv6_cidrs(subnet)) or 'no CIDR'})"


# --- The TCP egress of the job's security groups --------------------------------------
@dataclass(frozen=True)
class TcpEgress:
    """The TCP egress a set of groups allows, split by kind of destination."""

    to_addresses: tuple[Grant, ...]
    to_prefix_lists: dict[str, tuple[Ports, ...]]
    to_groups: dict[str, tuple[Ports, ...]]
    to_ipv6: tuple[Grant, ...] = ()

    def with_lists(self, entries: Mapping[str, Iterable[str]]) -> TcpEgress:
        """This egress plus, for each named list, its entries as CIDRs on its rules' ports."""
        v4, v6 = list(self.to_addresses), list(self.to_ipv6)
        for prefix_list_id, cidrs in entries.items():
            ports = self.to_prefix_lists.get(prefix_list_id, ())
            for cidr in cidrs:
                _grant(cidr, ports, v4, v6)
        return replace(self, to_addresses=tuple(v4), to_ipv6=tuple(v6))


def _grant(cidr: str, ports: Iterable[Ports], v4: list[Grant], v6: list[Grant]) -> None:
    if (interval := cidr_interval(cidr)) is not None:
        v4.extend(Grant(interval, p) for p in ports)
    elif (interval := ipv6_interval(cidr)) is not None:
        v6.extend(Grant(interval, p) for p in ports)


def tcp_ports(permission: dict[str, Any]) -> Ports | None:
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol not in TCP:
        return None
    if protocol == "-1":
        return ALL_PORTS
    return int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))


def all_traffic(permission: dict[str, Any]) -> Ports | None:
    """Every port when the rule allows every protocol (IpProtocol -1), else None."""
    return ALL_PORTS if str(permission.get("IpProtocol", "")) == "-1" else None


def tcp_egress(groups: Iterable[Mapping[str, Any]]) -> TcpEgress:
    return rules_allowing(groups, EGRESS, tcp_ports)


def rules_allowing(
    groups: Iterable[Mapping[str, Any]],
    direction: str,
    ports_of: Callable[[dict[str, Any]], Ports | None],
) -> TcpEgress:
    """The rules of one direction (EGRESS or INGRESS: then `to_*` reads "from") that
    `ports_of` says allow the traffic at hand, on the ports it returns."""
    v4: list[Grant] = []
    v6: list[Grant] = []
    prefix_lists: dict[str, list[Ports]] = {}
    referenced: dict[str, list[Ports]] = {}
    for group in groups:
        for permission in group.get(direction, []):
            ports = ports_of(permission)
            if ports is None:
                continue
            for ip_range in permission.get("IpRanges", []):
                _grant(str(ip_range.get("CidrIp", "")), [ports], v4, [])
            for ip_range in permission.get("Ipv6Ranges", []):
                _grant(str(ip_range.get("CidrIpv6", "")), [ports], [], v6)
            for entry in permission.get("PrefixListIds", []):
                prefix_lists.setdefault(str(entry.get("PrefixListId")), []).append(ports)
            for pair in permission.get("UserIdGroupPairs", []):
                referenced.setdefault(str(pair.get("GroupId")), []).append(ports)
    return TcpEgress(
        to_addresses=tuple(v4),
        to_prefix_lists={k: tuple(v) for k, v in prefix_lists.items()},
        to_groups={k: tuple(v) for k, v in referenced.items()},
        to_ipv6=tuple(v6),
    )


def _ports_grants(ports: Iterable[Ports]) -> list[Grant]:
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


def allows_https_to_a_group(egress: TcpEgress, group_ids: Iterable[str]) -> bool:
    """TCP 443 to one of these security groups (a reference rule)."""
    https = (HTTPS_PORT, HTTPS_PORT)
    return any(
        grants_cover(_ports_grants(egress.to_groups.get(g, ())), ALL_ADDRESSES, https)
        for g in group_ids
    )


def allows_subnet(egress: TcpEgress, cidr: str, job_groups: Iterable[str]) -> bool:
    """Every TCP port to an IPv4 or IPv6 CIDR; a reference to a job group counts for all."""
    interval, grants = cidr_interval(cidr), egress.to_addresses
    if interval is None:
        interval, grants = ipv6_interval(cidr), egress.to_ipv6
    if interval is None:
        return False
    via_groups = [p for g in job_groups for p in egress.to_groups.get(g, ())]
    return grants_cover([*grants, *(Grant(interval, p) for p in via_groups)], interval, ALL_PORTS)


def reaches_subnet(egress: TcpEgress, subnet: SubnetTypeDef, job_groups: Iterable[str]) -> bool:
    """Every TCP port to the subnet: its IPv4 CIDR, or each CIDR of an IPv6-only subnet."""
    cidrs = (str(subnet["CidrBlock"]),) if subnet.get("CidrBlock") else ipv6_cidrs(subnet)
    return bool(cidrs) and all(allows_subnet(egress, c, job_groups) for c in cidrs)


def judge(
    egress: TcpEgress,
    lists: Mapping[str, ReferencedPrefixList],
    allowed: Callable[[TcpEgress], bool],
) -> tuple[bool, tuple[str, ...]]:
    """Whether the egress (with the entries of the lists its rules name) allows it, and
    when it does not: the unreadable lists that could still allow it (none: certainly not)."""
    known = {pl: found.cidrs for pl, found in lists.items() if found.error is None}
    if allowed(egress.with_lists(known)):
        return True, ()
    unknown = {
        pl: EVERYWHERE
        for pl, found in lists.items()
        if found.error is not None and pl in egress.to_prefix_lists
    }
    if unknown and allowed(egress.with_lists({**known, **unknown})):
        return False, tuple(unknown)
    return False, ()


# --- The job's groups and the job's subnets together ----------------------------------
def job_groups(snapshot: Snapshot) -> list[SecurityGroupTypeDef]:
    """The job's groups that were found, in the job's order."""
    found = snapshot.security_groups.get()
    return [found[g] for g in snapshot.job.security_groups if g in found]


def _reaches(egress: TcpEgress, *, subnet: SubnetTypeDef, groups: list[str]) -> bool:
    return reaches_subnet(egress, subnet, groups)


@dataclass(frozen=True)
class SubnetGaps:
    """The job subnets (of the job's VPC) the groups do not reach on every TCP port, by how
    sure that is. AWS asks for outbound traffic to the job subnets' CIDRs and names no
    ports (R7), so only a subnet no rule reaches at all is certainly cut off."""

    unreached: dict[str, SubnetTypeDef]  # no rule reaches any of its addresses
    partly: dict[str, tuple[str, ...]]  # some rules reach it (described): enough is unknown
    undetermined: dict[str, tuple[str, ...]]  # all TCP hangs on these unreadable lists


def subnet_gaps(snapshot: Snapshot) -> SubnetGaps:
    """Job subnets the groups do not reach on every TCP port, and how sure that is."""
    groups = job_groups(snapshot)
    egress = tcp_egress(groups)
    group_ids = [g["GroupId"] for g in groups]
    lists = snapshot.referenced_prefix_lists.get()
    entries = list_entries(snapshot)
    gaps = SubnetGaps({}, {}, {})
    for sid, subnet in job_vpc_subnets(snapshot).items():
        allowed, unknown = judge(egress, lists, partial(_reaches, subnet=subnet, groups=group_ids))
        if unknown:
            gaps.undetermined[sid] = unknown
        elif allowed:
            continue
        elif some := rules_reaching(groups, subnet, group_ids, entries):
            gaps.partly[sid] = some
        else:
            gaps.unreached[sid] = subnet
    return gaps


def list_entries(snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """The entries of every prefix list read: the region's S3 list and those the rules name
    (a list whose entries could not be read is absent)."""
    entries = {
        pl: found.cidrs
        for pl, found in snapshot.referenced_prefix_lists.get().items()
        if found.error is None
    }
    if snapshot.s3_prefix_list.ok:
        s3 = snapshot.s3_prefix_list.get()
        entries[s3.prefix_list_id] = s3.cidrs
    return entries


def rules_reaching(
    groups: Iterable[Mapping[str, Any]],
    subnet: SubnetTypeDef,
    job_group_ids: Iterable[str],
    entries: Mapping[str, tuple[str, ...]],
    direction: str = EGRESS,
) -> tuple[str, ...]:
    """The egress rules (any protocol) that reach some address of the subnet, described:
    a CIDR or a readable list's entry overlapping it, a reference to one of the job's groups
    (its instances), or a list whose entries could not be read (it may). With INGRESS: the
    inbound rules that admit some address of the subnet."""
    word = "to" if direction == EGRESS else "from"
    v4 = cidr_interval(str(subnet["CidrBlock"])) if subnet.get("CidrBlock") else None
    v6 = [i for c in ipv6_cidrs(subnet) if (i := ipv6_interval(c)) is not None]
    job = set(job_group_ids)

    def touches(cidr: str) -> bool:
        if (interval := cidr_interval(cidr)) is not None:
            return v4 is not None and overlaps(interval, v4)
        interval = ipv6_interval(cidr)
        return interval is not None and any(overlaps(interval, i) for i in v6)

    found: list[str] = []
    for group in groups:
        for permission in group.get(direction, []):
            what = _traffic(permission)
            targets = [str(r.get("CidrIp", "")) for r in permission.get("IpRanges", [])] + [
                str(r.get("CidrIpv6", "")) for r in permission.get("Ipv6Ranges", [])
            ]
            found += [f"{what} {word} {t}" for t in targets if touches(t)]
            for entry in permission.get("PrefixListIds", []):
                pl = str(entry.get("PrefixListId"))
                listed = entries.get(pl)
                if listed is None or any(map(touches, listed)):
                    found.append(f"{what} {word} {pl}")
            found += [
                f"{what} {word} {pair['GroupId']}"
                for pair in permission.get("UserIdGroupPairs", [])
                if pair.get("GroupId") in job
            ]
    return tuple(dict.fromkeys(found))


def _traffic(permission: Mapping[str, Any]) -> str:
    """A rule's protocol and ports as a person reads them: "all traffic", "tcp 443"."""
    protocol = str(permission.get("IpProtocol", "")).lower()
    if protocol == "-1":
        return "all traffic"
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or low == -1 or (low, high) == (0, 65535):
        return f"{protocol} (all ports)"
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"
