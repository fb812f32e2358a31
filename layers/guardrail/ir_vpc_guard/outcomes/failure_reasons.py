"""What a SageMaker `FailureReason` says about the network: one table of the messages AWS
documents or that are commonly reported (docs/operations.md, "Verdicts confirmed by what
happened"), each with its source and the check IDs a match confirms.

A message no pattern knows is UNKNOWN, never guessed; AWS's internal error is never
attributed to a cause, even when the job ran in a VPC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# The checks whose HIGH means "the job's interfaces cannot reach S3".
S3_PATH_CHECKS = (
    "S3_ENDPOINT_MISSING",
    "S3_ENDPOINT_ROUTE_MISSING",
    "SG_EGRESS_S3_MISSING",
    "NACL_BLOCKS_S3",
    "VPC_DNS_DISABLED",
)
# The EC2 actions of the execution role that a VPC job needs (ROLE_VPC_PERMISSIONS_MISSING).
ROLE_ENI_ACTIONS = (
    "CreateNetworkInterface",
    "CreateNetworkInterfacePermission",
    "DeleteNetworkInterface",
    "DeleteNetworkInterfacePermission",
    "DescribeNetworkInterfaces",
    "DescribeVpcs",
    "DescribeDhcpOptions",
    "DescribeSubnets",
    "DescribeSecurityGroups",
)


class ReasonClass(StrEnum):
    NETWORK = "network"
    NOT_NETWORK = "not-network"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pattern:
    """One known message: its stable name, how to match it (case-insensitive), its class,
    the check IDs a match confirms, and where AWS says it or where it is reported."""

    name: str
    regex: str
    kind: ReasonClass
    checks: tuple[str, ...]
    source: str


# In order: the first match wins, so the message that must never be attributed comes first.
PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "internal-error",
        r"InternalServerError|We encountered an internal error",
        ReasonClass.UNKNOWN,
        (),
        "reported: aws/sagemaker-python-sdk issue #3026 (processing job in a VPC, custom "
        "role; cause never confirmed, so never attributed)",
    ),
    Pattern(
        "s3-path-training",
        r"route table has a route to an S3 VPC endpoint or a NAT device",
        ReasonClass.NETWORK,
        S3_PATH_CHECKS,
        "reported: aws/amazon-sagemaker-operator-for-k8s pull #22 (training FailureReason "
        "\"ClientError: Artifact upload failed:Please ensure that the subnet's route table "
        'has a route to an S3 VPC endpoint or a NAT device, ...")',
    ),
    Pattern(
        "s3-path-endpoint",
        r"Failed to download model data from URL.*S3 VPC endpoint exists in route table or "
        r"NAT gateway",
        ReasonClass.NETWORK,
        S3_PATH_CHECKS,
        "reported: aws-solutions-library-samples/guidance-for-text-generation-using-"
        "embeddings-from-enterprise-data-on-aws issue #3 (endpoint)",
    ),
    Pattern(
        "s3-unreachable",
        r"Unable to execute request to S3",
        ReasonClass.NETWORK,
        S3_PATH_CHECKS,
        "reported: aws-samples/sagemaker-run-notebook issue #32 (processing job in a VPC: "
        '"ListObjectsV2 failed for s3://...: Unable to execute request to S3")',
    ),
    Pattern(
        "endpoint-subnets-one-az",
        r"Unable to locate at least 2 availability zone\(s\)",
        ReasonClass.NETWORK,
        ("ENDPOINT_SUBNETS_ONE_AZ",),
        "AWS: Give Amazon SageMaker Clarify Jobs Access to Resources in Your Amazon VPC "
        "(/sagemaker/latest/dg/clarify-vpc.html)",
    ),
    Pattern(
        "subnet-out-of-addresses",
        r"InsufficientFreeAddressesInSubnet|does not have enough free addresses",
        ReasonClass.NETWORK,
        ("SUBNET_IP_CAPACITY",),
        "EC2's error for a full subnet, reported in aws/amazon-vpc-cni-k8s pull #1773 "
        "(SageMaker's own wording is undocumented)",
    ),
    Pattern(
        "role-eni-not-authorized",
        r"not authorized to perform:? ec2:(?:" + "|".join(ROLE_ENI_ACTIONS) + r")\b",
        ReasonClass.NETWORK,
        ("ROLE_VPC_PERMISSIONS_MISSING",),
        'IAM\'s access-denied message ("... is not authorized to perform: <action>", '
        "/IAM/latest/UserGuide/troubleshoot_access-denied.html) for an action of "
        "/sagemaker/latest/dg/sagemaker-roles.html",
    ),
    Pattern(
        "role-not-assumable",
        r"role ARN cannot be assumed",
        ReasonClass.NOT_NETWORK,
        (),
        "AWS: Troubleshoot Inference Recommender errors "
        "(/sagemaker/latest/dg/inference-recommender-troubleshooting.html); the role's trust "
        "policy, which no check reads",
    ),
    Pattern(
        "capacity",
        r"^\s*CapacityError\b",
        ReasonClass.NOT_NETWORK,
        (),
        "AWS: Jobs stuck in RUNNABLE due to capacity (/batch/latest/userguide/"
        'sm_job_stuck_in_runnable_capacity.html: "failedReason begins with CapacityError")',
    ),
)
_COMPILED = tuple((p, re.compile(p.regex, re.IGNORECASE | re.DOTALL)) for p in PATTERNS)


@dataclass(frozen=True)
class Reason:
    """A FailureReason classified: its class, the checks it confirms, the pattern matched."""

    kind: ReasonClass
    checks: tuple[str, ...] = ()
    pattern: str | None = None
    source: str | None = None


UNKNOWN = Reason(ReasonClass.UNKNOWN)


def classify(failure_reason: str | None) -> Reason:
    """The first pattern the message matches, else UNKNOWN (an empty message too)."""
    if not failure_reason:
        return UNKNOWN
    for pattern, compiled in _COMPILED:
        if compiled.search(failure_reason):
            return Reason(pattern.kind, pattern.checks, pattern.name, pattern.source)
    return UNKNOWN
