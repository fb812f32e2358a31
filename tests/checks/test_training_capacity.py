"""R4 for a workload whose request states its instances (training): all job subnets together
against 2 IPs per instance, MEDIUM where only EFA or placement could make it short."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, Snapshot
from ir_vpc_guard.findings import Finding
from tests.snapshots import compliant, job, subnet


def training(instances: int, instance_type: str = "ml.m5.xlarge", **changes: Any) -> Snapshot:
    request = job(
        workload="training",
        model_package_arn=None,
        instance_count=instances,
        instance_groups=((instance_type, instances),),
        instance_basis="ResourceConfig.InstanceCount",
    )
    return compliant(job=request, **changes)


def capacity(snapshot: Snapshot) -> list[Finding]:
    return [f for f in run_checks(snapshot).findings if f.check_id == "SUBNET_IP_CAPACITY"]


def test_both_subnets_together_decide_a_certain_shortfall() -> None:
    # 250 + 250 free: 250 instances x 2 = 500 fit (each alone is short: placement MEDIUM),
    # 251 x 2 = 502 do not: HIGH.
    [placement] = capacity(training(250))
    assert placement.severity.value == "MEDIUM"
    [short] = capacity(training(251))
    assert short.severity.value == "HIGH"
    assert short.evidence["needed"] == 502 and "undetermined" not in short.evidence
    assert capacity(training(125)) == []


def test_ipv6_only_subnets_are_not_counted_as_empty() -> None:
    ipv6_only = {
        "subnet-a": {**subnet("subnet-a", "10.0.1.0/24"), "CidrBlock": ""},
        "subnet-b": {**subnet("subnet-b", "10.0.2.0/24"), "CidrBlock": ""},
    }
    assert capacity(training(4, subnets=Read(value=ipv6_only))) == []


def test_only_the_efa_capable_instances_of_a_cluster_may_take_five_ips() -> None:
    """Three m5 and one p4d need 6 IPs, at most 11 with EFA (3 x 2 + 1 x 5): subnets of 11
    free IPs each hold the job however it is placed (red team, training world 43)."""
    small = {
        "subnet-a": subnet("subnet-a", "10.0.1.0/28", free=11),
        "subnet-b": subnet("subnet-b", "10.0.2.0/28", free=11),
    }
    mixed = job(
        workload="training",
        model_package_arn=None,
        instance_count=4,
        instance_groups=(("ml.m5.xlarge", 3), ("ml.p4d.24xlarge", 1)),
        instance_basis="the sum of ResourceConfig.InstanceGroups[].InstanceCount",
    )
    assert capacity(compliant(job=mixed, subnets=Read(value=small))) == []
    # Two of each: at most 14 with EFA, more than either subnet holds: placement or EFA.
    pairs = replace(mixed, instance_groups=(("ml.m5.xlarge", 2), ("ml.p4d.24xlarge", 2)))
    [short] = capacity(compliant(job=pairs, subnets=Read(value=small)))
    assert short.severity.value == "MEDIUM" and short.evidence["neededWithEfa"] == 14
