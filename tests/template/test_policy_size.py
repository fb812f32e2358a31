"""The role's policies fit IAM's size quotas for every parameter value the template accepts.

IAM ("IAM and AWS STS quotas"): a managed policy holds at most 6,144 characters, and a
role's inline policies together at most 10,240; white space is not counted. A policy over
either fails the stack at the policy, far from the parameter that made it large. So
VpcAllowlist's AllowedPattern stops at the most VPC IDs the allowlist guard (a managed
policy of its own) holds, and the inline policies stay under their cap with every parameter
at its longest, in the longest partition.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest

from tests.conftest import ROOT
from tests.template.cfn import Stack, load, most_items, transformed
from tests.template.test_iam_scope import ROLE

MANAGED_CAP = 6_144
INLINE_CAP = 10_240
GUARD = "AllowlistGuardPolicy"
PARTITION = max(boto3.session.Session().get_available_partitions(), key=len)
# What the evaluator writes for a value only CloudFormation knows (a GetAtt, a generated
# name), and the longest such value can be: an ARN of a 256-character name.
UNKNOWN = re.compile(r"<[\w.]+>|ir-vpc-guard-\w+-ABC123")
LONGEST_UNKNOWN = 320


def size(document: Any) -> int:
    """Characters as IAM counts them: the JSON without white space between its tokens, every
    value CloudFormation resolves at deploy time counted at its longest."""
    text = json.dumps(document, separators=(",", ":"))
    return len(UNKNOWN.sub("x" * LONGEST_UNKNOWN, text))


def pattern(parameter: str) -> re.Pattern[str]:
    return re.compile(load()["Parameters"][parameter]["AllowedPattern"])


def vpcs(count: int) -> str:
    """`count` VPC IDs of the longest form (17 hex digits)."""
    return ",".join(f"vpc-{i:017x}" for i in range(count))


def guard_size(count: int) -> int:
    stack = Stack(
        transformed(),
        {"RemediationMode": "apply", "VpcAllowlist": vpcs(count)},
        partition=PARTITION,
    )
    return size(stack.resource(GUARD)["Properties"]["PolicyDocument"])


def test_the_allowlist_guard_is_a_managed_policy_of_the_role() -> None:
    resource = load()["Resources"][GUARD]
    assert resource["Type"] == "AWS::IAM::ManagedPolicy"
    assert resource["Properties"]["Roles"] == [{"Ref": ROLE}]


def test_the_allowlist_admits_exactly_the_vpc_ids_its_guard_policy_holds() -> None:
    limit = most_items("VpcAllowlist")
    assert guard_size(limit) <= MANAGED_CAP < guard_size(limit + 1)
    allowlist = pattern("VpcAllowlist")
    assert allowlist.fullmatch(vpcs(limit))
    assert not allowlist.fullmatch(vpcs(limit + 1))
    assert not allowlist.fullmatch(",".join(f"vpc-{i:08x}" for i in range(limit + 1)))
    constraint = load()["Parameters"]["VpcAllowlist"]["ConstraintDescription"]
    assert f"at most {limit} " in constraint


def test_the_deployment_guide_states_the_allowlist_limit() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    assert f"at most {most_items('VpcAllowlist')} VPC IDs" in guide


def longest() -> dict[str, str]:
    """Every option that adds to the inline policies on, every free-form value at its longest."""
    return {
        "RemediationMode": "apply",
        "VpcAllowlist": vpcs(most_items("VpcAllowlist")),
        "OptOutTagKey": "k" * 128,
        "StopDoomedJobs": "true",
        "EnableSweep": "true",
        "EnableSecurityHub": "true",
        "MuteListParameter": "/" + "m" * 1010,
        "VpcOwnerReadRoleName": "r" * 64,
        "VpcOwnerOrganizationId": "o-" + "a" * 32,
        "VpcOwnerAccounts": ",".join(f"{i:012d}" for i in range(most_items("VpcOwnerAccounts"))),
    }


def inline_size(parameters: dict[str, str]) -> int:
    stack = Stack(transformed(), parameters, partition=PARTITION)
    role = stack.resource(ROLE)["Properties"]
    total = sum(size(policy["PolicyDocument"]) for policy in role["Policies"])
    for _, policy in stack.resources("AWS::IAM::Policy"):
        assert policy["Properties"]["Roles"] == [f"ir-vpc-guard-{ROLE}-ABC123"]
        total += size(json.loads(policy["Properties"]["PolicyDocument"]))
    return total


def test_the_inline_policies_fit_the_roles_cap_at_their_longest() -> None:
    """VpcOwnerAccounts' own limit (50) is one the inline policies can always hold."""
    accounts = pattern("VpcOwnerAccounts")
    assert accounts.fullmatch(longest()["VpcOwnerAccounts"])
    assert not accounts.fullmatch(longest()["VpcOwnerAccounts"] + ",123456789012")
    own_topic = longest()
    central_topic = own_topic | {
        "ExistingTopicArn": f"arn:{PARTITION}:sns:us-gov-west-1:123456789012:{'t' * 256}",
        "ExistingTopicKmsKeyArn": (
            f"arn:{PARTITION}:kms:us-gov-west-1:123456789012:key/mrk-{'0' * 32}"
        ),
    }
    for parameters in (own_topic, central_topic):
        assert inline_size(parameters) <= INLINE_CAP


@pytest.mark.parametrize("policy", ["SweepJobsPolicy", "StopJobsPolicy"])
def test_the_job_policies_fit_a_managed_policy_with_every_workload_on(policy: str) -> None:
    """Each covered workload adds its sweep and stop statements to these managed policies."""
    stack = Stack(transformed(), longest(), partition=PARTITION)
    assert size(stack.resource(policy)["Properties"]["PolicyDocument"]) <= MANAGED_CAP
