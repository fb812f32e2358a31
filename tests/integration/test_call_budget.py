"""Discovery's cost: at most 14 AWS calls per job, the same for 3 or 500 other subnets."""

from collections import Counter
from typing import Any

import pytest

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.sandbox import build_world
from ir_vpc_guard.settings import Settings
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session

EXPECTED = Counter(
    {
        "ec2.DescribeSubnets": 1,
        "ec2.DescribeSecurityGroups": 1,
        "ec2.DescribeNetworkAcls": 1,
        "ec2.DescribePrefixLists": 1,
        # moto's DescribePrefixLists has no Cidrs (AWS has): one more call for the entries.
        "ec2.GetManagedPrefixListEntries": 1,
        "ec2.DescribeVpcs": 1,
        "ec2.DescribeVpcAttribute": 1,
        "ec2.DescribeRouteTables": 1,
        "ec2.DescribeVpcEndpoints": 1,
        "iam.SimulatePrincipalPolicy": 1,
        "sagemaker.DescribeModelPackage": 1,
        "s3.GetBucketPolicy": 2,  # the artifact bucket and the payload bucket
        "ecr.GetRepositoryPolicy": 1,
    }
)


@pytest.mark.parametrize("other_subnets", [3, 500])
def test_full_check_costs_the_same_calls_whatever_the_vpc_size(
    aws: Any, other_subnets: int
) -> None:
    world = build_world(aws, REGION, extra_subnets=other_subnets)
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    report = handle_event(world.event(load_event("good_job")), Settings(), clients_factory(session))
    assert report.outcome.value == "PASS", report.to_dict()["findings"]
    assert calls == EXPECTED
    assert sum(calls.values()) == 14


def test_invalid_ids_never_reach_aws(aws: Any) -> None:
    calls: Counter[str] = Counter()
    report = handle_event(
        load_event("invalid_ids"), Settings(), clients_factory(counting_session(calls))
    )
    assert [f.check_id for f in report.findings] == ["VPC_CONFIG_INVALID"]
    assert calls == Counter()


def test_fallback_without_simulator_reads_the_roles_policies(aws: Any) -> None:
    world = build_world(aws, REGION)
    calls: Counter[str] = Counter()
    session = counting_session(calls, simulator=None)
    report = handle_event(world.event(load_event("good_job")), Settings(), clients_factory(session))
    assert report.outcome.value == "PASS"
    iam = {k: v for k, v in calls.items() if k.startswith("iam.")}
    assert iam == {
        "iam.SimulatePrincipalPolicy": 1,
        "iam.GetRole": 1,  # its permissions boundary, if any
        "iam.ListAttachedRolePolicies": 1,
        "iam.ListRolePolicies": 1,
        "iam.GetRolePolicy": 1,
    }
