"""The CLI's ways to name a job: a pre-flight request from arguments, or an existing job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_vpc_guard.intake.event import DEFAULT_WORKLOAD, Skipped, parse_request
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import describe_job
from ir_vpc_guard.intake.workload import Workload

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient

PREFLIGHT_JOB = "preflight"


def _put(params: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    """Set the member at `path` (CloudTrail's camelCase: intake reads either casing)."""
    *parents, last = path
    for name in parents:
        params = params.setdefault(name, {})
    params[last] = value


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
    workload: Workload = DEFAULT_WORKLOAD,
    instance_count: int | None = None,
    instance_type: str | None = None,
) -> JobRequest | Skipped:
    """The request the workload's create call would get, validated the same way: its job
    name, VPC config and role where the workload keeps them, then its own members (the
    model and load tests of Inference Recommender; the instances of the others)."""
    params: dict[str, Any] = {}
    _put(params, workload.job_name_path, job_name)
    vpc = {"subnets": subnets, "securityGroupIds": security_groups}
    _put(params, workload.vpc_config_path, vpc)
    if role_arn:
        _put(params, workload.role_path, role_arn)
    if instance_count is not None and workload.instance_count_path:
        _put(params, workload.instance_count_path, instance_count)
    if instance_type and workload.instance_type_path:
        _put(params, workload.instance_type_path, instance_type)
    input_config = params.get("inputConfig", {})  # Inference Recommender's own members
    if model_package_arn:
        input_config["modelPackageVersionArn"] = model_package_arn
    if model_name:
        input_config["modelName"] = model_name
    if max_parallel:
        input_config["resourceLimit"] = {"maxParallelOfTests": max_parallel}
    if instance_types:
        input_config["endpointConfigurations"] = [{"instanceType": t} for t in instance_types]
    return parse_request(
        params,
        account=account,
        region=region,
        event_id=f"cli:{job_name}",
        trigger="cli",
        workload=workload,
    )


def existing_job(
    sagemaker: SageMakerClient,
    name: str,
    *,
    account: str,
    region: str,
    workload: Workload = DEFAULT_WORKLOAD,
) -> tuple[JobRequest | Skipped, ...]:
    """An existing job's jobs (a tuning job's definitions), read with its workload's
    Describe API."""
    return describe_job(
        sagemaker, name, account=account, region=region, trigger="cli", workload=workload
    )
