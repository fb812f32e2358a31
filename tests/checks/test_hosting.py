"""R2 for hosted models: subnets in two Availability Zones (HIGH for an endpoint, MEDIUM for
a model, not a rule of the other workloads), and an endpoint naming several VPC configs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, Snapshot
from ir_vpc_guard.findings import Finding
from tests.snapshots import compliant, job, subnet

ONE_AZ = "ENDPOINT_SUBNETS_ONE_AZ"


def hosted(workload: str, zones: tuple[str, ...], **changes: Any) -> Snapshot:
    """The compliant snapshot as a `workload` job whose two subnets are in `zones`."""
    cidrs = {"subnet-a": "10.0.1.0/24", "subnet-b": "10.0.2.0/24"}  # the first len(zones)
    subnets = {
        sid: {**subnet(sid, cidrs[sid]), "AvailabilityZone": zone}
        for sid, zone in zip(cidrs, zones, strict=False)
    }
    request = job(workload=workload, model_package_arn=None, instance_count=1, **changes)
    return compliant(job=request, subnets=Read(value=subnets))


def of(snapshot: Snapshot, check_id: str) -> list[Finding]:
    return [f for f in run_checks(snapshot).findings if f.check_id == check_id]


def test_an_endpoint_in_one_zone_is_high_and_in_two_passes() -> None:
    [finding] = of(hosted("endpoint", ("us-east-1a", "us-east-1a")), ONE_AZ)
    assert finding.severity.value == "HIGH" and "undetermined" not in finding.evidence
    assert finding.evidence["availabilityZones"] == ["us-east-1a"]
    assert finding.remediation is not None
    assert "AvailabilityZone!=`us-east-1a`" in str(finding.remediation.command)
    run = run_checks(hosted("endpoint", ("us-east-1a", "us-east-1b")))
    assert ONE_AZ in run.passed


def test_a_model_in_one_zone_is_medium_naming_the_unknown() -> None:
    [finding] = of(hosted("model", ("us-east-1a", "us-east-1a")), ONE_AZ)
    assert finding.severity.value == "MEDIUM"
    assert "batch transform" in finding.evidence["undetermined"]


@pytest.mark.parametrize("workload", ["inference-recommender", "training"])
def test_other_workloads_are_not_judged_by_the_rule(workload: str) -> None:
    assert of(hosted(workload, ("us-east-1a", "us-east-1a")), ONE_AZ) == []


def test_transform_lists_the_rule_as_not_evaluated() -> None:
    run = run_checks(hosted("transform", ("us-east-1a", "us-east-1a")))
    assert "states no Availability Zone rule" in run.not_evaluated[ONE_AZ]


def test_a_subnet_not_found_or_without_a_zone_decides_nothing() -> None:
    missing = hosted("endpoint", ("us-east-1a",))  # subnet-b was not found
    assert of(missing, ONE_AZ) == [] and of(missing, "SUBNET_NOT_FOUND")
    assert of(hosted("endpoint", ("", "")), ONE_AZ) == []


def test_an_endpoint_naming_other_vpc_configs_is_medium() -> None:
    other = (
        "subnets subnet-c, security groups sg-2 (variant B: 1 (InitialInstanceCount) on model b)"
    )
    [finding] = of(
        hosted("endpoint", ("a", "b"), other_vpc_configs=(other,)), "ENDPOINT_VPC_CONFIGS_DIFFER"
    )
    assert finding.severity.value == "MEDIUM"
    assert finding.evidence["others"] == [other] and finding.evidence["undetermined"]
    assert of(hosted("endpoint", ("a", "b")), "ENDPOINT_VPC_CONFIGS_DIFFER") == []


def test_no_instances_need_no_addresses() -> None:
    """A view no variant is placed in (an endpoint config's overridden VpcConfig)."""
    full = {"subnet-a": {**subnet("subnet-a", "10.0.1.0/28", free=0), "AvailabilityZone": "a"}}
    request = job(
        workload="endpoint", model_package_arn=None, instance_count=0, subnets=("subnet-a",)
    )
    assert of(compliant(job=request, subnets=Read(value=full)), "SUBNET_IP_CAPACITY") == []
    placed = compliant(job=replace(request, instance_count=1), subnets=Read(value=full))
    assert [f.severity.value for f in of(placed, "SUBNET_IP_CAPACITY")] == ["HIGH"]
