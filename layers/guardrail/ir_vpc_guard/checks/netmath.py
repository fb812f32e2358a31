"""Exact reachability over (address, port) ranges, for unioned security group rules and for
ordered, stateless network ACL rules. S3 gateway endpoints are IPv4; IPv6 ranges are only
judged against IPv6 rules (an IPv6-only job subnet), never mixed with IPv4 ones.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

Interval = tuple[int, int]  # inclusive bounds

ALL_ADDRESSES: Interval = (0, 2**32 - 1)


def cidr_interval(cidr: str) -> Interval | None:
    """The inclusive integer range of an IPv4 CIDR, or None for IPv6 or garbage."""
    return _interval(cidr, version=4)


def ipv6_interval(cidr: str) -> Interval | None:
    """The inclusive integer range of an IPv6 CIDR, or None for IPv4 or garbage."""
    return _interval(cidr, version=6)


def _interval(cidr: str, version: int) -> Interval | None:
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    if network.version != version:
        return None
    return int(network.network_address), int(network.broadcast_address)


def contains(outer: Interval, inner: Interval) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def union_covers(intervals: Iterable[Interval], target: Interval) -> bool:
    """True when the union of `intervals` covers every integer of `target`."""
    reach = target[0]
    for start, end in sorted(i for i in intervals if overlaps(i, target)):
        if start > reach:
            return False
        reach = max(reach, end + 1)
        if reach > target[1]:
            return True
    return reach > target[1]


def elementary(bounds: Iterable[Interval], target: Interval) -> list[Interval]:
    """Split `target` at every edge of `bounds`: each piece is all-in or all-out of each bound."""
    cuts = {target[0], target[1] + 1}
    for start, end in bounds:
        for cut in (start, end + 1):
            if target[0] < cut <= target[1]:
                cuts.add(cut)
    edges = sorted(cuts)
    return [(edges[i], edges[i + 1] - 1) for i in range(len(edges) - 1)]


@dataclass(frozen=True)
class Grant:
    """An allow for a port range to an address range (SG rules are allow-only)."""

    addresses: Interval
    ports: Interval


def grants_cover(grants: Sequence[Grant], addresses: Interval, ports: Interval) -> bool:
    """Does the union of `grants` allow every (address, port) in the target box?

    Sweeps the port axis at every grant edge; within each port piece the address union must
    cover the target. Exact, and O(grants² log grants) at worst.
    """
    relevant = [g for g in grants if overlaps(g.ports, ports) and overlaps(g.addresses, addresses)]
    for piece in elementary((g.ports for g in relevant), ports):
        if not union_covers((g.addresses for g in relevant if contains(g.ports, piece)), addresses):
            return False
    return True


@dataclass(frozen=True, eq=False, repr=False)
class AclRule:
    """One network ACL entry for a direction, already filtered to the protocol at hand."""

    number: int
    allow: bool
    addresses: Interval
    ports: Interval


def acl_allows(rules: Sequence[AclRule], addresses: Interval, ports: Interval) -> bool:
    """Does an ordered ACL (first match wins, no match denies) allow the whole target box?"""
    return all(_first_matches_allow(rules, addresses, ports))


def acl_allows_some(rules: Sequence[AclRule], addresses: Interval, ports: Interval) -> bool:
    """Does an ordered ACL allow any part of the target box (some address, some port)?"""
    return any(_first_matches_allow(rules, addresses, ports))


def _first_matches_allow(
    rules: Sequence[AclRule], addresses: Interval, ports: Interval
) -> Iterator[bool]:
    """For each piece of the target box, whether its first matching rule allows it."""
    ordered = sorted(rules, key=lambda r: r.number)
    relevant = [r for r in ordered if overlaps(r.ports, ports) and overlaps(r.addresses, addresses)]
    address_pieces = elementary((r.addresses for r in relevant), addresses)
    port_pieces = elementary((r.ports for r in relevant), ports)
    for address_piece in address_pieces:
        for port_piece in port_pieces:
            first = next(
                (
                    r
                    for r in relevant
                    if contains(r.addresses, address_piece) and contains(r.ports, port_piece)
                ),
                None,
            )
            yield first is not None and first.allow
