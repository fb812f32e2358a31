"""R1 registry and R3 bucket and repository policies (checks/model.py)."""

import json
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import ModelInfo, Read, RoleAccess, Snapshot
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


# --- A finding names exactly what is refused -----------------------------------------------
SHARED = "shared"
MODEL_KEY, PAYLOAD_KEY = "model/model.tar.gz", "payload/sample.tar.gz"


def _shared_bucket(*statements: dict[str, Any]) -> Snapshot:
    """Model artifacts and sample payload in one bucket, under one policy."""
    text = json.dumps({"Statement": list(statements)})
    model = ModelInfo(source="pkg", artifact_urls=(f"s3://{SHARED}/{MODEL_KEY}",))
    return compliant(
        job=job(sample_payload_url=f"s3://{SHARED}/{PAYLOAD_KEY}"),
        model=Read(value=model),
        artifact_bucket_policies=Read(value={SHARED: text}),
        payload_bucket_policies=Read(value={SHARED: text}),
    )


def _outside_vpc(resource: str, **changes: Any) -> dict[str, Any]:
    return {**VPC_DENY, "Action": "s3:GetObject", "Resource": resource, **changes}


def test_a_policy_refusing_only_the_payload_fires_only_the_payloads_check() -> None:
    snapshot = _shared_bucket(_outside_vpc(f"arn:aws:s3:::{SHARED}/payload/*"))
    assert found(snapshot) == ["SAMPLE_PAYLOAD_VPC_RESTRICTED"]
    payload = finding(snapshot, "SAMPLE_PAYLOAD_VPC_RESTRICTED")
    assert payload.severity is Severity.HIGH
    assert payload.evidence["resources"] == [f"arn:aws:s3:::{SHARED}/{PAYLOAD_KEY}"]
    assert payload.evidence["actions"] == ["s3:GetObject"]
    assert MODEL_KEY not in payload.detail and PAYLOAD_KEY in payload.detail


def test_a_policy_refusing_only_the_model_fires_only_the_models_check() -> None:
    snapshot = _shared_bucket(_outside_vpc(f"arn:aws:s3:::{SHARED}/model/*"))
    assert found(snapshot) == ["MODEL_ARTIFACT_VPC_RESTRICTED"]
    model = finding(snapshot, "MODEL_ARTIFACT_VPC_RESTRICTED")
    assert model.evidence["resources"] == [f"arn:aws:s3:::{SHARED}/{MODEL_KEY}"]


def test_of_several_artifacts_only_the_refused_one_is_named() -> None:
    model = ModelInfo(
        source="pkg", artifact_urls=("s3://models/a/model.tar.gz", "s3://models/b/model.tar.gz")
    )
    deny = json.dumps({"Statement": [_outside_vpc("arn:aws:s3:::models/b/*")]})
    snapshot = compliant(
        model=Read(value=model), artifact_bucket_policies=Read(value={"models": deny})
    )
    result = finding(snapshot, "MODEL_ARTIFACT_VPC_RESTRICTED")
    assert result.evidence["resources"] == ["arn:aws:s3:::models/b/model.tar.gz"]
    assert "models/a/" not in result.detail


def test_a_certain_and_an_undetermined_refusal_are_separate_findings() -> None:
    tagged = _outside_vpc(
        f"arn:aws:s3:::{SHARED}/payload/*",
        Sid="Classified",
        Condition={"StringEquals": {"s3:ExistingObjectTag/class": "secret"}},
    )
    snapshot = _shared_bucket(_outside_vpc(f"arn:aws:s3:::{SHARED}/model/*"), tagged)
    model = finding(snapshot, "MODEL_ARTIFACT_VPC_RESTRICTED")
    assert model.severity is Severity.HIGH and "undetermined" not in model.evidence
    payload = finding(snapshot, "SAMPLE_PAYLOAD_VPC_RESTRICTED")
    assert payload.severity is Severity.MEDIUM
    assert payload.evidence["resources"] == [f"arn:aws:s3:::{SHARED}/{PAYLOAD_KEY}"]


