"""Intake: turn an EventBridge CloudTrail event (or a Describe answer) into a JobRequest.

Nothing here trusts its input: every key may be missing, of the wrong type or in either
casing (CloudTrail writes camelCase, the Describe API answers PascalCase).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ir_vpc_guard.arns import is_region
from ir_vpc_guard.intake.request import (
    ACCOUNT_PATTERN,
    JOB_ARN_PATTERN,
    JOB_NAME,
    MAX_ENDPOINT_CONFIGURATIONS,
    MODEL_NAME,
    MODEL_PACKAGE_ARN,
    ROLE_ARN,
    S3_URL_PATTERN,
    EndpointConfiguration,
    JobRequest,
    valid_vpc_id,
    vpc_config_problems,
)

EVENT_SOURCE = "aws.sagemaker"
DETAIL_TYPE = "AWS API Call via CloudTrail"
EVENT_NAME = "CreateInferenceRecommendationsJob"
# EnvironmentParameterRanges.CategoricalParameterRanges: 1-5 items; CategoricalParameter.Value:
# 1-3 strings (SageMaker API reference).
MAX_CATEGORICAL_PARAMETERS = 5
MAX_CATEGORICAL_VALUES = 3
MAX_TEXT = 2048


@dataclass(frozen=True)
class Skipped:
    """An event the guardrail does not check, and why."""

    reason: str
    event_id: str = "unknown"
    account: str = "unknown"
    region: str = "unknown"
    job_name: str | None = None


def member(mapping: object, name: str) -> Any:
    """`mapping[name]` tolerant of first-letter casing; None when absent or not a mapping."""
    if not isinstance(mapping, Mapping):
        return None
    for key in (name, name[:1].upper() + name[1:], name[:1].lower() + name[1:]):
        if key in mapping:
            return mapping[key]
    folded = name.lower()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == folded), None)


def parse_event(event: object, home_account: str | None = None) -> JobRequest | Skipped:
    """Validate the EventBridge envelope and the CloudTrail record inside it.

    With `home_account`, an event about another account (forwarded from another bus) is
    skipped: this function's credentials cannot see that account's VPC.
    """
    if not isinstance(event, Mapping):
        return Skipped(f"event is a {type(event).__name__}, not a JSON object")
    detail = event.get("detail")
    event_id = _text(member(detail, "eventID")) or _text(event.get("id")) or "unknown"
    account = _matching(event.get("account"), ACCOUNT_PATTERN) or "unknown"
    region = _region(event.get("region"))

    params = member(detail, "requestParameters")
    job_name = _matching(member(params, "jobName"), JOB_NAME)
    reason = _skip_reason(event, detail, params, account, region) or _foreign(
        detail, account, home_account
    )
    if reason is not None:
        return Skipped(reason, event_id=event_id, account=account, region=region, job_name=job_name)
    if not isinstance(detail, Mapping) or not isinstance(params, Mapping):
        # _skip_reason skips such events: getting here is a bug in it, not a bad event.
        raise TypeError("an event without a detail or request parameters was not skipped")
    job_arn = _matching(member(member(detail, "responseElements"), "jobArn"), JOB_ARN_PATTERN)
    return parse_request(params, account=account, region=region, event_id=event_id, job_arn=job_arn)


def _skip_reason(
    event: Mapping[str, Any], detail: object, params: object, account: str, region: str
) -> str | None:
    """Why the guardrail does not check this event, or None when it does."""
    if event.get("source") != EVENT_SOURCE or event.get("detail-type") != DETAIL_TYPE:
        return "not a SageMaker API call recorded by CloudTrail"
    if not isinstance(detail, Mapping):
        return "event has no CloudTrail detail"
    if member(detail, "eventName") != EVENT_NAME:
        return f"event is not {EVENT_NAME}"
    if "unknown" in (account, region):
        return "event has no valid account or region"
    error_code = member(detail, "errorCode")
    if error_code is not None:
        return f"the API call failed ({_short(error_code)}): no job was created"
    if not isinstance(params, Mapping):
        return "event has no request parameters"
    if member(params, "omitted") is True:
        return "CloudTrail omitted the request parameters (too large)"
    return None


def _foreign(detail: object, account: str, home_account: str | None) -> str | None:
    recipient = member(detail, "recipientAccountId")
    accounts = {account, recipient if isinstance(recipient, str) else account}
    if home_account is None or accounts == {home_account}:
        return None
    other = ", ".join(sorted(accounts - {home_account}))
    return (
        f"the event is about another account ({other}) than the one checking ({home_account}):"
        " its VPC is not visible with these credentials (cross-account checks are off)"
    )


def parse_request(
    params: Mapping[str, Any],
    *,
    account: str,
    region: str,
    event_id: str,
    job_arn: str | None = None,
    trigger: str = "event",
) -> JobRequest | Skipped:
    """Parse CreateInferenceRecommendationsJob parameters (or a Describe answer) of any casing."""
    job_name = _matching(member(params, "jobName"), JOB_NAME)
    input_config = member(params, "inputConfig")
    vpc_config = member(input_config, "vpcConfig")
    if vpc_config is None:
        return Skipped(
            "the job has no VPC config: it does not run in a VPC",
            event_id=event_id,
            account=account,
            region=region,
            job_name=job_name,
        )
    if isinstance(vpc_config, Mapping):
        raw_subnets = member(vpc_config, "subnets")
        raw_groups = member(vpc_config, "securityGroupIds")
        problems = vpc_config_problems(raw_subnets, raw_groups)
    else:
        raw_subnets = raw_groups = None
        problems = [f"vpcConfig must be an object, got {type(vpc_config).__name__}"]
    input_problems: list[str] = []
    if job_name is None:
        input_problems.append("jobName is missing or invalid")

    def checked(value: object, pattern: Any, label: str) -> str | None:
        if value is None:
            return None
        valid = _matching(value, pattern)
        if valid is None:
            input_problems.append(f"{label} is not valid")
        return valid

    role_arn = checked(member(params, "roleArn"), ROLE_ARN, "roleArn")
    package_arn = checked(
        member(input_config, "modelPackageVersionArn"), MODEL_PACKAGE_ARN, "modelPackageArn"
    )
    model_name = checked(member(input_config, "modelName"), MODEL_NAME, "modelName")
    payload_config = member(member(input_config, "containerConfig"), "payloadConfig")
    payload_url = checked(
        member(payload_config, "samplePayloadUrl"), S3_URL_PATTERN, "samplePayloadUrl"
    )
    return JobRequest(
        job_name=job_name or "unknown",
        account=account,
        region=region,
        event_id=event_id,
        subnets=_ids(raw_subnets) if not problems else (),
        security_groups=_ids(raw_groups) if not problems else (),
        job_arn=job_arn,
        role_arn=role_arn,
        model_package_arn=package_arn,
        model_name=model_name,
        job_type=member(params, "jobType")
        if member(params, "jobType") == "Advanced"
        else "Default",
        max_parallel_of_tests=_positive_int(
            member(member(input_config, "resourceLimit"), "maxParallelOfTests")
        ),
        endpoint_configurations=_endpoint_configurations(
            member(input_config, "endpointConfigurations")
        ),
        sample_payload_url=payload_url,
        trigger=trigger,
        vpc_config_problems=tuple(problems),
        input_problems=tuple(input_problems),
    )


def _ids(values: object) -> tuple[str, ...]:
    """Valid IDs in order, without duplicates (only called once all are known valid)."""
    if not isinstance(values, list | tuple):
        return ()
    return tuple(dict.fromkeys(v for v in values if valid_vpc_id(v)))


def _endpoint_configurations(value: object) -> tuple[EndpointConfiguration, ...]:
    if not isinstance(value, list):
        return ()
    configs = []
    for item in value[:MAX_ENDPOINT_CONFIGURATIONS]:
        if not isinstance(item, Mapping):
            continue
        instance_type = member(item, "instanceType")
        configs.append(
            EndpointConfiguration(
                instance_type=_text(instance_type),
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
            name = _text(member(item, "name")) or ""
            parsed.append((name, distinct[:MAX_CATEGORICAL_VALUES]))
    return tuple(parsed)


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def _text(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_TEXT:
        return value
    return None


def _region(value: object) -> str:
    """The event's region when botocore's partitions hold it, else "unknown"."""
    text = _text(value)
    return text if text is not None and is_region(text) else "unknown"


def _matching(value: object, pattern: Any) -> str | None:
    text = _text(value)
    return text if text is not None and pattern.fullmatch(text) else None


def _short(value: object) -> str:
    """An error code for a reason string: printable, bounded, never the whole input."""
    text = value if isinstance(value, str) else type(value).__name__
    return "".join(c for c in text[:64] if c.isalnum() or c in ".-_") or "unknown"
