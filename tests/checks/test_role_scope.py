"""Which required actions a role is granted only under scope (processing's R8 rule)."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard.checks.role_scope import scoped_grants

ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeVpcs")
CONDITION = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_a_grant_with_a_condition_a_resource_filter_or_not_resource_is_scoped() -> None:
    inline = policy(
        {
            "Sid": "Cond",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": "*",
            "Condition": CONDITION,
        },
        {"Sid": "Arn", "Effect": "Allow", "Action": "ec2:Create*", "Resource": "arn:aws:ec2:*:*:*"},
        {"Effect": "Allow", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::x"},
    )
    found = scoped_grants([("inline", "vpc", inline)], ACTIONS)
    assert found == {
        "ec2:CreateNetworkInterface": ["vpc: Cond", "vpc: Arn", "vpc: statement 2"],
        "ec2:DescribeVpcs": ["vpc: statement 2"],
    }


def test_one_unscoped_grant_a_deny_or_no_grant_at_all_is_not_scoped() -> None:
    inline = policy(
        {
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": "*",
            "Condition": CONDITION,
        },
        {"Effect": "Allow", "Action": ["ec2:*"], "Resource": ["*"]},
        {"Effect": "Deny", "Action": "ec2:DescribeVpcs", "Resource": "*", "Condition": CONDITION},
    )
    assert scoped_grants([("inline", "vpc", inline)], ACTIONS) == {}
    assert scoped_grants([], ACTIONS) == {}


def test_an_aws_managed_policys_condition_is_what_jobs_run_with() -> None:
    # AmazonSageMakerJobFullAccess grants the actions under aws:ResourceAccount.
    managed = policy(
        {"Effect": "Allow", "Action": list(ACTIONS), "Resource": "*", "Condition": CONDITION}
    )
    aws = "arn:aws:iam::aws:policy/AmazonSageMakerJobFullAccess"
    assert scoped_grants([("managed", aws, managed)], ACTIONS) == {}
    own = "arn:aws:iam::123456789012:policy/AmazonSageMakerJobFullAccess"  # a look-alike
    assert set(scoped_grants([("managed", own, managed)], ACTIONS)) == set(ACTIONS)
