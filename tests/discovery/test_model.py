"""The job's model: one SageMaker call for where its artifacts, images and sample payload
live; the model package first, else the model."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery import model
from ir_vpc_guard.discovery.snapshot import ModelInfo
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard_dev.sandbox import MODEL_BUCKET, PAYLOAD_BUCKET, World

ARTIFACT = f"s3://{MODEL_BUCKET}/model/model.tar.gz"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/serving:1"


def test_the_model_package_says_where_everything_is(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    info = wave.result(model.submit(wave, clients, job)).get()
    assert info.source == world.model_package_arn
    assert info.artifact_urls == (ARTIFACT,)
    assert len(info.images) == 1 and info.images[0].endswith("/demo-ir-inference:latest")
    assert info.sample_payload_url == f"s3://{PAYLOAD_BUCKET}/payload.tar.gz"
    assert calls == Counter({"sagemaker.DescribeModelPackage": 1})


def test_a_model_is_read_for_every_container(
    aws: Any, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    arn = aws.client("sagemaker").create_model(
        ModelName="served",
        ExecutionRoleArn=str(job.role_arn),
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": ARTIFACT},
    )["ModelArn"]

    def more_containers(parsed: dict[str, Any], **_: Any) -> None:
        # A second container whose data is a ModelDataSource, and the first's artifact again.
        parsed["Containers"] = [
            {"ModelDataSource": {"S3DataSource": {"S3Uri": f"s3://{MODEL_BUCKET}/adapter/"}}},
            {"Image": IMAGE, "ModelDataUrl": ARTIFACT},
        ]

    clients.sagemaker.meta.events.register("after-call.sagemaker.DescribeModel", more_containers)
    by_name = replace(job, model_package_arn=None, model_name="served")
    info = wave.result(model.submit(wave, clients, by_name)).get()
    assert info == ModelInfo(
        source=arn,
        artifact_urls=(ARTIFACT, f"s3://{MODEL_BUCKET}/adapter/"),
        images=(IMAGE, IMAGE),
    )
    assert calls == Counter({"sagemaker.DescribeModel": 1})


def test_without_a_model_nothing_is_read(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    neither = replace(job, model_package_arn=None, model_name=None)
    read = wave.result(model.submit(wave, clients, neither))
    assert read.not_applicable == "the job names no model package or model"
    assert calls == Counter()


def test_a_model_package_that_cannot_be_read_is_an_error_not_a_pass(
    world: World, clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    missing = replace(job, model_package_arn=world.model_package_arn.replace("/1", "/9"))
    read = wave.result(model.submit(wave, clients, missing))
    assert not read.ok and read.value is None and read.error is not None
    assert read.error.api == "sagemaker:DescribeModelPackage"
    assert calls == Counter({"sagemaker.DescribeModelPackage": 1})
