"""S3 and ECR reads of the resource policies on the job's data: the bucket policies of the
model's artifacts and sample payload, the repository policies of its images in this
account's registry, and (workloads whose data path is the VPC) the policies of the buckets
the job itself reads and writes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import Future
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ir_vpc_guard.arns import dns_suffixes
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import JobBuckets, ModelInfo, Read, failed, not_applicable
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest, s3_bucket
from ir_vpc_guard.intake.workload import THROUGH_VPC
from ir_vpc_guard.intake.workloads import workload_of

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_s3 import S3Client

# Each read of the snapshot made here, and the IAM actions it may use.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "artifact_bucket_policies": ("s3:GetBucketPolicy",),
    "payload_bucket_policies": ("s3:GetBucketPolicy",),
    "repository_policies": ("ecr:GetRepositoryPolicy",),
    # s3:ListAllMyBuckets only after an AccessDenied: is the bucket this account's?
    "job_bucket_policies": ("s3:GetBucketPolicy", "s3:ListAllMyBuckets"),
}

# <registry>.dkr.ecr.<region>.<a partition's DNS suffix>/<repository>[:tag|@digest]: any
# partition's suffix (botocore's data), since the account and region already name the registry.
ECR_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.([a-z0-9.-]+)/([a-z0-9][a-z0-9._/-]{0,255})"
    r"(?::[\w.-]{1,128}|@sha256:[a-f0-9]{64})?"
)

# Policies by bucket or repository name; None where the resource has no policy.
Policies = dict[str, str | None]


class PolicyReads:
    """Bucket and repository policy reads of one job, each bucket read once: all submitted
    when made, waited for by `artifacts`, `payload` and `repositories`."""

    def __init__(
        self, wave: Wave, clients: AwsClients, job: JobRequest, model: Read[ModelInfo]
    ) -> None:
        self.wave = wave
        self.model = model
        self.job = job
        info = model.value if model.ok else None
        self.artifact_buckets = _buckets(info.artifact_urls if info else ())
        payload_url = job.sample_payload_url or (info.sample_payload_url if info else None)
        self.payload_buckets = _buckets([payload_url] if payload_url else [])
        self.bucket_reads = {
            bucket: wave.submit("s3:GetBucketPolicy", partial(_bucket_policy_of, clients, bucket))
            for bucket in dict.fromkeys(self.artifact_buckets + self.payload_buckets)
        }
        self.repository_reads: dict[str, Future[Read[str | None]]] = {}
        self.foreign_images: list[str] = []
        for image in info.images if info else ():
            match = ECR_IMAGE.fullmatch(image)
            if (
                not match
                or match.group(1) != job.account
                or match.group(2) != job.region
                or match.group(3) not in dns_suffixes()
            ):
                self.foreign_images.append(image)
                continue
            registry, repository = match.group(1), match.group(4)
            if repository not in self.repository_reads:
                self.repository_reads[repository] = wave.submit(
                    "ecr:GetRepositoryPolicy",
                    partial(_repository_policy_of, clients, registry, repository),
                )

    def artifacts(self) -> Read[Policies]:
        missing = self._model_missing()
        if missing:
            return missing
        if not self.artifact_buckets:
            return not_applicable("the model names no S3 artifact")
        return self._collect({b: self.bucket_reads[b] for b in self.artifact_buckets})

    def payload(self) -> Read[Policies]:
        if not self.payload_buckets:
            missing = self._model_missing() if not self.job.sample_payload_url else None
            return missing or not_applicable("no S3 sample payload is named")
        return self._collect({b: self.bucket_reads[b] for b in self.payload_buckets})

    def repositories(self) -> Read[Policies]:
        missing = self._model_missing()
        if missing:
            return missing
        if not self.repository_reads:
            where = ", ".join(self.foreign_images) or "none"
            return not_applicable(f"no image in this account's ECR registry (images: {where})")
        return self._collect(self.repository_reads)

    def _model_missing(self) -> Read[Any] | None:
        if self.model.ok:
            return None
        if self.model.error:
            return failed(self.model.error.api, self.model.error.code, "model could not be read")
        return not_applicable(self.model.not_applicable or "no model")

    def _collect(self, reads: dict[str, Future[Read[str | None]]]) -> Read[Policies]:
        values: Policies = {}
        for name, future in reads.items():
            result = self.wave.result(future)
            if result.error:
                return Read(error=result.error)
            values[name] = result.value
        return Read(value=values)


def read_bucket_policy(s3: S3Client, bucket: str) -> str | None:
    """The bucket's policy, or None when it has none."""
    try:
        return str(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
            return None
        raise


def read_repository_policy(ecr: ECRClient, registry: str, repository: str) -> str | None:
    """The repository's policy, or None when it has none."""
    try:
        answer = ecr.get_repository_policy(registryId=registry, repositoryName=repository)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "RepositoryPolicyNotFoundException":
            return None
        raise
    return str(answer["policyText"])


def submit_job_buckets(wave: Wave, clients: AwsClients, job: JobRequest) -> JobBucketReads:
    """The policies of the buckets the job reads and writes through its VPC, one read per
    bucket; none for a workload whose data is read from the service side."""
    buckets = (
        _buckets([*job.s3_reads, *job.s3_writes])
        if workload_of(job.workload).data_path == THROUGH_VPC
        else []
    )
    return JobBucketReads(
        wave,
        {
            bucket: wave.submit("s3:GetBucketPolicy", partial(_job_bucket_policy, clients, bucket))
            for bucket in buckets
        },
    )


class JobBucketReads:
    """The job buckets' policy reads in flight."""

    def __init__(self, wave: Wave, reads: dict[str, Future[Read[tuple[str | None, bool]]]]) -> None:
        self.wave = wave
        self.reads = reads

    def result(self) -> Read[JobBuckets]:
        if not self.reads:
            return not_applicable("the job names no S3 location read through its VPC")
        policies: Policies = {}
        foreign: list[str] = []
        for bucket, future in self.reads.items():
            found = self.wave.result(future)
            if found.error or found.value is None:
                return Read(error=found.error)
            policy, theirs = found.value
            if theirs:
                foreign.append(bucket)
            else:
                policies[bucket] = policy
        return Read(value=JobBuckets(policies, tuple(foreign)))


def _job_bucket_policy(clients: AwsClients, bucket: str) -> tuple[str | None, bool]:
    """The bucket's policy (None: none) and False; (None, True) for a bucket of another
    account. Only the owner's account may read a bucket policy (S3 API, GetBucketPolicy), so
    another account's bucket answers AccessDenied, as does a missing grant: one
    ListBuckets call filtered by the name tells them apart (not this account's: another's)."""
    try:
        return read_bucket_policy(clients.s3, bucket), False
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "AccessDenied":
            raise
        try:
            listed = clients.s3.list_buckets(Prefix=bucket, MaxBuckets=1).get("Buckets", [])
        except ClientError:
            raise error from None  # the policy read's refusal is what the report names
        if any(b.get("Name") == bucket for b in listed):
            raise
        return None, True


# The clients are taken in the reading thread (a cold client's set-up overlaps other reads).
def _bucket_policy_of(clients: AwsClients, bucket: str) -> str | None:
    return read_bucket_policy(clients.s3, bucket)


def _repository_policy_of(clients: AwsClients, registry: str, repository: str) -> str | None:
    return read_repository_policy(clients.ecr, registry, repository)


def _buckets(urls: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(b for b in (s3_bucket(u) for u in urls) if b))
