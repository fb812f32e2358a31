"""Our copies of the API's limits are botocore's, so a name AWS accepts is never refused
(and one it refuses is never sent), in intake, the CLI, the sweep and the handler's logs."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from ir_vpc_guard.intake import request as job
from ir_vpc_guard.intake.event import parse_event, parse_request
from ir_vpc_guard.intake.request import (
    JOB_NAME,
    MODEL_NAME,
    MODEL_PACKAGE_ARN,
    ROLE_ARN,
    JobRequest,
    TextLimit,
)
from tests.conftest import load_event


@pytest.fixture(scope="module")
def model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def _input(model: Any) -> Any:
    return model.operation_model("CreateInferenceRecommendationsJob").input_shape


@pytest.mark.parametrize("limit", [JOB_NAME, MODEL_NAME, ROLE_ARN, MODEL_PACKAGE_ARN])
def test_text_limits_equal_botocores_model(model: Any, limit: TextLimit) -> None:
    shape = model.shape_for(limit.shape)
    assert limit.pattern.pattern == shape.metadata["pattern"]
    assert (limit.min_length, limit.max_length) == (shape.metadata["min"], shape.metadata["max"])


def test_the_request_members_use_those_shapes(model: Any) -> None:
    request = _input(model).members
    inputs = request["InputConfig"].members
    assert request["JobName"].name == JOB_NAME.shape
    assert request["RoleArn"].name == ROLE_ARN.shape
    assert inputs["ModelName"].name == MODEL_NAME.shape
    assert inputs["ModelPackageVersionArn"].name == MODEL_PACKAGE_ARN.shape
    describe = model.operation_model("DescribeInferenceRecommendationsJob").input_shape
    assert describe.members["JobName"].name == JOB_NAME.shape


def test_counts_and_ids_equal_botocores_model(model: Any) -> None:
    inputs = _input(model).members["InputConfig"].members
    vpc = inputs["VpcConfig"].members
    subnets, groups = vpc["Subnets"], vpc["SecurityGroupIds"]
    assert (subnets.metadata["min"], subnets.metadata["max"]) == (1, job.MAX_SUBNETS)
    assert (groups.metadata["min"], groups.metadata["max"]) == (1, job.MAX_SECURITY_GROUPS)
    for member in (subnets.member, groups.member):
        assert member.metadata["pattern"] == job.VPC_ID_PATTERN.pattern
        assert member.metadata["max"] == job.MAX_ID_LENGTH
    parallel = inputs["ResourceLimit"].members["MaxParallelOfTests"]
    assert parallel.metadata == {"min": job.MIN_PARALLEL_OF_TESTS}  # no maximum
    configurations = inputs["EndpointConfigurations"]
    assert configurations.metadata["max"] == job.MAX_ENDPOINT_CONFIGURATIONS


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a" * 64, True),  # the API's longest name (63 before this fix)
        ("a" * 65, False),
        ("a-" * 31 + "bb", True),  # 64 characters with dashes
        ("a" + "-" * 62 + "b", True),  # dashes are not counted by the pattern: length is
        ("a" + "-" * 63 + "b", False),  # 65 characters
        ("-a", False),
        ("a-", False),
        ("a_b", False),
        ("a\u0661", False),  # an Arabic-Indic digit: the model means ASCII
    ],
)
def test_job_names_as_aws_judges_them(name: str, valid: bool) -> None:
    assert JOB_NAME.fullmatch(name) is valid


def test_a_64_character_job_name_is_checked_not_skipped() -> None:
    event = load_event("good_job")
    name = "n" * 64
    event["detail"]["requestParameters"]["jobName"] = name
    request = parse_event(event)
    assert isinstance(request, JobRequest), request
    assert request.job_name == name and not request.input_problems


def test_a_64_character_model_name_is_a_problem_but_63_is_not() -> None:
    def problems(model_name: str) -> tuple[str, ...]:
        params = {
            "JobName": "j",
            "InputConfig": {
                "ModelName": model_name,
                "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
            },
        }
        request = parse_request(params, account="111122223333", region="us-east-1", event_id="e")
        assert isinstance(request, JobRequest)
        return request.input_problems

    assert problems("m" * 63) == ()
    assert problems("m" * 64) == ("modelName is not valid",)
