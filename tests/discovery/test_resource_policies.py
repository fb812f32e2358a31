"""The model's resource policies: each bucket's policy read once (artifacts and payload
alike), the repository policies of the images in this account's registry only; what cannot
be read is an error carried to every read that needs it."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.resource_policies import PolicyReads
from ir_vpc_guard.discovery.snapshot import ModelInfo, Read, failed, not_applicable
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard_dev.sandbox import MODEL_BUCKET, PAYLOAD_BUCKET, REPOSITORY, World
from tests.conftest import REGION
from tests.refusals import refuse

ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:latest"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{MODEL_BUCKET}/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def _model(*artifacts: str, images: tuple[str, ...] = (), payload: str | None = None) -> Any:
    return Read(
        value=ModelInfo(
            "package", artifact_urls=artifacts, images=images, sample_payload_url=payload
        )
    )


def test_the_worlds_policies_are_read_once_each(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    info = ModelInfo(
        world.model_package_arn,
        artifact_urls=(f"s3://{MODEL_BUCKET}/model/model.tar.gz",),
        images=(IMAGE,),
        sample_payload_url=f"s3://{PAYLOAD_BUCKET}/payload.tar.gz",
    )
    reads = PolicyReads(wave, clients, job, Read(value=info))
    assert reads.artifacts().get() == {MODEL_BUCKET: None}  # no policy: None, not an error
    assert reads.payload().get() == {PAYLOAD_BUCKET: None}
    assert reads.repositories().get() == {REPOSITORY: None}
    assert calls == Counter({"s3.GetBucketPolicy": 2, "ecr.GetRepositoryPolicy": 1})


def test_a_bucket_named_twice_is_read_once_and_its_policy_is_its_text(
    aws: Any, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    aws.client("s3").put_bucket_policy(Bucket=MODEL_BUCKET, Policy=json.dumps(POLICY))
    model = _model(
        f"s3://{MODEL_BUCKET}/a.tar.gz",
        f"s3://{MODEL_BUCKET}/b.tar.gz",
        payload=f"s3://{MODEL_BUCKET}/payload.tar.gz",
    )
    reads = PolicyReads(wave, clients, job, model)
    artifacts, payload = reads.artifacts().get(), reads.payload().get()
    assert artifacts == payload and list(artifacts) == [MODEL_BUCKET]
    assert json.loads(artifacts[MODEL_BUCKET] or "{}") == POLICY
    assert calls == Counter({"s3.GetBucketPolicy": 1})


def test_only_images_in_this_accounts_regional_registry_are_read(
    aws: Any, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    pull = {
        "Sid": "pull",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": ["ecr:BatchGetImage"],
    }
    policy = {"Version": "2012-10-17", "Statement": [pull]}
    aws.client("ecr").set_repository_policy(
        repositoryName=REPOSITORY, policyText=json.dumps(policy)
    )
    foreign = (
        f"999999999999.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:1",
        f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/{REPOSITORY}:1",
        "public.ecr.aws/docker/library/python:3.13",
    )
    reads = PolicyReads(wave, clients, job, _model(images=(IMAGE, IMAGE, *foreign)))
    (text,) = reads.repositories().get().values()
    assert json.loads(text or "{}") == policy
    assert calls == Counter({"ecr.GetRepositoryPolicy": 1})

    elsewhere = PolicyReads(wave, clients, job, _model(images=foreign))
    why = elsewhere.repositories().not_applicable or ""
    assert why.startswith("no image in this account's ECR registry")
    assert all(image in why for image in foreign)
    assert calls == Counter({"ecr.GetRepositoryPolicy": 1})


def test_a_refused_bucket_read_is_an_error_not_a_pass(
    clients: AwsClients, wave: Wave, job: JobRequest
) -> None:
    refuse(clients.s3.meta.events, "s3", "GetBucketPolicy", "AccessDenied")
    read = PolicyReads(wave, clients, job, _model(f"s3://{MODEL_BUCKET}/a")).artifacts()
    assert read.value is None and read.error is not None
    assert (read.error.api, read.error.code) == ("s3:GetBucketPolicy", "AccessDenied")


def test_an_unread_model_leaves_its_policies_unread_for_the_same_reason(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    unread = failed("sagemaker:DescribeModelPackage", "AccessDenied")
    reads = PolicyReads(wave, clients, replace(job, sample_payload_url=None), unread)
    for read in (reads.artifacts(), reads.payload(), reads.repositories()):
        assert read.error is not None
        assert (read.error.api, read.error.code) == (
            "sagemaker:DescribeModelPackage",
            "AccessDenied",
        )
        assert read.error.message == "model could not be read"
    nothing = PolicyReads(wave, clients, job, not_applicable("the job names no model"))
    assert nothing.artifacts().not_applicable == "the job names no model"
    assert calls == Counter()


def test_the_jobs_own_sample_payload_is_read_without_the_model(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    unread = failed("sagemaker:DescribeModelPackage", "AccessDenied")
    own = replace(job, sample_payload_url=f"s3://{PAYLOAD_BUCKET}/mine.tar.gz")
    reads = PolicyReads(wave, clients, own, unread)
    assert reads.payload().get() == {PAYLOAD_BUCKET: None}
    assert reads.artifacts().error is not None
    assert calls == Counter({"s3.GetBucketPolicy": 1})
