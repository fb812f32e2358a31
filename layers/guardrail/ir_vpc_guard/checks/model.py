"""R1 and R3: the model is in the registry, and its artifacts, payload and image are not
restricted to a VPC (the service reads them from outside the customer's VPC)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ir_vpc_guard.checks import confirm, policy
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.requests import object_arn, role_facts, service_read
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


@dataclass(frozen=True, eq=False, repr=False)
class _Refusal:
    """Reads a resource policy refuses or may refuse, and how: exactly those, no others."""

    severity: Severity
    how: str
    requests: tuple[policy.Request, ...]
    evidence: dict[str, Any]
    keys: tuple[str, ...] = ()  # the condition keys an undetermined answer hangs on


def _judge(
    snapshot: Snapshot, document: dict[str, Any], requests: list[policy.Request]
) -> Iterator[_Refusal]:
    """How a resource policy treats each of the job's service-side reads, where it stands
    in the way: one refusal per kind, naming only the reads of that kind.

    A certain Deny is HIGH. A Deny that hangs on a key the product cannot know is MEDIUM,
    with the key named. A policy whose only grant of the read needs a VPC key is MEDIUM: the
    read then rests on the role's own policy (same account) or fails (another account).
    """
    denials = [(r, policy.explicit_deny([document], r)) for r in requests]
    denied = [(r, e) for r, e in denials if e.decision is policy.Decision.EXPLICIT_DENY]
    maybe = [(r, e) for r, e in denials if e.decision is policy.Decision.UNDETERMINED]
    if denied:
        statements = _labels(e.statements for _, e in denied)
        yield _Refusal(
            Severity.HIGH,
            f"denies {_reads(r for r, _ in denied)} ({', '.join(statements)})",
            tuple(r for r, _ in denied),
            {"statements": statements},
        )
    if maybe:
        statements = _labels(e.statements for _, e in maybe)
        keys = _labels(e.unknown_keys for _, e in maybe)
        yield _Refusal(
            Severity.MEDIUM,
            f"may deny {_reads(r for r, _ in maybe)} ({', '.join(statements)}): the answer "
            f"hangs on {', '.join(keys)}",
            tuple(r for r, _ in maybe),
            {"statements": statements, "undetermined": ", ".join(keys)},
            tuple(keys),
        )
    rest = [r for r, e in denials if e.decision is policy.Decision.IMPLICIT_DENY]
    only_inside = [r for r in rest if _only_from_a_vpc(document, r)]
    if only_inside and not _role_allows(snapshot, only_inside):
        inside = policy.combine(
            policy.evaluate([document], replace(r, absent=frozenset())) for r in only_inside
        )
        yield _Refusal(
            Severity.MEDIUM,
            f"allows {_reads(only_inside)} only from a VPC/endpoint",
            tuple(only_inside),
            {
                "statements": list(inside.statements),
                "onlyAllows": True,
                "undetermined": f"whether {snapshot.job.role_arn}'s own policies allow the read",
            },
        )


def _only_from_a_vpc(document: dict[str, Any], request: policy.Request) -> bool:
    """The policy grants the read from inside a VPC (or may), not from outside it."""
    outside = policy.evaluate([document], request).decision
    inside = policy.evaluate([document], replace(request, absent=frozenset())).decision
    return outside is not policy.Decision.ALLOWED and inside in {
        policy.Decision.ALLOWED,
        policy.Decision.UNDETERMINED,
    }


def _labels(groups: Iterable[Iterable[str]]) -> list[str]:
    return list(dict.fromkeys(label for group in groups for label in group))


def _reads(requests: Iterable[policy.Request]) -> str:
    """`s3:GetObject on arn:...:key`, the actions and resources exactly as refused."""
    found = list(requests)
    actions = ", ".join(dict.fromkeys(r.action for r in found))
    resources = ", ".join(dict.fromkeys(r.resource for r in found))
    return f"{actions} on {resources}"


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
        for refusal in _judge(snapshot, policy.parse(text), requests) if requests else ():
            yield Problem(
                detail=f"The {kind} policy of {name} {refusal.how}; SageMaker reads from "
                f"outside your VPC as {snapshot.job.role_arn}.",
                resources=(name,),
                evidence={
                    **refusal.evidence,
                    "resources": list(dict.fromkeys(r.resource for r in refusal.requests)),
                    "actions": list(dict.fromkeys(r.action for r in refusal.requests)),
                },
                severity=refusal.severity,
                command=_command(snapshot, kind, name, refusal),
            )


def _command(snapshot: Snapshot, kind: str, name: str, refusal: _Refusal) -> str:
    """A certain refusal: where to edit the policy. An undetermined one: the read that
    answers what it hangs on, since the policy may be right."""
    if "undetermined" not in refusal.evidence:
        return policy_command(kind, name)
    targets = [_target(snapshot, kind, name, r) for r in refusal.requests]
    if refusal.evidence.get("onlyAllows"):
        return confirm.role_allows(targets)
    return confirm.commands(refusal.keys, targets)


def _target(snapshot: Snapshot, kind: str, name: str, request: policy.Request) -> confirm.Target:
    role = snapshot.job.role_arn
    if kind == "repository":
        return confirm.Target(request.action, request.resource, role, repository=name)
    return confirm.object_target(request.action, request.resource, role)


def _bucket_restricted(
    snapshot: Snapshot, policies: dict[str, str | None], urls: Iterable[str | None]
) -> Iterator[Problem]:
    """The reads of the objects `urls` name that these buckets' policies refuse or leave
    undetermined: only those objects, so that a refusal of the payload alone is the
    payload's finding, not the model's."""
    reads: dict[str, list[policy.Request]] = {b: [] for b in policies}
    role = role_facts(snapshot)
    for arn in dict.fromkeys(a for a in (object_arn(snapshot.job, u) for u in urls) if a):
        bucket = arn.split(":::", 1)[1].split("/", 1)[0]
        if bucket in reads:
            reads[bucket].append(service_read(snapshot.job, S3_READ_ACTION, arn, role=role))
    yield from _restricted(snapshot, policies, reads, "bucket")


def _artifact_urls(snapshot: Snapshot) -> tuple[str, ...]:
    model = snapshot.model.value if snapshot.model.ok else None
    return model.artifact_urls if model else ()


def _payload_url(snapshot: Snapshot) -> str | None:
    """The job's own sample payload, else the one its model package names."""
    model = snapshot.model.value if snapshot.model.ok else None
    return snapshot.job.sample_payload_url or (model.sample_payload_url if model else None)


def policy_command(kind: str, name: str) -> str:
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
    yield from _bucket_restricted(
        snapshot, snapshot.artifact_bucket_policies.get(), _artifact_urls(snapshot)
    )


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
    yield from _bucket_restricted(
        snapshot, snapshot.payload_bucket_policies.get(), [_payload_url(snapshot)]
    )


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
                role=role_facts(snapshot),
            )
            for action in ECR_READ_ACTIONS
        ]
        for name in policies
    }
    yield from _restricted(snapshot, policies, reads, "repository")
