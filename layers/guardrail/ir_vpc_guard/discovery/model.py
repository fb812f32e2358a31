"""SageMaker reads of the job's model: where its artifacts and images live, from the model
package (or the model) the job names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import ModelInfo, Read, not_applicable
from ir_vpc_guard.discovery.waves import Wave, done
from ir_vpc_guard.intake.request import JobRequest

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_sagemaker import SageMakerClient

# The read of the snapshot made here, and the IAM actions it may use.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "model": ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModel"),
}


def submit(wave: Wave, clients: AwsClients, job: JobRequest) -> Future[Read[ModelInfo]]:
    """The model package the job names, else its model, else not applicable."""
    package_arn, model_name = job.model_package_arn, job.model_name
    if package_arn:
        return wave.submit(
            "sagemaker:DescribeModelPackage",
            lambda: read_model_package(clients.sagemaker, package_arn),
        )
    if model_name:
        return wave.submit(
            "sagemaker:DescribeModel", lambda: read_model(clients.sagemaker, model_name)
        )
    return done(not_applicable("the job names no model package or model"))


def read_model_package(sagemaker: SageMakerClient, arn: str) -> ModelInfo:
    package = sagemaker.describe_model_package(ModelPackageName=arn)
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    return ModelInfo(
        source=arn,
        artifact_urls=_artifact_urls(containers),
        images=tuple(c["Image"] for c in containers if c.get("Image")),
        sample_payload_url=package.get("SamplePayloadUrl"),
    )


def read_model(sagemaker: SageMakerClient, name: str) -> ModelInfo:
    model = sagemaker.describe_model(ModelName=name)
    containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else []
    containers += model.get("Containers", [])
    return ModelInfo(
        source=model.get("ModelArn", name),
        artifact_urls=_artifact_urls(containers),
        images=tuple(c["Image"] for c in containers if c.get("Image")),
    )


def _artifact_urls(containers: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    urls = []
    for container in containers:
        source = container.get("ModelDataSource", {}).get("S3DataSource", {}).get("S3Uri")
        for url in (container.get("ModelDataUrl"), source):
            if url:
                urls.append(url)
    return tuple(dict.fromkeys(urls))
