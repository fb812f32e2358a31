"""FailureReason classes: each known message, as AWS documents it or as it is reported, is
classified as the table says; anything else is unknown, never a guess."""

from __future__ import annotations

import re

import pytest

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.outcomes.failure_reasons import (
    PATTERNS,
    S3_PATH_CHECKS,
    ReasonClass,
    classify,
)
from tests.conftest import ROOT

NAMES = {p.name for p in PATTERNS}

# The messages docs/operations.md quotes ("Verdicts confirmed by what happened"), as users see them.
KNOWN = [
    (
        "ClientError: Artifact upload failed:Please ensure that the subnet's route table has a "
        "route to an S3 VPC endpoint or a NAT device, and both the security groups and the "
        "subnet's network ACL allow outbound traffic to S3",
        "s3-path-training",
        ReasonClass.NETWORK,
    ),
    (
        'Failed to download model data from URL "s3://bucket/model.tar.gz". Please ensure that '
        "an S3 VPC endpoint exists in route table or NAT gateway for the VPC mode and the URL "
        "is reachable from within the subnets provided.",
        "s3-path-endpoint",
        ReasonClass.NETWORK,
    ),
    (
        "ClientError: Failed to download data. ListObjectsV2 failed for s3://bucket/in: "
        "Unable to execute request to S3",
        "s3-unreachable",
        ReasonClass.NETWORK,
    ),
    (
        "ClientError: Error hosting endpoint sagemaker-clarify-endpoint-abc: Failed. Reason: "
        "Unable to locate at least 2 availability zone(s) with the requested instance type "
        "ml.m5.xlarge that overlap with SageMaker subnets.",
        "endpoint-subnets-one-az",
        ReasonClass.NETWORK,
    ),
    (
        "InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free "
        "addresses to satisfy the request.",
        "subnet-out-of-addresses",
        ReasonClass.NETWORK,
    ),
    (
        "ClientError: User: arn:aws:sts::123456789012:assumed-role/r/SageMaker is not "
        "authorized to perform: ec2:CreateNetworkInterface on resource: "
        "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-1",
        "role-eni-not-authorized",
        ReasonClass.NETWORK,
    ),
    (
        "Provided role ARN cannot be assumed and an AWSSecurityTokenServiceException error "
        "occurred.",
        "role-not-assumable",
        ReasonClass.NOT_NETWORK,
    ),
    (
        "CapacityError: Unable to provision requested ML compute capacity. Please retry using "
        "a different ML instance type.",
        "capacity",
        ReasonClass.NOT_NETWORK,
    ),
    (
        "InternalServerError: We encountered an internal error.  Please try again.",
        "internal-error",
        ReasonClass.UNKNOWN,
    ),
]


@pytest.mark.parametrize(("message", "pattern", "kind"), KNOWN)
def test_each_known_message_gets_its_class(message: str, pattern: str, kind: ReasonClass) -> None:
    reason = classify(message)
    assert (reason.pattern, reason.kind) == (pattern, kind)
    assert reason.source  # every class says where AWS says it, or where it was reported


def test_the_s3_messages_confirm_the_s3_path_checks() -> None:
    reason = classify(KNOWN[0][0])
    assert reason.checks == S3_PATH_CHECKS
    assert "S3_ENDPOINT_MISSING" in reason.checks and "NACL_BLOCKS_S3" in reason.checks


def test_a_full_subnet_confirms_the_capacity_check_and_one_az_the_az_check() -> None:
    assert classify(KNOWN[4][0]).checks == ("SUBNET_IP_CAPACITY",)
    assert classify(KNOWN[3][0]).checks == ("ENDPOINT_SUBNETS_ONE_AZ",)
    assert classify(KNOWN[5][0]).checks == ("ROLE_VPC_PERMISSIONS_MISSING",)


def test_the_internal_error_is_never_attributed_even_beside_a_network_word() -> None:
    reason = classify("InternalServerError: We encountered an internal error. (S3 VPC endpoint)")
    assert reason.kind is ReasonClass.UNKNOWN and reason.checks == ()


@pytest.mark.parametrize(
    "message",
    [
        None,
        "",
        "AlgorithmError: ExecuteUserScriptError: exit code 1",  # a download timeout looks so too
        "ClientError: Data download failed",
        "not authorized to perform: s3:GetObject",  # not a VPC permission
        "not authorized to perform: ec2:CreateNetworkInterfaces",  # no such action
    ],
)
def test_anything_else_is_unknown_rather_than_a_guess(message: str | None) -> None:
    reason = classify(message)
    assert reason.kind is ReasonClass.UNKNOWN and reason.checks == () and reason.pattern is None


def test_the_capacity_class_only_when_the_message_begins_with_it() -> None:
    assert classify("CapacityError: Unable to provision").kind is ReasonClass.NOT_NETWORK
    assert classify("ClientError: see CapacityError docs").kind is ReasonClass.UNKNOWN


def test_every_check_a_pattern_confirms_is_a_check_of_the_catalogue_or_announced() -> None:
    # ENDPOINT_SUBNETS_ONE_AZ is added by the endpoint workload (issue 23): named as a string.
    announced = {"ENDPOINT_SUBNETS_ONE_AZ"}
    named = {c for p in PATTERNS for c in p.checks}
    assert named - set(CATALOGUE) <= announced
    assert all(p.kind is not ReasonClass.NETWORK or p.checks for p in PATTERNS)


def test_the_docs_list_every_pattern_with_its_class() -> None:
    """The table is generated into the README (`make docs`); docs/operations.md links to it."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- reasons:start -->", 1)[1].split("<!-- reasons:end -->", 1)[0]
    rows = {
        cells[1].strip("` "): cells[3].strip()
        for line in section.splitlines()
        if line.startswith("| `") and len(cells := re.split(r"(?<!\\)\|", line)) > 5
    }
    documented = {name: kind.split(":")[0] for name, kind in rows.items() if name in NAMES}
    assert documented == {p.name: p.kind.value for p in PATTERNS}
    operations = (ROOT / "docs/operations.md").read_text()
    assert "README.md#was-it-right-each-jobs-end-against-its-report" in operations
