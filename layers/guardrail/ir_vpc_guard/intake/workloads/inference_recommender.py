"""CreateInferenceRecommendationsJob: the workload the guardrail was built for (R1 to R8 as
requirements.py states them; its instance count is an estimate, checks/capacity.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ir_vpc_guard.intake.fields import at, matching, member, positive_int, text
from ir_vpc_guard.intake.request import (
    JOB_ARN_PATTERN,
    JOB_NAME,
    MAX_ENDPOINT_CONFIGURATIONS,
    MODEL_NAME,
    MODEL_PACKAGE_ARN,
    S3_URL_PATTERN,
    EndpointConfiguration,
)
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER, Workload
from ir_vpc_guard.requirements import ROLE_ADVISORY_ACTIONS, ROLE_REQUIRED_ACTIONS

# EnvironmentParameterRanges.CategoricalParameterRanges: 1-5 items; CategoricalParameter.Value:
# 1-3 strings (SageMaker API reference).
MAX_CATEGORICAL_PARAMETERS = 5
MAX_CATEGORICAL_VALUES = 3


def read(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The model, the load tests and the payload of an Inference Recommender request."""
    input_config = member(params, "inputConfig")

    def checked(value: object, pattern: Any, label: str) -> str | None:
        if value is None:
            return None
        valid = matching(value, pattern)
        if valid is None:
            problems.append(f"{label} is not valid")
        return valid

    package_arn = checked(
        member(input_config, "modelPackageVersionArn"), MODEL_PACKAGE_ARN, "modelPackageArn"
    )
    model_name = checked(member(input_config, "modelName"), MODEL_NAME, "modelName")
    payload_url = checked(
        at(input_config, ("containerConfig", "payloadConfig", "samplePayloadUrl")),
        S3_URL_PATTERN,
        "samplePayloadUrl",
    )
    return {
        "model_package_arn": package_arn,
        "model_name": model_name,
        "job_type": "Advanced" if member(params, "jobType") == "Advanced" else "Default",
        "max_parallel_of_tests": positive_int(
            at(input_config, ("resourceLimit", "maxParallelOfTests"))
        ),
        "endpoint_configurations": _endpoint_configurations(
            member(input_config, "endpointConfigurations")
        ),
        "sample_payload_url": payload_url,
    }


def _endpoint_configurations(value: object) -> tuple[EndpointConfiguration, ...]:
    if not isinstance(value, list):
        return ()
    configs = []
    for item in value[:MAX_ENDPOINT_CONFIGURATIONS]:
        if not isinstance(item, Mapping):
            continue
        configs.append(
            EndpointConfiguration(
                instance_type=text(member(item, "instanceType")),
                serverless=member(item, "serverlessConfig") is not None,
                parameter_ranges=_parameter_ranges(member(item, "environmentParameterRanges")),
            )
        )
    return tuple(configs)


def _parameter_ranges(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """CategoricalParameterRanges as (name, distinct values), within the API's limits (1-5
    parameters of 1-3 values: a recorded, successful call never holds more)."""
    ranges = member(value, "categoricalParameterRanges")
    if not isinstance(ranges, list):
        return ()
    parsed = []
    for item in ranges[:MAX_CATEGORICAL_PARAMETERS]:
        values = member(item, "value")
        if not isinstance(values, list):
            continue
        distinct = tuple(dict.fromkeys(v for v in values if isinstance(v, str)))
        if distinct:
            name = text(member(item, "name")) or ""
            parsed.append((name, distinct[:MAX_CATEGORICAL_VALUES]))
    return tuple(parsed)


UNIT = Workload(
    name=INFERENCE_RECOMMENDER,
    event_names=("CreateInferenceRecommendationsJob",),
    job_name_path=("jobName",),
    job_name=JOB_NAME,
    job_arn_path=("jobArn",),
    job_arn=JOB_ARN_PATTERN,
    vpc_config_path=("inputConfig", "vpcConfig"),
    role_path=("roleArn",),
    read=read,
    ips_per_instance=2,
    role_actions=tuple(a for a in ROLE_REQUIRED_ACTIONS if a not in ROLE_ADVISORY_ACTIONS),
    not_evaluated={},
    describe_api="DescribeInferenceRecommendationsJob",
    list_api="ListInferenceRecommendationsJobs",
    stop_api="StopInferenceRecommendationsJob",
    list_summaries="InferenceRecommendationsJobs",
    active_statuses=("PENDING", "IN_PROGRESS"),
    status_member="Status",
    arn_resource="inference-recommendations-job",
    restart_members=("JobName", "JobType", "RoleArn", "InputConfig", "StoppingConditions"),
)
