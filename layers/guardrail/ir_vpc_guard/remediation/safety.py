"""The limits remediation never crosses, in one place the executor cannot bypass."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

# AWS subnets are /16 to /28: an egress CIDR is only ever a job subnet's own CIDR.
SMALLEST_PREFIX, LARGEST_PREFIX = 16, 28


def safe_egress_cidr(cidr: str) -> bool:
    """True only for an IPv4 subnet-sized CIDR: never 0.0.0.0/0, ::/0 or anything that wide."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        return False
    return network.version == 4 and SMALLEST_PREFIX <= network.prefixlen <= LARGEST_PREFIX


def egress_permissions_are_safe(permissions: Sequence[Mapping[str, Any]]) -> bool:
    """Every rule names a prefix list or a subnet-sized IPv4 CIDR; none names IPv6."""
    for permission in permissions:
        if permission.get("Ipv6Ranges"):
            return False
        ranges = permission.get("IpRanges") or []
        if not isinstance(ranges, list):
            return False
        for ip_range in ranges:
            if not isinstance(ip_range, dict) or not safe_egress_cidr(str(ip_range.get("CidrIp"))):
                return False
    return True


def peer_ingress_is_safe(permission: Mapping[str, Any], group_id: str) -> bool:
    """The inbound rule names the group it is added to and nothing else: no CIDR, no IPv6
    range, no prefix list, no other group."""
    if (
        permission.get("IpRanges")
        or permission.get("Ipv6Ranges")
        or permission.get("PrefixListIds")
    ):
        return False
    pairs = permission.get("UserIdGroupPairs")
    return (
        isinstance(pairs, list)
        and len(pairs) == 1
        and isinstance(pairs[0], dict)
        and pairs[0].get("GroupId") == group_id
        and set(pairs[0]) <= {"GroupId", "Description"}
    )
