"""R5, R7: the subnets' network ACLs let the traffic through, both ways.

ACLs are ordered (lowest rule number first, first match wins, no match denies) and
stateless: the return path on ephemeral ports must be allowed explicitly. SageMaker's hosts
run Linux, whose clients use ports 32768-60999: a return path that covers those but not all
of 1024-65535 works for the job, and is only a LOW advisory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks.netmath import (
    AclRule,
    Interval,
    acl_allows,
    acl_allows_some,
    cidr_interval,
    ipv6_interval,
)
from ir_vpc_guard.checks.network import ipv6_cidrs, job_vpc_subnets, subnet_label
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ALL_PORTS, EPHEMERAL_PORTS, HTTPS_PORT

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import NetworkAclTypeDef, SubnetTypeDef


HTTPS = (HTTPS_PORT, HTTPS_PORT)
TCP = "6"
# Linux's ephemeral port range (net.ipv4.ip_local_port_range), which SageMaker's hosts use.
LINUX_EPHEMERAL_PORTS = (32768, 60999)


def tcp_rules(acl: NetworkAclTypeDef, *, egress: bool, ipv6: bool = False) -> list[AclRule]:
    """The ACL's TCP entries for one direction and address family (IPv4 entries carry
    CidrBlock, IPv6 ones Ipv6CidrBlock)."""
    return protocol_rules(acl, TCP, egress=egress, ipv6=ipv6)


def protocol_rules(
    acl: NetworkAclTypeDef, protocol: str, *, egress: bool, ipv6: bool = False
) -> list[AclRule]:
    """The ACL's entries that match one protocol (its number, or -1: all) for one direction
    and address family."""
    rules = []
    for entry in acl.get("Entries", []):
        if bool(entry.get("Egress")) != egress or str(entry.get("Protocol")) not in {
            "-1",
            protocol,
        }:
            continue
        addresses = (
            ipv6_interval(str(entry.get("Ipv6CidrBlock", "")))
            if ipv6
            else cidr_interval(str(entry.get("CidrBlock", "")))
        )
        if addresses is None:
            continue
        port_range = entry.get("PortRange") or {}
        ports = (
            ALL_PORTS
            if str(entry.get("Protocol")) == "-1"
            else (int(port_range.get("From", 0)), int(port_range.get("To", 65535)))
        )
        rules.append(
            AclRule(
                number=int(entry.get("RuleNumber", 32767)),
                allow=entry.get("RuleAction") == "allow",
                addresses=addresses,
                ports=ports,
            )
        )
    return rules


def acl_by_subnet(snapshot: Snapshot) -> dict[str, NetworkAclTypeDef]:
    return {
        a["SubnetId"]: acl
        for acl in snapshot.network_acls.get()
        for a in acl.get("Associations", [])
        if a.get("SubnetId") in snapshot.job.subnets
    }


def _blocked(
    acl: NetworkAclTypeDef,
    target: Interval,
    out_ports: Interval,
    in_ports: Interval,
    *,
    ipv6: bool = False,
) -> list[str]:
    """Which directions of a TCP exchange with `target` the ACL refuses."""
    refused = []
    if not acl_allows(tcp_rules(acl, egress=True, ipv6=ipv6), target, out_ports):
        refused.append(f"egress TCP {out_ports[0]}-{out_ports[1]}")
    if not acl_allows(tcp_rules(acl, egress=False, ipv6=ipv6), target, in_ports):
        refused.append(f"ingress TCP {in_ports[0]}-{in_ports[1]}")
    return refused


def _passes_some(acl: NetworkAclTypeDef, target: Interval, *, egress: bool, ipv6: bool) -> bool:
    """Some traffic, of some protocol to some port, passes between the subnet and `target`
    in this direction."""
    protocols = {str(e.get("Protocol")) for e in acl.get("Entries", [])} | {TCP}
    return any(
        acl_allows_some(protocol_rules(acl, p, egress=egress, ipv6=ipv6), target, ALL_PORTS)
        for p in protocols
    )


def _linux_only(acl: NetworkAclTypeDef, target: Interval) -> bool:
    """The return path allows Linux's ephemeral ports, which is all SageMaker's hosts use."""
    return acl_allows(tcp_rules(acl, egress=False), target, LINUX_EPHEMERAL_PORTS)


@register(
    "NACL_BLOCKS_S3",
    title="A job subnet's network ACL blocks HTTPS to S3 or its return traffic",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("network_acls", "s3_prefix_list"),
    risk="Traffic to S3 is dropped at the subnet boundary and the job fails.",
    fix="Allow egress TCP 443 to the S3 ranges and ingress TCP 1024-65535 from them, "
    "before any deny rule.",
    blocks_job=True,
)
def nacl_blocks_s3(snapshot: Snapshot) -> Iterator[Problem]:
    cidrs = snapshot.s3_prefix_list.get().cidrs
    blocked: dict[str, dict[str, list[str]]] = {}
    linux_only: dict[str, dict[str, list[str]]] = {}
    for subnet, acl in acl_by_subnet(snapshot).items():
        for cidr in cidrs:
            target = cidr_interval(cidr)
            if target is None:
                continue
            refused = _blocked(acl, target, HTTPS, EPHEMERAL_PORTS)
            label = f"{acl['NetworkAclId']} ({subnet})"
            if refused == [f"ingress TCP {EPHEMERAL_PORTS[0]}-{EPHEMERAL_PORTS[1]}"] and (
                _linux_only(acl, target)
            ):
                linux_only.setdefault(label, {})[cidr] = refused
            elif refused:
                blocked.setdefault(label, {})[cidr] = refused
    if linux_only:
        low, high = LINUX_EPHEMERAL_PORTS
        yield Problem(
            detail=f"Return traffic from S3 is allowed on Linux's ephemeral ports ({low}-{high})"
            " but not on all of 1024-65535: enough for SageMaker's hosts, not for other "
            "clients: "
            + "; ".join(f"{acl}: {', '.join(c)}" for acl, c in linux_only.items())
            + ".",
            resources=_acls_and_subnets(linux_only),
            evidence={"linuxEphemeralOnly": linux_only, "linuxEphemeralPorts": [low, high]},
            severity=Severity.LOW,
            command=_entries_command(linux_only, HTTPS, EPHEMERAL_PORTS),
        )
    if blocked:
        yield Problem(
            detail="Blocked S3 traffic: "
            + "; ".join(f"{acl}: {', '.join(c)}" for acl, c in blocked.items())
            + ".",
            resources=_acls_and_subnets(blocked),
            evidence={"blocked": blocked},
            command=_entries_command(blocked, HTTPS, EPHEMERAL_PORTS),
        )


def _acls_and_subnets(by_label: dict[str, dict[str, list[str]]]) -> tuple[str, ...]:
    """The ACLs, then the job subnets they block (labels are `<acl> (<subnet>)`): a mute
    scoped to those subnets covers the finding."""
    acls = sorted({label.split(" ")[0] for label in by_label})
    subnets = sorted({label.split(" (", 1)[1].rstrip(")") for label in by_label if " (" in label})
    return (*acls, *subnets)


def _entries_command(
    blocked: dict[str, dict[str, list[str]]], out: tuple[int, int], back: tuple[int, int]
) -> str:
    """Every entry the finding needs: for each blocked ACL and range, an allow in each refused
    direction. Each entry has its own rule number to pick, free and below the deny that
    matches (`aws ec2 describe-network-acls --network-acl-ids <id>`)."""
    commands: list[str] = []
    needed: dict[tuple[str, str, str], None] = {}  # (ACL, range, direction), once per ACL
    for acl_label, ranges in blocked.items():
        acl = acl_label.split(" ")[0]
        for cidr, refused in ranges.items():
            for direction in ("egress", "ingress"):
                if any(r.startswith(direction) for r in refused):
                    needed[(acl, cidr, direction)] = None
    for acl, cidr, direction in needed:
        block = f"--ipv6-cidr-block {cidr}" if ":" in cidr else f"--cidr-block {cidr}"
        ports = out if direction == "egress" else back
        commands.append(
            f"aws ec2 create-network-acl-entry --network-acl-id {acl} --{direction} "
            f"--rule-number <n{len(commands) + 1}> --protocol tcp "
            f"--port-range From={ports[0]},To={ports[1]} {block} --rule-action allow"
        )
    return " && ".join(commands)


def _addresses(subnet: SubnetTypeDef) -> list[tuple[str, Interval | None, bool]]:
    """The subnet's CIDRs to judge, each with its range and whether it is IPv6: its IPv4
    CIDR, or the IPv6 CIDRs of an IPv6-only subnet."""
    if subnet.get("CidrBlock"):
        cidr = str(subnet["CidrBlock"])
        return [(cidr, cidr_interval(cidr), False)]
    return [(c, ipv6_interval(c), True) for c in ipv6_cidrs(subnet)]


@register(
    "NACL_BLOCKS_SUBNETS",
    title="A job subnet's network ACL blocks traffic to another job subnet",
    severity=Severity.HIGH,
    requirement="R7",
    reads=("network_acls", "subnets"),
    risk="Instances of the job in different subnets cannot talk to each other.",
    fix="Allow all TCP to and from the other job subnets' CIDRs, in both directions.",
)
def nacl_blocks_subnets(snapshot: Snapshot) -> Iterator[Problem]:
    """AWS asks for traffic between the job's subnets and names no ports or protocols: a
    direction in which nothing passes is certainly blocked (HIGH); one in which some traffic
    passes (some ports, protocols or addresses), but not every TCP port, is MEDIUM."""
    others = job_vpc_subnets(snapshot)
    blocked, partly = _between_subnets(snapshot, others)
    ipv6_only = {sid: subnet_label(s) for sid, s in others.items() if not s.get("CidrBlock")}
    if blocked:
        evidence: dict[str, Any] = {"blocked": blocked}
        if ipv6_only:
            evidence["ipv6OnlySubnets"] = ipv6_only
        yield Problem(
            detail="Blocked traffic between job subnets: "
            + "; ".join(f"{acl}: {', '.join(c)}" for acl, c in blocked.items())
            + ".",
            resources=_acls_and_subnets(blocked),
            evidence=evidence,
            command=_entries_command(blocked, ALL_PORTS, ALL_PORTS),
        )
    if partly:
        evidence = {
            "partlyBlocked": partly,
            "undetermined": "the ports and protocols the job's instances use between its "
            "subnets (the ACLs let some traffic through, not every TCP port)",
        }
        if ipv6_only:
            evidence["ipv6OnlySubnets"] = ipv6_only
        yield Problem(
            detail="Partly blocked traffic between job subnets (some ports, protocols or "
            "addresses pass): "
            + "; ".join(f"{acl}: {', '.join(c)}" for acl, c in partly.items())
            + "; AWS names no ports for it, so whether the job needs the rest is not known.",
            resources=_acls_and_subnets(partly),
            evidence=evidence,
            severity=Severity.MEDIUM,
            command=_entries_command(partly, ALL_PORTS, ALL_PORTS)
            + "  # to let every TCP port through, as AWS's wording allows",
        )


Refusals = dict[str, dict[str, list[str]]]  # "<acl> (<subnet>)" -> CIDR -> refused directions


def _between_subnets(
    snapshot: Snapshot, others: dict[str, SubnetTypeDef]
) -> tuple[Refusals, Refusals]:
    """The directions the ACLs refuse between job subnets, split by whether nothing passes
    (blocked) or some traffic still does (partly)."""
    blocked: Refusals = {}
    partly: Refusals = {}
    for subnet, acl in acl_by_subnet(snapshot).items():
        if subnet not in others:
            continue  # a subnet of another VPC is VPC_MISMATCH's finding
        label = f"{acl['NetworkAclId']} ({subnet})"
        for other, found in others.items():
            if other == subnet:
                continue  # ACLs do not filter traffic inside one subnet
            for cidr, target, ipv6 in _addresses(found):
                if target is None:
                    continue
                for refused in _blocked(acl, target, ALL_PORTS, ALL_PORTS, ipv6=ipv6):
                    egress = refused.startswith("egress")
                    some = _passes_some(acl, target, egress=egress, ipv6=ipv6)
                    (partly if some else blocked).setdefault(label, {}).setdefault(cidr, []).append(
                        refused
                    )
    return blocked, partly
