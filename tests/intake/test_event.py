"""Intake: the EventBridge CloudTrail event becomes a JobRequest, or a reason to skip."""

import copy
from typing import Any

import pytest

from ir_vpc_guard.intake.event import Skipped, parse_event
from ir_vpc_guard.intake.request import JobRequest
from tests.conftest import load_event


def parsed(name: str) -> JobRequest:
    result = parse_event(load_event(name))
    assert isinstance(result, JobRequest), result
    return result


def test_good_event_in_camel_case() -> None:
    job = parsed("good_job")
    assert job.job_name == "demo-ir-job"
    assert (
        job.job_arn
        == "arn:aws:sagemaker:us-east-1:123456789012:inference-recommendations-job/demo-ir-job"
    )
    assert job.role_arn == "arn:aws:iam::123456789012:role/SageMakerIRRole"
    assert job.subnets == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert job.security_groups == ("sg-0123456789abcdef0",)
    assert (job.account, job.region, job.event_id) == (
        "123456789012",
        "us-east-1",
        "0d2a43d4-5c1e-4f0b-9a53-1e2f3a4b5c6d",
    )
    assert job.vpc_config_valid and job.input_problems == ()


def test_pascal_case_parses_to_the_same_request() -> None:
    camel, pascal = parsed("good_job"), parsed("good_job_pascal_case")
    assert (pascal.subnets, pascal.security_groups, pascal.role_arn, pascal.model_package_arn) == (
        camel.subnets,
        camel.security_groups,
        camel.role_arn,
        camel.model_package_arn,
    )


def test_advanced_job_keeps_limits_and_configurations() -> None:
    job = parsed("advanced_job")
    assert job.job_type == "Advanced" and job.max_parallel_of_tests == 2
    assert [c.instance_type for c in job.endpoint_configurations] == [
        "ml.c5.xlarge",
        "ml.m5.xlarge",
        "ml.g4dn.xlarge",
        None,
    ]
    assert [c.serverless for c in job.endpoint_configurations] == [False, False, False, True]
    assert job.sample_payload_url == "s3://demo-ir-payloads/payload.tar.gz"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("failed_call", "the API call failed (ValidationException)"),
        ("no_vpc_config", "no VPC config"),
        ("unrelated_event", "is not CreateInferenceRecommendationsJob"),
    ],
)
def test_skips_with_a_reason(name: str, reason: str) -> None:
    result = parse_event(load_event(name))
    assert isinstance(result, Skipped)
    assert reason in result.reason


def test_invalid_ids_are_collected_and_none_kept() -> None:
    job = parsed("invalid_ids")
    assert not job.vpc_config_valid
    assert job.subnets == () and job.security_groups == ()
    text = "; ".join(job.vpc_config_problems)
    assert "securityGroupIds must hold 1 to 5 IDs, got 6" in text
    assert "securityGroupIds[0] is not a valid ID" in text
    assert "subnets[0] is not a valid ID" in text
    assert "rm -rf" not in text  # the offending value is never echoed back


def _event_with(**params: Any) -> dict[str, Any]:
    event = load_event("good_job")
    event["detail"]["requestParameters"].update(params)
    return event


def test_mixed_casing_at_each_level_is_accepted() -> None:
    event = load_event("good_job")
    params = event["detail"]["requestParameters"]
    params["InputConfig"] = params.pop("inputConfig")
    params["InputConfig"]["VpcConfig"] = params["InputConfig"].pop("vpcConfig")
    assert isinstance(parse_event(event), JobRequest)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.update(detail=None),
        lambda e: e["detail"].update(requestParameters=None),
        lambda e: e.update(region="../../etc"),
        lambda e: e.update(source="aws.ec2"),
        lambda e: e["detail"].update(requestParameters={"omitted": True}),
    ],
)
def test_malformed_envelopes_are_skipped_never_raised(mutate: Any) -> None:
    event = copy.deepcopy(load_event("good_job"))
    mutate(event)
    assert isinstance(parse_event(event), Skipped)


def test_non_object_event_is_skipped() -> None:
    assert isinstance(parse_event(["not", "an", "event"]), Skipped)


def test_wrong_types_in_vpc_config_are_invalid_not_crashes() -> None:
    event = load_event("good_job")
    event["detail"]["requestParameters"]["inputConfig"]["vpcConfig"] = {
        "subnets": "subnet-1",
        "securityGroupIds": [1],
    }
    job = parse_event(event)
    assert isinstance(job, JobRequest) and not job.vpc_config_valid


def test_invalid_role_arn_is_an_input_problem_not_sent() -> None:
    job = parse_event(_event_with(roleArn="arn:aws:iam::1:role/x y"))
    assert isinstance(job, JobRequest)
    assert job.role_arn is None and "roleArn is not valid" in job.input_problems


def test_duplicate_ids_are_checked_once() -> None:
    event = load_event("good_job")
    vpc = event["detail"]["requestParameters"]["inputConfig"]["vpcConfig"]
    vpc["subnets"] = ["subnet-1", "subnet-1"]
    job = parse_event(event)
    assert isinstance(job, JobRequest) and job.subnets == ("subnet-1",)


def test_event_for_another_account_is_skipped_when_a_home_account_is_set() -> None:
    event = load_event("good_job")
    assert isinstance(parse_event(event, home_account="123456789012"), JobRequest)
    other = parse_event(event, home_account="210987654321")
    assert isinstance(other, Skipped) and "another account" in other.reason
    event["detail"]["recipientAccountId"] = "210987654321"
    assert isinstance(parse_event(event, home_account="123456789012"), Skipped)


def test_environment_parameter_ranges_are_read_in_either_casing() -> None:
    event = load_event("advanced_job")
    configs = event["detail"]["requestParameters"]["inputConfig"]["endpointConfigurations"]
    configs[0]["environmentParameterRanges"] = {
        "categoricalParameterRanges": [
            {"name": "OMP_NUM_THREADS", "value": ["1", "2", "4"]},
            {"name": "BATCH", "value": ["8", "16", "8"]},  # a repeated value is one test
        ]
    }
    configs[1]["EnvironmentParameterRanges"] = {
        "CategoricalParameterRanges": [{"Name": "WORKERS", "Value": ["1", "2"]}]
    }
    result = parse_event(event)
    assert isinstance(result, JobRequest)
    first, second, third, _serverless = result.endpoint_configurations
    assert first.parameter_ranges == (
        ("OMP_NUM_THREADS", ("1", "2", "4")),
        ("BATCH", ("8", "16")),
    )
    assert (first.tests, second.tests, third.tests) == (6, 2, 1)


@pytest.mark.parametrize(
    "ranges",
    [
        None,
        "x",
        {"categoricalParameterRanges": "x"},
        {"categoricalParameterRanges": [{"value": 3}]},
    ],
)
def test_malformed_parameter_ranges_count_as_one_test(ranges: Any) -> None:
    event = load_event("advanced_job")
    config = event["detail"]["requestParameters"]["inputConfig"]["endpointConfigurations"][0]
    config["environmentParameterRanges"] = ranges
    result = parse_event(event)
    assert isinstance(result, JobRequest)
    assert result.endpoint_configurations[0].tests == 1
