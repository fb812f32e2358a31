"""R1 and R3: the model is in the registry, and its artifacts, payload and image are not
restricted to a VPC (the service reads them from outside the customer's VPC)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ECR_READ_ACTIONS, S3_READ_ACTION
from ir_vpc_guard.snapshot import Snapshot


@register(
    "MODEL_NOT_IN_REGISTRY",
    title="The job names a model, not a Model Registry package version",
    severity=Severity.MEDIUM,
    requirement="R1",
    reads=(),
    risk="Inference Recommender expects a registered model package version.",
    fix="Register the model in the SageMaker Model Registry and name its version ARN.",
)
def model_not_in_registry(snapshot: Snapshot) -> Iterator[Problem]:
    job = snapshot.job
    # A job that names neither (a pre-flight check before the model is chosen) is not judged.
    if job.vpc_config_valid and job.model_name and not job.model_package_arn:
        yield Problem(
            detail=f"The job names model {job.model_name}, not a package version.",
            resources=(job.model_name,),
            evidence={"modelName": job.model_name},
            command=(
                "aws sagemaker create-model-package --model-package-group-name <group> "
                "--inference-specification file://inference-spec.json "
                "--model-approval-status Approved  # then pass its ARN as ModelPackageVersionArn"
            ),
        )


def _restricted(
    policies: dict[str, str | None], actions: Iterable[str], kind: str
) -> Iterator[Problem]:
    wanted = tuple(actions)
    for name, text in policies.items():
        found = policy.vpc_restrictions(policy.parse(text), wanted)
        if found["denies"]:
            severity, how = (
                Severity.HIGH,
                f"denies reads outside a VPC/endpoint ({', '.join(found['denies'])})",
            )
        elif found["onlyAllows"]:
            severity, how = Severity.MEDIUM, "allows reads only from a VPC/endpoint"
        else:
            continue
        yield Problem(
            detail=f"The {kind} policy of {name} {how}; SageMaker reads it from outside your VPC.",
            resources=(name,),
            evidence={"statements": found["denies"], "onlyAllows": found["onlyAllows"]},
            severity=severity,
            command=_policy_command(kind, name),
        )


def _policy_command(kind: str, name: str) -> str:
    """Where a person edits the policy: fetch it, change the named statements, put it back."""
    if kind == "bucket":
        return (
            f"aws s3api get-bucket-policy --bucket {name} --query Policy --output text "
            f"> policy.json && $EDITOR policy.json && "
            f"aws s3api put-bucket-policy --bucket {name} --policy file://policy.json"
        )
    return (
        f"aws ecr get-repository-policy --repository-name {name} --query policyText "
        f"--output text > policy.json && $EDITOR policy.json && "
        f"aws ecr set-repository-policy --repository-name {name} --policy-text file://policy.json"
    )


@register(
    "MODEL_ARTIFACT_VPC_RESTRICTED",
    title="The model artifact bucket is restricted to a VPC",
    severity=Severity.HIGH,
    requirement="R3",
    reads=("model", "artifact_bucket_policies"),
    risk="SageMaker cannot read the model artifacts and the job fails.",
    fix="Exempt SageMaker's access from the aws:SourceVpc/aws:SourceVpce condition.",
)
def model_artifact_vpc_restricted(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _restricted(snapshot.artifact_bucket_policies.get(), [S3_READ_ACTION], "bucket")


@register(
    "SAMPLE_PAYLOAD_VPC_RESTRICTED",
    title="The sample payload bucket is restricted to a VPC",
    severity=Severity.HIGH,
    requirement="R3",
    reads=("payload_bucket_policies",),
    risk="SageMaker cannot read the sample payload and the job fails.",
    fix="Exempt SageMaker's access from the aws:SourceVpc/aws:SourceVpce condition.",
)
def sample_payload_vpc_restricted(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _restricted(snapshot.payload_bucket_policies.get(), [S3_READ_ACTION], "bucket")


@register(
    "IMAGE_VPC_RESTRICTED",
    title="The model's ECR repository is restricted to a VPC",
    severity=Severity.HIGH,
    requirement="R3",
    reads=("model", "repository_policies"),
    risk="SageMaker cannot pull the container image and the job fails.",
    fix="Exempt SageMaker's pulls from the aws:SourceVpc/aws:SourceVpce condition.",
)
def image_vpc_restricted(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _restricted(snapshot.repository_policies.get(), ECR_READ_ACTIONS, "repository")