def test_a_repository_policy_finding_names_only_the_refused_pull_action() -> None:
    layers_only = {k: v for k, v in VPC_DENY.items() if k != "Resource"}
    layers_only["Action"] = "ecr:GetDownloadUrlForLayer"
    snapshot = compliant(
        repository_policies=Read(value={"repo": json.dumps({"Statement": [layers_only]})})
    )
    result = finding(snapshot, "IMAGE_VPC_RESTRICTED")
    assert result.evidence["actions"] == ["ecr:GetDownloadUrlForLayer"]
    assert "ecr:BatchGetImage" not in result.detail


# --- An undetermined finding's command is the read that confirms ----------------------------
def _command(statement: dict[str, Any], check: str = "MODEL_ARTIFACT_VPC_RESTRICTED") -> str:
    policy = json.dumps({"Statement": [statement]})
    result = finding(compliant(artifact_bucket_policies=Read(value={"models": policy})), check)
    assert result.severity is Severity.MEDIUM and result.evidence["undetermined"]
    assert result.remediation is not None
    command = result.remediation.command or ""
    assert "put-bucket-policy" not in command and "$EDITOR" not in command
    return command


def test_a_deny_on_the_objects_tags_says_to_read_the_objects_tags() -> None:
    tagged = {**VPC_DENY, "Condition": {"StringEquals": {"s3:ExistingObjectTag/class": "x"}}}
    assert _command(tagged) == "aws s3api get-object-tagging --bucket models --key m.tar.gz"


def test_a_deny_on_the_organization_says_to_read_the_organizations_id() -> None:
    org = {**VPC_DENY, "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}
    assert _command(org) == (
        "aws organizations describe-organization --query Organization.Id --output text"
    )


def test_a_deny_on_an_unreadable_key_says_to_simulate_with_its_value() -> None:
    clock = {**VPC_DENY, "Condition": {"StringEquals": {"aws:SourceIdentity": "ci"}}}
    command = _command(clock)
    assert command.startswith("aws s3api get-bucket-policy --bucket models")
    assert "simulate-principal-policy" in command
    assert "ContextKeyName=aws:SourceIdentity" in command


def test_a_grant_only_from_a_vpc_says_to_simulate_the_roles_own_policies() -> None:
    allow_vpc = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::models/*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
    }
    command = _command(allow_vpc)
    assert command.startswith("aws iam simulate-principal-policy --policy-source-arn ")
    assert "--resource-arns arn:aws:s3:::models/m.tar.gz" in command


def test_a_certain_deny_still_says_where_to_edit_the_policy() -> None:
    policy = json.dumps({"Statement": [VPC_DENY]})
    result = finding(
        compliant(artifact_bucket_policies=Read(value={"models": policy})),
        "MODEL_ARTIFACT_VPC_RESTRICTED",
    )
    assert result.remediation is not None
    assert "put-bucket-policy --bucket models" in (result.remediation.command or "")


def test_a_not_principal_deny_exempting_a_bounded_role_still_refuses_it() -> None:
    """IAM User Guide, NotPrincipal: a Deny with NotPrincipal always denies a principal with
    a permissions boundary, even one it names; without one, the exemption is undetermined."""
    role = str(job().role_arn)
    exempt = {
        "Sid": "OnlyTheRole",
        "Effect": "Deny",
        "NotPrincipal": {"AWS": role},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::models/*",
    }
    policies = Read(value={"models": json.dumps({"Statement": [exempt]})})
    boundary = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    bounded = RoleAccess(policies=({"Statement": [boundary["Statement"][0]]},), boundary=boundary)
    certain = finding(
        compliant(artifact_bucket_policies=policies, role=Read(value=bounded)),
        "MODEL_ARTIFACT_VPC_RESTRICTED",
    )
    assert certain.severity is Severity.HIGH
    unbounded = finding(
        compliant(artifact_bucket_policies=policies), "MODEL_ARTIFACT_VPC_RESTRICTED"
    )
    assert unbounded.severity is not Severity.HIGH
