"""Prefix lists: the region's S3 list read once per container (a failed read is not kept),
and one entries read per distinct other list the job's egress rules name."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery import prefix_lists
from ir_vpc_guard.discovery.snapshot import PrefixList, Read, ReferencedPrefixList, failed
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import REGION
from tests.refusals import refuse

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import IpPermissionOutputTypeDef

    from ir_vpc_guard.discovery.snapshot import GroupsById

S3_LIST_READS = Counter({"ec2.DescribePrefixLists": 1, "ec2.GetManagedPrefixListEntries": 1})


def _groups(*prefix_list_ids: str) -> Read[GroupsById]:
    """One job group whose egress rules name these lists."""
    rules: list[IpPermissionOutputTypeDef] = [
        {"PrefixListIds": [{"PrefixListId": pl}]} for pl in prefix_list_ids
    ]
    return Read(value={"sg-1": {"GroupId": "sg-1", "IpPermissionsEgress": rules}})


def _customer_list(aws: Any, name: str, cidr: str) -> str:
    return str(
        aws.client("ec2").create_managed_prefix_list(
            PrefixListName=name, MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": cidr}]
        )["PrefixList"]["PrefixListId"]
    )


def test_the_s3_list_is_read_cold_then_kept_warm(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    cold = wave.result(prefix_lists.submit_s3_list(wave, clients, REGION))
    assert cold.get().prefix_list_id == world.prefix_list_id and cold.get().cidrs
    # moto answers no Cidrs with the list (AWS does): its entries cost one more call.
    assert calls == S3_LIST_READS

    warm = wave.result(prefix_lists.submit_s3_list(wave, clients, REGION))
    assert warm.get() == cold.get()
    assert calls == S3_LIST_READS, "a warm container makes no call"

    prefix_lists.forget_s3_prefix_lists()
    again = wave.result(prefix_lists.submit_s3_list(wave, clients, REGION))
    assert again.get() == cold.get()
    assert calls == S3_LIST_READS + S3_LIST_READS


def test_a_failed_read_of_the_s3_list_is_an_error_and_not_kept(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    undo = refuse(clients.ec2.meta.events, "ec2", "DescribePrefixLists", "AccessDenied")
    refused = wave.result(prefix_lists.submit_s3_list(wave, clients, REGION))
    assert refused.error is not None and refused.error.code == "AccessDenied"

    undo()
    read = wave.result(prefix_lists.submit_s3_list(wave, clients, REGION))
    assert read.get().prefix_list_id == world.prefix_list_id
    assert calls == S3_LIST_READS + Counter({"ec2.DescribePrefixLists": 1})


def test_a_region_without_the_s3_list_is_an_error(clients: AwsClients, wave: Wave) -> None:
    def no_lists(parsed: dict[str, Any], **_: Any) -> None:
        parsed["PrefixLists"] = []

    clients.ec2.meta.events.register("after-call.ec2.DescribePrefixLists", no_lists)
    read = wave.result(prefix_lists.submit_s3_list(wave, clients, REGION))
    assert read.error is not None
    assert (read.error.api, read.error.code) == ("ec2:DescribePrefixLists", "PrefixListNotFound")


def test_each_distinct_named_list_but_s3s_costs_one_call(
    aws: Any, world: World, clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    corp_a = _customer_list(aws, "corp-a", "192.168.0.0/24")
    corp_b = _customer_list(aws, "corp-b", "192.168.1.0/24")
    s3 = Read(value=PrefixList(world.prefix_list_id, ("52.216.0.0/15",)))
    groups = _groups(corp_a, world.prefix_list_id, corp_b, corp_a)

    reads = prefix_lists.submit_referenced(wave, clients.ec2, groups, s3)
    found = prefix_lists.referenced(wave, groups, reads)
    assert found.get() == {
        corp_a: ReferencedPrefixList(corp_a, ("192.168.0.0/24",)),
        corp_b: ReferencedPrefixList(corp_b, ("192.168.1.0/24",)),
    }
    assert calls == Counter({"ec2.GetManagedPrefixListEntries": 2})


def test_no_named_list_no_call(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    s3 = Read(value=PrefixList(world.prefix_list_id, ()))
    groups = _groups(world.prefix_list_id)  # only S3's, already read
    reads = prefix_lists.submit_referenced(wave, clients.ec2, groups, s3)
    assert reads == {}
    assert prefix_lists.referenced(wave, groups, reads).get() == {}
    assert calls == Counter()


def test_unreadable_entries_are_kept_with_their_error(
    aws: Any, clients: AwsClients, wave: Wave
) -> None:
    corp = _customer_list(aws, "corp", "192.168.0.0/24")
    refuse(clients.ec2.meta.events, "ec2", "GetManagedPrefixListEntries", "AccessDenied")
    groups = _groups(corp)
    s3 = failed("ec2:DescribePrefixLists", "AccessDenied")  # no S3 list ID to leave out
    found = prefix_lists.referenced(
        wave, groups, prefix_lists.submit_referenced(wave, clients.ec2, groups, s3)
    )
    listed = found.get()[corp]
    assert listed.cidrs == () and listed.error is not None
    assert (listed.error.api, listed.error.code) == (
        "ec2:GetManagedPrefixListEntries",
        "AccessDenied",
    )


def test_unread_groups_leave_the_named_lists_unknown_for_the_same_reason(
    clients: AwsClients, calls: Counter[str], wave: Wave
) -> None:
    groups = failed("ec2:DescribeSecurityGroups", "AccessDenied")
    s3 = failed("ec2:DescribePrefixLists", "AccessDenied")
    reads = prefix_lists.submit_referenced(wave, clients.ec2, groups, s3)
    assert reads == {}
    assert prefix_lists.referenced(wave, groups, reads).error == groups.error
    assert calls == Counter()
