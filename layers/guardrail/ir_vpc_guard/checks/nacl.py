"""R5, R7: the subnets' network ACLs let the traffic through, both ways.

ACLs are ordered (lowest rule number first, first match wins, no match denies) and
stateless: the return path on ephemeral ports must be allowed explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ir_vpc_guard.checks.netmath import AclRule, Interval, acl_allows, cidr_interval
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ALL_PORTS, EPHEMERAL_PORTS, HTTPS_PORT
from ir_vpc_guard.snapshot import Snapshot

HTTPS = (HTTPS_PORT, HTTPS_PORT)


def tcp_rules(acl: dict[str, Any], *, egress: bool) -> list[AclRule]:
    rules = []
    for entry in acl.get("Entries", []):
        if bool(entry.get("Egress")) != egress or str(entry.get("Protocol")) not in {"-1", "6"}:
            continue
        addresses = cidr_interval(str(entry.get("CidrBlock", "")))
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


def acl_by_subnet(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    return {
        a["SubnetId"]: acl
        for acl in snapshot.network_acls.get()
        for a in acl.get("Associations", [])
        if a.get("SubnetId") in snapshot.job.subnets
    }


def _blocked(
    acl: dict[str, Any], target: Interval, out_ports: Interval, in_ports: Interval
) -> list[str]:
    """Which directions of a TCP exchange with `target` the ACL refuses."""
    refused = []
    if not acl_allows(tcp_rules(acl, egress=True), target, out_ports):
        refused.append(f"egress TCP {out_ports[0]}-{out_ports[1]}")
    if not acl_allows(tcp_rules(acl, egress=False), target, in_ports):
        refused.append(f"ingress TCP {in_ports[0]}-{in_ports[1]}")
    return refused


@register(
    "NACL_BLOCKS_S3",
    title="A job subnet's network ACL blocks HTTPS to S3 or its return traffic",
    severity=Severity.HIGH,
    requirement="R5",
    reads=("network_acls", "s3_prefix_list"),
    risk="Traffic to S3 is dropped at the subnet boundary and the job fails.",
    fix="Allow egress TCP 443 to the S3 ranges and ingress TCP 1024-65535 from them, "
    "before any deny rule.",
)
def nacl_blocks_s3(snapshot: Snapshot) -> Iterator[Problem]:
    cidrs = snapshot.s3_prefix_list.get().cidrs
    blocked: dict[str, dict[str, list[str]]] = {}
    for subnet, acl in acl_by_subnet(snapshot).items():
        for cidr in cidrs:
            target = cidr_interval(cidr)
            if target is None:
                continue
            refused = _blocked(acl, target, HTTPS, EPHEMERAL_PORTS)
            if refused:
                blocked.setdefault(f"{acl['NetworkAclId']} ({subnet})", {})[cidr] = refused
    if blocked:
        yield Problem(
            detail="Blocked S3 traffic: "
            + "; ".join(f"{acl}: {', '.join(c)}" for acl, c in blocked.items())
            + ".",
            resources=tuple(sorted({k.split(" ")[0] for k in blocked})),
            evidence={"blocked": blocked},
            command=_entries_command(blocked, HTTPS, EPHEMERAL_PORTS),
        )


def _entries_command(
    blocked: dict[str, dict[str, list[str]]], out: tuple[int, int], back: tuple[int, int]
) -> str:
    """The two entries for the first blocked ACL and range; pick a free rule number below
    the deny that matches (`aws ec2 describe-network-acls --network-acl-ids <id>`)."""
    acl_label, ranges = next(iter(blocked.items()))
    acl, cidr = acl_label.split(" ")[0], next(iter(ranges))
    return (
        f"aws ec2 create-network-acl-entry --network-acl-id {acl} --egress --rule-number <n> "
        f"--protocol tcp --port-range From={out[0]},To={out[1]} "
        f"--cidr-block {cidr} --rule-action allow && "
        f"aws ec2 create-network-acl-entry --network-acl-id {acl} --ingress --rule-number <n> "
        f"--protocol tcp --port-range From={back[0]},To={back[1]} "
        f"--cidr-block {cidr} --rule-action allow"
    )


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
    cidrs = {sid: str(s.get("CidrBlock")) for sid, s in snapshot.subnets.get().items()}
    blocked: dict[str, dict[str, list[str]]] = {}
    for subnet, acl in acl_by_subnet(snapshot).items():
        for other, cidr in cidrs.items():
            target = cidr_interval(cidr)
            if other == subnet or target is None:
                continue  # ACLs do not filter traffic inside one subnet
            refused = _blocked(acl, target, ALL_PORTS, ALL_PORTS)
            if refused:
                blocked.setdefault(f"{acl['NetworkAclId']} ({subnet})", {})[cidr] = refused
    if blocked:
        yield Problem(
            detail="Blocked traffic between job subnets: "
            + "; ".join(f"{acl}: {', '.join(c)}" for acl, c in blocked.items())
            + ".",
            resources=tuple(sorted({k.split(" ")[0] for k in blocked})),
            evidence={"blocked": blocked},
            command=_entries_command(blocked, ALL_PORTS, ALL_PORTS),
        )
