"""Partitions from botocore's own data (arns.py): every region it lists lands in its
partition, a region it does not place falls back to the SDK's default, and only region
names pass event validation."""

from __future__ import annotations

from botocore.loaders import create_loader

from ir_vpc_guard.arns import is_region, partition_of
from ir_vpc_guard.intake.invocation import sweep_region


def test_every_region_botocore_lists_is_in_its_own_partition() -> None:
    data = create_loader().load_data("partitions")["partitions"]
    listed = [(r, p["id"]) for p in data for r in p["regions"] if not r.endswith("-global")]
    assert {p for _, p in listed} >= {"aws", "aws-cn", "aws-us-gov", "aws-eusc"}
    for region, partition in listed:
        assert is_region(region), region
        assert partition_of(region) == partition, region


def test_a_new_region_of_a_known_partition_is_placed_by_its_pattern() -> None:
    assert partition_of("eusc-de-west-7") == "aws-eusc"
    assert partition_of("us-isob-west-9") == "aws-iso-b"
    assert is_region("ap-southeast-99")


def test_what_botocore_does_not_place_is_no_region_and_defaults_to_aws() -> None:
    for text in ("zz-new-1", "../../etc", "us-east-1\n", "üs-east-1", "US-EAST-1", "", "-"):
        assert not is_region(text), text
    assert partition_of("zz-new-1") == "aws"


def test_a_sweep_in_the_sovereign_cloud_covers_its_own_region() -> None:
    assert sweep_region({"region": "eusc-de-east-1"}, "eu-west-1") == "eusc-de-east-1"
    assert sweep_region({"region": "not a region"}, "eu-west-1") == "eu-west-1"
