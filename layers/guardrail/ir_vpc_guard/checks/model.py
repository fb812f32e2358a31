"""R1 and R3: the model is in the registry, and its artifacts, payload and image are not
restricted to a VPC (the service reads them from outside the customer's VPC)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.requests import job_objects, service_read
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ECR_READ_ACTIONS, S3_READ_ACTION


@register(
    "MODEL_NOT_IN_REGISTRY",
    title="The job names a model, not a Model Registry package version",
    severity=Severity.LOW,
    requirement="R1",
    reads=(),
    risk="Advisory: the API accepts ModelName or ModelPackageVersionArn; a registered version"
    " keeps the recommendations tied to a reviewed model.",
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


def _judge(
    snapshot: Snapshot, document: dict[str, Any], requests: list[policy.Request]
) -> tuple[Severity, str, dict[str, Any]] | None:
    """How a resource policy treats the job's service-side reads, if it stands in the way.

    A certain Deny is HIGH. A Deny that hangs on a key the product cannot know is MEDIUM,
    with the key named. A policy whose only grant of the read needs a VPC key is MEDIUM: the
    read then rests on the role's own policy (same account) or fails (another account).
    """
    denied = policy.combine(policy.explicit_deny([document], r) for r in requests)
    if denied.decision is policy.Decision.EXPLICIT_DENY:
        return (
            Severity.HIGH,
            f"denies the read ({', '.join(denied.statements)})",
            {"statements": list(denied.statements)},
        )
    if denied.decision is policy.Decision.UNDETERMINED:
        keys = ", ".join(denied.unknown_keys)
        return (
            Severity.MEDIUM,
            f"may deny the read ({', '.join(denied.statements)})",
            {
                "statements": list(denied.statements),
                "undetermined": keys,
            },
        )
    granted = policy.combine(policy.evaluate([document], r) for r in requests)
    inside = policy.combine(
        policy.evaluate([document], replace(r, absent=frozenset())) for r in requests
    )
    if (
        granted.decision is not policy.Decision.ALLOWED
        and inside.decision in {policy.Decision.ALLOWED, policy.Decision.UNDETERMINED}
        and not _role_allows(snapshot, requests)
    ):
        return (
            Severity.MEDIUM,
            "allows the read only from a VPC/endpoint",
            {
                "statements": list(inside.statements),
                "onlyAllows": True,
                "undetermined": f"whether {snapshot.job.role_arn}'s own policies allow the read",
            },
        )
    return None


def _role_allows(snapshot: Snapshot, requests: list[policy.Request]) -> bool:
    """Whether the role's own policies (read when the simulator was unavailable) certainly
    allow the reads. Enough without the resource policy's grant: the guardrail could read
    that policy, which only the owner's account may do, so role and resource share it."""
    role = snapshot.role.value if snapshot.role.ok else None
    if role is None or role.simulated is not None:
        return False
    decision = policy.combine(
        policy.evaluate_with_boundary(role.policies, role.boundary, replace(r, principal=None))
        for r in requests
    ).decision
    return decision is policy.Decision.ALLOWED


def _restricted(
    snapshot: Snapshot,
    policies: dict[str, str | None],
    requests_by_name: dict[str, list[policy.Request]],
    kind: str,
) -> Iterator[Problem]:
    for name, text in policies.items():
        requests = requests_by_name.get(name, [])
        verdict = _judge(snapshot, policy.parse(text), requests) if requests else None
        if verdict is None:
            continue
        severity, how, evidence = verdict
        yield Problem(
            detail=f"The {kind} policy of {name} {how}; SageMaker reads it from outside your "
            f"VPC as {snapshot.job.role_arn}.",
            resources=(name,),
            evidence={
                **evidence,
                "resources": [r.resource for r in requests],
            },
            severity=severity,
            command=_policy_command(kind, name),
        )


def _bucket_restricted(snapshot: Snapshot, policies: dict[str, str | None]) -> Iterator[Problem]:
    """The job's object reads that these buckets' policies refuse or leave undetermined."""
    yield from _restricted(snapshot, policies, _object_reads(snapshot, policies), "bucket")


def _object_reads(snapshot: Snapshot, buckets: Iterable[str]) -> dict[str, list[policy.Request]]:
    objects = job_objects(snapshot)
    return {
        b: [service_read(snapshot.job, S3_READ_ACTION, arn) for arn in objects.get(b, [])]
        for b in buckets
    }


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
    blocks_job=True,
)
def model_artifact_vpc_restricted(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _bucket_restricted(snapshot, snapshot.artifact_bucket_policies.get())


@register(
    "SAMPLE_PAYLOAD_VPC_RESTRICTED",
    title="The sample payload bucket is restricted to a VPC",
    severity=Severity.HIGH,
    requirement="R3",
    reads=("payload_bucket_policies",),
    risk="SageMaker cannot read the sample payload and the job fails.",
    fix="Exempt SageMaker's access from the aws:SourceVpc/aws:SourceVpce condition.",
    blocks_job=True,
)
def sample_payload_vpc_restricted(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _bucket_restricted(snapshot, snapshot.payload_bucket_policies.get())


@register(
    "IMAGE_VPC_RESTRICTED",
    title="The model's ECR repository is restricted to a VPC",
    severity=Severity.HIGH,
    requirement="R3",
    reads=("model", "repository_policies"),
    risk="SageMaker cannot pull the container image and the job fails.",
    fix="Exempt SageMaker's pulls from the aws:SourceVpc/aws:SourceVpce condition.",
    blocks_job=True,
)
def image_vpc_restricted(snapshot: Snapshot) -> Iterator[Problem]:
    policies = snapshot.repository_policies.get()
    job = snapshot.job
    reads = {
        name: [
            service_read(
                job,
                action,
                f"arn:{job.partition}:ecr:{job.region}:{job.account}:repository/{name}",
                repository=True,
            )
            for action in ECR_READ_ACTIONS
        ]
        for name in policies
    }
    yield from _restricted(snapshot, policies, reads, "repository")
