"""The CLI's ways to name a job: a pre-flight request from arguments, or an existing job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_vpc_guard.intake.event import Skipped, parse_request
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import describe_job

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient

PREFLIGHT_JOB = "preflight"


def preflight_request(
    *,
    account: str,
    region: str,
    subnets: list[str],
    security_groups: list[str],
    role_arn: str | None = None,
    model_package_arn: str | None = None,
    model_name: str | None = None,
    max_parallel: int | None = None,
    instance_types: list[str] | None = None,
    job_name: str = PREFLIGHT_JOB,
) -> JobRequest | Skipped:
    """The request CreateInferenceRecommendationsJob would get, validated the same way."""
    input_config: dict[str, Any] = {
        "VpcConfig": {"Subnets": subnets, "SecurityGroupIds": security_groups}
    }
    if model_package_arn:
        input_config["ModelPackageVersionArn"] = model_package_arn
    if model_name:
        input_config["ModelName"] = model_name
    if max_parallel:
        input_config["ResourceLimit"] = {"MaxParallelOfTests": max_parallel}
    if instance_types:
        input_config["EndpointConfigurations"] = [{"InstanceType": t} for t in instance_types]
    params: dict[str, Any] = {"JobName": job_name, "InputConfig": input_config}
    if role_arn:
        params["RoleArn"] = role_arn
    return parse_request(
        params, account=account, region=region, event_id=f"cli:{job_name}", trigger="cli"
    )


def existing_job(
    sagemaker: SageMakerClient, name: str, *, account: str, region: str
) -> JobRequest | Skipped:
    """An existing job, read with DescribeInferenceRecommendationsJob."""
    return describe_job(sagemaker, name, account=account, region=region, trigger="cli")
