"""The hosting workloads' intake (model, endpoint, batch transform): their events, paths and
limits as botocore's SageMaker model states them, and what each declares about its needs."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.event import Intake, Skipped, parse_event, read_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workloads import WORKLOADS, endpoint, model, transform
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS
from tests.conftest import load_event


@pytest.fixture(scope="module")
def api() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def _shape(api: Any, operation: str, member: str, output: bool = False) -> Any:
    op = api.operation_model(operation)
    return (op.output_shape if output else op.input_shape).members[member]


def test_names_arns_and_limits_are_botocores(api: Any) -> None:
    for limit, operation, member in (
        (endpoint.ENDPOINT_NAME, "CreateEndpoint", "EndpointName"),
        (endpoint.CONFIG_NAME, "CreateEndpoint", "EndpointConfigName"),
        (transform.JOB_NAME, "CreateTransformJob", "TransformJobName"),
    ):
        shape = _shape(api, operation, member)
        assert (limit.shape, limit.pattern.pattern) == (shape.name, shape.metadata["pattern"])
        assert (limit.min_length, limit.max_length) == (
            shape.metadata["min"],
            shape.metadata["max"],
        )
    for pattern, operation, member in (
        (model.MODEL_ARN, "CreateModel", "ModelArn"),
        (endpoint.ENDPOINT_ARN, "CreateEndpoint", "EndpointArn"),
        (transform.JOB_ARN, "CreateTransformJob", "TransformJobArn"),
    ):
        assert pattern.pattern == _shape(api, operation, member, output=True).metadata["pattern"]
    variants = _shape(api, "CreateEndpointConfig", "ProductionVariants")
    assert variants.metadata["max"] == endpoint.MAX_VARIANTS
    resources = _shape(api, "CreateTransformJob", "TransformResources")
    assert resources.members["InstanceCount"].metadata["min"] == 1
    assert _shape(api, "CreateModel", "Containers").metadata["max"] == model.MAX_CONTAINERS
    container = api.shape_for("ContainerDefinition").members
    assert "ModelDataUrl" in container
    assert "S3Uri" in container["ModelDataSource"].members["S3DataSource"].members


def test_what_each_hosting_workload_needs() -> None:
    for name in ("model", "endpoint", "transform"):
        unit = WORKLOADS[name]
        assert unit.role_actions == JOB_ROLE_ACTIONS and unit.ips_per_instance == 2
    assert WORKLOADS["endpoint"].role_unproven_actions == ("ec2:DescribeVpcEndpoints",)
    assert WORKLOADS["endpoint"].stop_api is None  # never stopped or deleted
    assert WORKLOADS["endpoint"].one_az_severity is Severity.HIGH
    assert WORKLOADS["model"].one_az_severity is Severity.MEDIUM
    assert WORKLOADS["transform"].one_az_severity is None
    assert "SUBNET_IP_CAPACITY" in WORKLOADS["model"].not_evaluated
    for name in ("inference-recommender", "training"):  # no change to theirs
        assert WORKLOADS[name].one_az_severity is None
        assert WORKLOADS[name].role_unproven_actions == ()


def test_a_model_event_is_its_own_job_in_either_casing() -> None:
    job = parse_event(load_event("model"))
    assert isinstance(job, JobRequest)
    assert (job.workload, job.job_name, job.instance_count) == ("model", "demo-model", 0)
    assert job.role_arn == "arn:aws:iam::123456789012:role/SageMakerIRRole"
    assert job.job_arn == "arn:aws:sagemaker:us-east-1:123456789012:model/demo-model"
    assert job.subnets == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")


def test_endpoint_and_transform_events_read_their_jobs_with_aws() -> None:
    for sample in ("endpoint", "update_endpoint", "transform_job"):
        intake = read_event(load_event(sample))
        assert isinstance(intake, Intake) and intake.workload.expand is not None
        with pytest.raises(TypeError, match="read with AWS"):
            parse_event(load_event(sample))


def test_transform_instances_are_transform_resources() -> None:
    params = load_event("transform_job_broken")["detail"]["requestParameters"]
    problems: list[str] = []
    assert transform.read(params, problems)["instance_count"] == 100
    assert problems == []
    assert (
        transform.read({"transformResources": {"instanceCount": 101}}, problems)["instance_count"]
        == 1
    )
    assert problems == ["transformResources.instanceCount is missing or invalid"]


def test_a_transform_event_without_a_model_is_skipped_without_a_read() -> None:
    event = load_event("transform_job")
    del event["detail"]["requestParameters"]["modelName"]
    intake = read_event(event)
    assert isinstance(intake, Intake)
    [job] = intake.jobs(lambda: pytest.fail("no read without a model name"))
    assert isinstance(job, Skipped) and "no VPC config" in job.reason


def test_a_transform_view_lists_its_input_output_and_its_models_data() -> None:
    """The view `expand` makes: the request with DescribeModel's containers (PascalCase)."""
    params = load_event("transform_job")["detail"]["requestParameters"]
    view = {
        **params,
        "primaryContainer": {"ModelDataUrl": "s3://models/a/model.tar.gz"},
        "containers": [
            {"ModelDataSource": {"S3DataSource": {"S3Uri": "s3://models/b/"}}},
            {"ModelDataUrl": "https://pipe.s3.us-east-1.amazonaws.com/c.tar.gz"},
            {"ModelPackageName": "demo-models/1"},  # a package's container names none
            *[{"ModelDataUrl": f"s3://extra/{i}"} for i in range(13)],
        ],
    }
    problems: list[str] = []
    read = transform.read(view, problems)
    assert read["s3_reads"][:4] == (
        "s3://demo-ir-payloads/batch/",
        "s3://models/a/model.tar.gz",
        "s3://models/b/",
        "s3://pipe/c.tar.gz",
    )
    # Containers beyond the API's 15 are not read.
    assert len(read["s3_reads"]) == 4 + 12 and "s3://extra/12" not in read["s3_reads"]
    assert read["s3_writes"] == ("s3://demo-ir-payloads/batch-out/",)
    assert problems == []


def test_an_endpoint_view_lists_the_data_of_the_models_it_hosts_once_each() -> None:
    """The view `expand` makes holds each hosted model's containers (DescribeModel's)."""
    view = {
        endpoint.VIEW: {
            "instances": 2,
            "models": [
                {"primaryContainer": {"ModelDataUrl": "s3://models/a/model.tar.gz"}},
                {
                    "primaryContainer": {},
                    "containers": [
                        {"ModelDataUrl": "s3://models/a/model.tar.gz"},
                        {"ModelDataUrl": "s3://other/b.tar.gz"},
                    ],
                },
            ],
        }
    }
    problems: list[str] = []
    assert endpoint.read(view, problems)["s3_reads"] == (
        "s3://models/a/model.tar.gz",
        "s3://other/b.tar.gz",
    )
    assert problems == []
    assert endpoint.read({endpoint.VIEW: {"models": "bad"}}, problems)["s3_reads"] == ()
