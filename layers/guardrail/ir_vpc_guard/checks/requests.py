"""The requests the job will make, as IAM sees them: who, on which ARNs, with which context.

What the product knows of a request's context is stated here once; every other condition
key is unknown to the evaluator, so a policy that hangs on it is undetermined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ir_vpc_guard.arns import account_of, s3_object_arn
from ir_vpc_guard.checks.policy import VPC_CONTEXT_KEYS, Principal, Request
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.intake.request import S3_URL_PATTERN, JobRequest
from ir_vpc_guard.intake.role_arns import NEW_INTERFACE, Owners, resource_arn, role_resources


def role_principal(job: JobRequest, *, bounded: bool = False) -> Principal:
    """The sessions of the job's execution role (SageMaker acts as that role); `bounded`:
    the role is known to have a permissions boundary."""
    role = str(job.role_arn or "")
    return Principal(
        account=account_of(role) or job.account, role_arn=job.role_arn, bounded=bounded
    )


def _base_context(job: JobRequest) -> dict[str, tuple[str, ...]]:
    context: dict[str, tuple[str, ...]] = {
        "aws:requestedregion": (job.region,),
        "aws:principaltype": ("AssumedRole",),
        # AWS services call each other over TLS only.
        "aws:securetransport": ("true",),
    }
    if job.role_arn:
        principal = role_principal(job)
        context["aws:principalarn"] = (job.role_arn,)
        context["aws:principalaccount"] = (principal.account,)
    return context


@dataclass(frozen=True, eq=False, repr=False)
class RoleFacts:
    """What the role's read says of the principal behind the job's reads: a permissions
    boundary (a resource policy's Deny with NotPrincipal then always denies it) and its
    tags (they decide aws:PrincipalTag/...; None when not read)."""

    bounded: bool = False
    tags: Mapping[str, str] | None = None


def role_facts(snapshot: Snapshot) -> RoleFacts:
    """The facts the role's read gave; none when it was not read."""
    if not snapshot.role.ok:
        return RoleFacts()
    access = snapshot.role.get()
    return RoleFacts(bounded=access.has_boundary, tags=access.tags)


def _as_role(facts: RoleFacts) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The principal-tag context and the key prefixes it settles."""
    known = (PRINCIPAL_TAG,) if facts.tags is not None else ()
    return principal_tags(facts.tags), known


def service_read(
    job: JobRequest,
    action: str,
    resource: str,
    *,
    repository: bool = False,
    role: RoleFacts = RoleFacts(),  # frozen: one default shared safely
) -> Request:
    """A read SageMaker makes from outside the customer's VPC, as the job's role: no
    aws:SourceVpc / aws:SourceVpce / aws:VpcSourceIp in its context."""
    tags, known = _as_role(role)
    return Request(
        action=action,
        resource=resource,
        principal=role_principal(job, bounded=role.bounded),
        context={**_base_context(job), **tags},
        absent=VPC_CONTEXT_KEYS,
        implicit_resource=repository,
        known_prefixes=known,
    )


def endpoint_read(
    job: JobRequest,
    endpoint_id: str,
    vpc_id: str,
    resource: str,
    *,
    role: RoleFacts = RoleFacts(),  # frozen: one default shared safely
    action: str = "s3:GetObject",
) -> Request:
    """A request (a read unless `action` says otherwise) from the job's instances through
    the S3 gateway endpoint, as the job's role."""
    tags, known = _as_role(role)
    context = {
        **_base_context(job),
        **tags,
        "aws:sourcevpce": (endpoint_id,),
        "aws:sourcevpc": (vpc_id,),
    }
    return Request(
        action=action,
        resource=resource,
        principal=role_principal(job, bounded=role.bounded),
        context=context,
        known_prefixes=known,
    )


def object_arn(job: JobRequest, url: str | None) -> str | None:
    """The ARN of the S3 object an `s3://bucket/key` URL names, in the job's partition. A URL
    that names a prefix (a directory of artifacts) stands for the objects under it."""
    match = S3_URL_PATTERN.fullmatch(url or "")
    if not match:
        return None
    key = (match.group(2) or "/").lstrip("/")
    return s3_object_arn(
        job.partition, match.group(1), key + "*" if key.endswith("/") or not key else key
    )


def prefix_arn(job: JobRequest, url: str | None) -> str | None:
    """The objects under an `s3://bucket/prefix` location a job reads or writes through its
    VPC (a channel's S3Prefix, an output path SageMaker appends its own keys to), as an ARN
    ending in `*`: evaluated as a template (`Request.resource_is_template`), so a policy that
    covers only part of the prefix is undetermined, never a certain refusal."""
    match = S3_URL_PATTERN.fullmatch(url or "")
    if not match:
        return None
    key = (match.group(2) or "/").lstrip("/")
    return s3_object_arn(job.partition, match.group(1), key + "*")


def job_objects(snapshot: Snapshot) -> dict[str, list[str]]:
    """The S3 objects the job reads (model artifacts and sample payload), by bucket."""
    model = snapshot.model.value if snapshot.model.ok else None
    urls = [*(model.artifact_urls if model else ()), snapshot.job.sample_payload_url]
    if not snapshot.job.sample_payload_url and model:
        urls.append(model.sample_payload_url)
    objects: dict[str, list[str]] = {}
    for url in urls:
        arn = object_arn(snapshot.job, url)
        if arn:
            bucket = arn.split(":::", 1)[1].split("/", 1)[0]
            objects.setdefault(bucket, [])
            if arn not in objects[bucket]:
                objects[bucket].append(arn)
    return objects


PRINCIPAL_TAG = "aws:principaltag/"


def principal_tags(tags: Mapping[str, str] | None) -> dict[str, tuple[str, ...]]:
    """The role's tags as `aws:PrincipalTag/<key>` context (condition key names, the tag key
    part included, are not case-sensitive)."""
    return {f"{PRINCIPAL_TAG}{k.lower()}": (v,) for k, v in (tags or {}).items()}


def role_calls(
    job: JobRequest,
    action: str,
    vpc_id: str | None,
    owners: Owners | None = None,
    tags: Mapping[str, str] | None = None,
) -> list[Request]:
    """One request per resource a call names, as the role's identity policies see it, with
    the context the request gives away: ec2:Region and aws:RequestedRegion always; ec2:Vpc on
    a resource of the job's VPC (a Describe, resource "*", has none); ec2:Subnet on the
    job's new interfaces, one request per subnet they may be created in. ARNs carry each
    resource's owner (`owners`). With the role's `tags` read, aws:PrincipalTag/... is known."""
    base = {**_base_context(job), "ec2:region": (job.region,), **principal_tags(tags)}
    known = (PRINCIPAL_TAG,) if tags is not None else ()
    vpc = resource_arn(job, "vpc", vpc_id, owners) if vpc_id else None
    subnets = [resource_arn(job, "subnet", s, owners) for s in job.subnets]
    requests = []
    for arn in role_resources(job, action, owners):
        context = {**base, "ec2:vpc": (vpc,)} if vpc and arn != "*" else base
        # aws:ResourceAccount: the job's own account for its own resources and for the calls
        # that name none ("*": EC2 answers in the caller's account). Another account's
        # resource (a shared VPC's subnet) is left unknown: never a certain refusal.
        if arn == "*" or account_of(arn) == job.account:
            context = {**context, "aws:resourceaccount": (job.account,)}
        interface = arn.endswith(NEW_INTERFACE)
        for subnet in subnets if interface and subnets else [None]:
            requests.append(
                Request(
                    action=action,
                    resource=arn,
                    context={**context, "ec2:subnet": (subnet,)} if subnet else context,
                    resource_is_template=interface,
                    known_prefixes=known,
                )
            )
    return requests
