"""The requests the job will make, as IAM sees them: who, on which ARNs, with which context.

What the product knows of a request's context is stated here once; every other condition
key is unknown to the evaluator, so a policy that hangs on it is undetermined.
"""

from __future__ import annotations

from ir_vpc_guard.arns import account_of, ec2_arn, s3_object_arn
from ir_vpc_guard.checks.policy import VPC_CONTEXT_KEYS, Principal, Request
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.intake.request import S3_URL_PATTERN, JobRequest
from ir_vpc_guard.intake.role_arns import NEW_INTERFACE, role_resources


def role_principal(job: JobRequest) -> Principal:
    """The sessions of the job's execution role (SageMaker acts as that role)."""
    role = str(job.role_arn or "")
    return Principal(account=account_of(role) or job.account, role_arn=job.role_arn)


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


def service_read(
    job: JobRequest, action: str, resource: str, *, repository: bool = False
) -> Request:
    """A read SageMaker makes from outside the customer's VPC, as the job's role: no
    aws:SourceVpc / aws:SourceVpce / aws:VpcSourceIp in its context."""
    return Request(
        action=action,
        resource=resource,
        principal=role_principal(job),
        context=_base_context(job),
        absent=VPC_CONTEXT_KEYS,
        implicit_resource=repository,
    )


def endpoint_read(job: JobRequest, endpoint_id: str, vpc_id: str, resource: str) -> Request:
    """A read from the job's instances through the S3 gateway endpoint, as the job's role."""
    context = {
        **_base_context(job),
        "aws:sourcevpce": (endpoint_id,),
        "aws:sourcevpc": (vpc_id,),
    }
    return Request(
        action="s3:GetObject", resource=resource, principal=role_principal(job), context=context
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


def role_calls(job: JobRequest, action: str, vpc_id: str | None) -> list[Request]:
    """One request per resource a call names, as the role's identity policies see it. A call
    on a resource of the job's VPC carries ec2:Vpc; a Describe (resource "*") does not."""
    base = {**_base_context(job), "ec2:region": (job.region,)}
    vpc = ec2_arn(job.partition, job.region, job.account, "vpc", vpc_id) if vpc_id else None
    return [
        Request(
            action=action,
            resource=arn,
            context={**base, "ec2:vpc": (vpc,)} if vpc and arn != "*" else base,
            resource_is_template=arn.endswith(NEW_INTERFACE),
        )
        for arn in role_resources(job, action)
    ]
