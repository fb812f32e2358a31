"""EC2 reads of prefix lists: the region's S3 list (kept warm for the container's life) and
the entries of every other list the job groups' egress rules or the job subnets' route
tables name, once per list."""

from __future__ import annotations

from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import PrefixList, Read, ReferencedPrefixList, unread_as
from ir_vpc_guard.discovery.waves import AwsReadError, Wave, done
from ir_vpc_guard.requirements import s3_service_name

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import RouteTableTypeDef

    from ir_vpc_guard.discovery.snapshot import GroupsById

# Each read of the snapshot made here, and the IAM actions it may use.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "s3_prefix_list": ("ec2:DescribePrefixLists", "ec2:GetManagedPrefixListEntries"),
    "referenced_prefix_lists": ("ec2:GetManagedPrefixListEntries",),
    "route_prefix_lists": ("ec2:GetManagedPrefixListEntries",),
}

# The region's S3 prefix list, kept for the container's life: it is the same for every job
# in the region, so a warm invocation skips its read (AWS adds ranges rarely; a new
# container reads them again). A failed read is not kept.
_S3_PREFIX_LISTS: dict[str, PrefixList] = {}


def forget_s3_prefix_lists() -> None:
    """Empty the warm cache (tests: each emulated world has its own random list ID)."""
    _S3_PREFIX_LISTS.clear()


def submit_s3_list(wave: Wave, clients: AwsClients, region: str) -> Future[Read[PrefixList]]:
    """The region's S3 list: from the warm cache, else read (and then cached)."""
    cached = _S3_PREFIX_LISTS.get(region)
    if cached is not None:
        return done(Read(value=cached))
    return wave.submit("ec2:DescribePrefixLists", lambda: read_s3_list(clients.ec2, region))


def submit_referenced(
    wave: Wave, ec2: EC2Client, groups: Read[GroupsById], s3: Read[PrefixList]
) -> dict[str, Future[Read[tuple[str, ...]]]]:
    """One entries read per distinct prefix list the job's egress rules name, except
    S3's (already read): only those, and none when no rule names one."""
    if not groups.ok:
        return {}
    s3_id = s3.value.prefix_list_id if s3.value is not None else None
    named = dict.fromkeys(
        str(entry["PrefixListId"])
        for group in groups.get().values()
        for permission in group.get("IpPermissionsEgress", [])
        for entry in permission.get("PrefixListIds", [])
        if entry.get("PrefixListId") and entry.get("PrefixListId") != s3_id
    )
    return {
        pl: wave.submit("ec2:GetManagedPrefixListEntries", partial(read_entries, ec2, pl))
        for pl in named
    }


def submit_routed(
    wave: Wave,
    ec2: EC2Client | None,
    tables: list[RouteTableTypeDef],
    s3: Read[PrefixList],
    already: dict[str, Future[Read[tuple[str, ...]]]],
) -> dict[str, Future[Read[tuple[str, ...]]]]:
    """One entries read per distinct customer list a route of `tables` goes to (with the VPC
    owner's client `ec2`), except S3's; a list the groups' rules name too is read once, when
    the same client reads both (`already`: those reads, with the job account's client)."""
    if ec2 is None:
        return {}
    s3_id = s3.value.prefix_list_id if s3.value is not None else None
    named = dict.fromkeys(
        str(route["DestinationPrefixListId"])
        for table in tables
        for route in table.get("Routes", [])
        if route.get("DestinationPrefixListId") and route.get("DestinationPrefixListId") != s3_id
    )
    return {
        pl: already.get(pl)
        or wave.submit("ec2:GetManagedPrefixListEntries", partial(read_entries, ec2, pl))
        for pl in named
    }


def referenced(
    wave: Wave,
    groups: Read[Any],
    reads: dict[str, Future[Read[tuple[str, ...]]]],
) -> Read[dict[str, ReferencedPrefixList]]:
    """Each referenced list with its entries, or the error that kept them unread. `groups`
    is the read that named them (the groups, or the route tables)."""
    if not groups.ok:  # which lists are named is unknown, for the same reason
        return unread_as(groups)
    lists = {}
    for prefix_list_id, future in reads.items():
        entries = wave.result(future)
        lists[prefix_list_id] = ReferencedPrefixList(
            prefix_list_id, cidrs=entries.value or (), error=entries.error
        )
    return Read(value=lists)


def read_s3_list(ec2: EC2Client, region: str) -> PrefixList:
    name = s3_service_name(region)
    answer = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
    lists = answer.get("PrefixLists", [])
    match = next((p for p in lists if p.get("PrefixListName") == name), None)
    if match is None:
        raise AwsReadError("PrefixListNotFound", f"no prefix list named {name}")
    # AWS answers the CIDRs with the list; moto does not (docs/moto.md): read the entries.
    cidrs = match.get("Cidrs") or read_entries(ec2, match["PrefixListId"])
    found = PrefixList(prefix_list_id=match["PrefixListId"], cidrs=tuple(cidrs))
    _S3_PREFIX_LISTS[region] = found
    return found


def read_entries(ec2: EC2Client, prefix_list_id: str) -> tuple[str, ...]:
    pages = ec2.get_paginator("get_managed_prefix_list_entries").paginate(
        PrefixListId=prefix_list_id
    )
    return tuple(entry["Cidr"] for page in pages for entry in page.get("Entries", []))
