"""R1 registry and R3 bucket and repository policies (checks/model.py)."""

import json

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import Severity
from tests.checks.helpers import finding, found
from tests.snapshots import compliant, job


def test_model_name_instead_of_package_is_flagged() -> None:
    snapshot = compliant(job=job(model_package_arn=None, model_name="my-model"))
    assert finding(snapshot, "MODEL_NOT_IN_REGISTRY").resources == ("my-model",)


def test_a_preflight_without_a_model_is_not_judged_on_it() -> None:
    snapshot = compliant(job=job(model_package_arn=None, model_name=None))
    assert "MODEL_NOT_IN_REGISTRY" not in {f.check_id for f in run_checks(snapshot).findings}


VPC_DENY = {
    "Sid": "OnlyFromVpc",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::models", "arn:aws:s3:::models/*"],
    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
}


def test_bucket_policy_denying_outside_an_endpoint_is_flagged() -> None:
    policy = json.dumps({"Statement": [VPC_DENY]})
    result = finding(
        compliant(artifact_bucket_policies=Read(value={"models": policy})),
        "MODEL_ARTIFACT_VPC_RESTRICTED",
    )
    assert result.severity is Severity.HIGH and result.evidence["statements"] == ["OnlyFromVpc"]


def test_bucket_policy_allowing_only_from_a_vpc_is_flagged_medium() -> None:
    allow_vpc = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::pay/*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
    }
    snapshot = compliant(
        job=job(sample_payload_url="s3://pay/payload.tar.gz"),
        payload_bucket_policies=Read(value={"pay": json.dumps({"Statement": [allow_vpc]})}),
    )
    assert finding(snapshot, "SAMPLE_PAYLOAD_VPC_RESTRICTED").severity is Severity.MEDIUM


def test_unrelated_conditions_and_other_actions_are_not_flagged() -> None:
    tls = {**VPC_DENY, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    puts = {**VPC_DENY, "Action": "s3:PutObject"}
    policy = json.dumps({"Statement": [tls, puts]})
    assert found(compliant(artifact_bucket_policies=Read(value={"models": policy}))) == []


def test_repository_policy_restricted_to_vpc_is_flagged() -> None:
    # Repository policies name no Resource: the repository they are attached to.
    ecr_deny = {k: v for k, v in VPC_DENY.items() if k != "Resource"}
    ecr_deny["Action"] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    snapshot = compliant(
        repository_policies=Read(value={"repo": json.dumps({"Statement": [ecr_deny]})})
    )
    assert finding(snapshot, "IMAGE_VPC_RESTRICTED").resources == ("repo",)
