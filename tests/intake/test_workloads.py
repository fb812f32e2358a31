"""The workload registry and the training workload's intake: its events, where its request
keeps the VPC config, the role and the instances, in either casing, within the API's limits."""

from __future__ import annotations

import copy
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters
from moto.ec2.models.instance_types import INSTANCE_TYPES

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.intake import fields
from ir_vpc_guard.intake.children import is_child
from ir_vpc_guard.intake.event import Skipped, parse_event, parse_request, read_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workloads import (
    BY_EVENT_NAME,
    WORKLOADS,
    enabled,
    processing,
    training,
    tuning,
)
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS
from ir_vpc_guard.settings import Settings, SettingsError
from tests.conftest import load_event

TRAINING = WORKLOADS["training"]
PROCESSING = WORKLOADS["processing"]


@pytest.fixture(scope="module")
def model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def parsed(event: dict[str, Any]) -> JobRequest:
    job = parse_event(event)
    assert isinstance(job, JobRequest), job
    return job


def test_each_module_is_one_workload_answering_its_own_events() -> None:
    assert list(WORKLOADS) == [
        "inference-recommender",
        "endpoint",
        "model",
        "processing",
        "training",
        "transform",
        "tuning",
    ]
    assert {
        "CreateInferenceRecommendationsJob": WORKLOADS["inference-recommender"],
        "CreateEndpoint": WORKLOADS["endpoint"],
        "UpdateEndpoint": WORKLOADS["endpoint"],
        "CreateModel": WORKLOADS["model"],
        "CreateProcessingJob": PROCESSING,
        "CreateTrainingJob": TRAINING,
        "CreateTransformJob": WORKLOADS["transform"],
        "CreateHyperParameterTuningJob": WORKLOADS["tuning"],
    } == BY_EVENT_NAME
    assert (TRAINING.describe_api, TRAINING.list_api, TRAINING.stop_api) == (
        "DescribeTrainingJob",
        "ListTrainingJobs",
        "StopTrainingJob",
    )


def test_the_declared_apis_exist_in_the_sagemaker_model(model: Any) -> None:
    for workload in WORKLOADS.values():
        apis = [workload.describe_api, workload.list_api, *workload.event_names]
        apis += [workload.stop_api] if workload.stop_api else []  # endpoints: never stopped
        assert set(apis) <= set(model.operation_names), workload.name


def test_checks_a_workload_skips_are_in_the_catalogue_and_give_a_reason() -> None:
    for workload in WORKLOADS.values():
        assert set(workload.not_evaluated) <= set(CATALOGUE)
        assert all(workload.not_evaluated.values())
    assert WORKLOADS["inference-recommender"].not_evaluated == {}


def test_the_role_actions_are_the_eleven_less_the_advisory_for_ir_and_the_nine_for_training() -> (
    None
):
    ir = WORKLOADS["inference-recommender"].role_actions
    assert set(ir) == set(ROLE_REQUIRED_ACTIONS) - {"ec2:ModifyNetworkInterfaceAttribute"}
    assert set(TRAINING.role_actions) == set(ir) - {"ec2:DescribeVpcEndpoints"}
    assert len(TRAINING.role_actions) == 9


def test_training_limits_are_botocores(model: Any) -> None:
    request = model.operation_model("CreateTrainingJob").input_shape.members
    name = request["TrainingJobName"]
    assert training.JOB_NAME.shape == name.name
    assert training.JOB_NAME.pattern.pattern == name.metadata["pattern"]
    assert (training.JOB_NAME.min_length, training.JOB_NAME.max_length) == (
        name.metadata["min"],
        name.metadata["max"],
    )
    arn = model.operation_model("CreateTrainingJob").output_shape.members["TrainingJobArn"]
    assert training.JOB_ARN.pattern == arn.metadata["pattern"]
    groups = request["ResourceConfig"].members["InstanceGroups"]
    assert groups.metadata["max"] == training.MAX_INSTANCE_GROUPS
    assert set(request["VpcConfig"].members) == {"Subnets", "SecurityGroupIds"}
    assert request["RoleArn"].name == "RoleArn"


def test_efa_types_are_the_training_types_whose_ec2_type_supports_efa(model: Any) -> None:
    types = model.shape_for("TrainingInstanceType").enum
    efa = {
        t
        for t in types
        if INSTANCE_TYPES.get(t.removeprefix("ml."), {}).get("NetworkInfo", {}).get("EfaSupported")
    }
    assert efa == training.EFA_INSTANCE_TYPES
    assert TRAINING.ips_for(1, (("ml.p4d.24xlarge", 1),)) == (2, 5)
    assert TRAINING.ips_for(1, (("ml.m5.xlarge", 1),)) == (2, 2)
    # A heterogeneous cluster: only its EFA-capable instances may take 5 IPs each.
    assert TRAINING.ips_for(4, (("ml.m5.xlarge", 3), ("ml.p4d.24xlarge", 1))) == (8, 11)


def test_a_training_event_is_read_where_cloudtrail_writes_it() -> None:
    job = parsed(load_event("training_job"))
    assert job.workload == "training"
    assert job.job_name == "demo-training-job"
    assert job.job_arn == "arn:aws:sagemaker:us-east-1:123456789012:training-job/demo-training-job"
    assert job.role_arn == "arn:aws:iam::123456789012:role/SageMakerIRRole"
    assert job.subnets == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert job.security_groups == ("sg-0123456789abcdef0",)
    assert (job.instance_count, job.instance_groups) == (2, (("ml.m5.xlarge", 2),))
    assert job.instance_basis == "ResourceConfig.InstanceCount"
    # Nothing of Inference Recommender's is read into a training job.
    assert (job.model_package_arn, job.model_name, job.sample_payload_url) == (None, None, None)
    assert job.vpc_config_valid and job.input_problems == ()


def test_the_describe_answers_pascal_case_reads_the_same_and_instance_groups_add_up() -> None:
    answer = {
        "TrainingJobName": "hetero",
        "RoleArn": "arn:aws:iam::123456789012:role/Trainer",
        "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
        "ResourceConfig": {
            "InstanceGroups": [
                {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 2, "InstanceGroupName": "a"},
                {"InstanceType": "ml.m5.xlarge", "InstanceCount": 3, "InstanceGroupName": "b"},
            ]
        },
    }
    job = parse_request(
        answer, account="123456789012", region="us-east-1", event_id="e", workload=TRAINING
    )
    assert isinstance(job, JobRequest)
    assert (job.job_name, job.role_arn) == ("hetero", "arn:aws:iam::123456789012:role/Trainer")
    assert (job.subnets, job.security_groups) == (("subnet-1",), ("sg-1",))
    assert job.instance_count == 5
    assert job.instance_groups == (("ml.p4d.24xlarge", 2), ("ml.m5.xlarge", 3))


def test_inter_container_traffic_encryption_is_read_in_either_casing() -> None:
    event = load_event("training_job")
    assert parsed(event).inter_container_encryption is False  # the sample says false
    params = event["detail"]["requestParameters"]
    params["enableInterContainerTrafficEncryption"] = True
    assert parsed(event).inter_container_encryption is True
    del params["enableInterContainerTrafficEncryption"]
    params["EnableInterContainerTrafficEncryption"] = True  # the Describe answer's casing
    assert parsed(event).inter_container_encryption is True
    params["EnableInterContainerTrafficEncryption"] = "yes"
    job = parsed(event)
    assert job.inter_container_encryption is False
    assert job.input_problems == ("enableInterContainerTrafficEncryption is not a boolean",)


def test_an_unreadable_instance_count_is_one_and_said() -> None:
    event = load_event("training_job")
    event["detail"]["requestParameters"]["resourceConfig"] = {"instanceCount": "two"}
    job = parsed(event)
    assert job.instance_count == 1
    assert "could not be read" in job.instance_basis
    assert job.input_problems == ("resourceConfig.instanceCount is missing or invalid",)


def test_a_training_job_without_a_vpc_config_is_skipped() -> None:
    event = load_event("training_job")
    del event["detail"]["requestParameters"]["vpcConfig"]
    result = parse_event(event)
    assert isinstance(result, Skipped)
    assert "no VPC config" in result.reason
    assert result.job_name == "demo-training-job"


def test_a_failed_training_call_is_skipped() -> None:
    event = load_event("training_job")
    event["detail"]["errorCode"] = "ValidationException"
    result = parse_event(event)
    assert isinstance(result, Skipped) and "ValidationException" in result.reason


def test_training_ids_are_held_to_the_apis_limits() -> None:
    event = copy.deepcopy(load_event("training_job"))
    event["detail"]["requestParameters"]["vpcConfig"]["subnets"] = ["subnet-1;rm -rf /"]
    job = parsed(event)
    assert not job.vpc_config_valid and job.subnets == ()
    assert job.vpc_config_problems == (
        "subnets[0] is not a valid ID (pattern [-0-9a-zA-Z]+, at most 32 characters)",
    )


def test_an_event_no_workload_answers_names_the_covered_ones() -> None:
    result = parse_event(load_event("unrelated_event"))
    assert isinstance(result, Skipped)
    assert result.reason == (
        "event is not CreateInferenceRecommendationsJob or CreateEndpoint or UpdateEndpoint or "
        "CreateModel or CreateProcessingJob or CreateTrainingJob or CreateTransformJob or "
        "CreateHyperParameterTuningJob"
    )


def test_workloads_names_a_subset_and_empty_means_every_registered_one() -> None:
    assert enabled(Settings.from_env({"WORKLOADS": " , "})) == frozenset(WORKLOADS)
    assert enabled(Settings.from_env({"WORKLOADS": "training"})) == {"training"}
    with pytest.raises(SettingsError, match="unknown workloads labeling; known: inference-rec"):
        enabled(Settings.from_env({"WORKLOADS": "training,labeling"}))


def test_a_training_event_is_skipped_when_workloads_leaves_training_out() -> None:
    skipped = parse_event(load_event("training_job"), workloads={"inference-recommender"})
    assert isinstance(skipped, Skipped)
    assert skipped.job_name == "demo-training-job"
    assert "training workload is not checked" in skipped.reason
    assert isinstance(
        parse_event(load_event("good_job"), workloads={"inference-recommender"}), JobRequest
    )


def test_processing_limits_are_botocores(model: Any) -> None:
    operation = model.operation_model("CreateProcessingJob")
    request = operation.input_shape.members
    name = request["ProcessingJobName"]
    assert processing.JOB_NAME.shape == name.name
    assert processing.JOB_NAME.pattern.pattern == name.metadata["pattern"]
    assert (processing.JOB_NAME.min_length, processing.JOB_NAME.max_length) == (
        name.metadata["min"],
        name.metadata["max"],
    )
    assert (
        processing.JOB_ARN.pattern
        == operation.output_shape.members["ProcessingJobArn"].metadata["pattern"]
    )
    cluster = request["ProcessingResources"].members["ClusterConfig"].members
    count = cluster["InstanceCount"].metadata
    assert (count["min"], count["max"]) == (processing.MIN_INSTANCES, processing.MAX_INSTANCES)
    preferences = cluster["InstancePreferences"]
    assert preferences.metadata["max"] == processing.MAX_INSTANCE_PREFERENCES
    assert preferences.member.members["InstanceCount"].metadata == count
    network = request["NetworkConfig"].members
    assert set(network["VpcConfig"].members) == {"Subnets", "SecurityGroupIds"}
    assert {"EnableInterContainerTrafficEncryption", "EnableNetworkIsolation"} <= set(network)
    assert request["RoleArn"].name == "RoleArn"
    assert request["ProcessingInputs"].metadata["max"] == processing.MAX_INPUTS
    outputs = request["ProcessingOutputConfig"].members["Outputs"]
    assert outputs.metadata["max"] == processing.MAX_OUTPUTS


def test_a_processing_request_lists_its_s3_locations_within_the_apis_limits() -> None:
    event = load_event("processing_job")
    params = event["detail"]["requestParameters"]
    assert (parsed(event).s3_reads, parsed(event).s3_writes) == (
        ("s3://demo-processing-data/input/",),
        ("s3://demo-processing-data/output/",),
    )
    params["processingInputs"] = [
        {"S3Input": {"S3Uri": f"https://in-{i:02}.s3.us-east-1.amazonaws.com/x"}} for i in range(11)
    ]
    params["processingInputs"][1] = {"datasetDefinition": {"localPath": "/opt/ml/athena"}}
    params["processingOutputConfig"]["outputs"].append({"s3Output": {"s3Uri": "ftp://out/x"}})
    job = parsed(event)
    assert len(job.s3_reads) == 9 and "s3://in-10/x" not in job.s3_reads
    assert job.s3_reads[:2] == ("s3://in-00/x", "s3://in-02/x")
    assert job.s3_writes == ("s3://demo-processing-data/output/",)
    assert job.input_problems == (
        "processingOutputConfig.outputs[1] is not an S3 URI the guardrail can read "
        "(s3://bucket/key)",
    )


def test_a_processing_event_is_read_where_cloudtrail_writes_it() -> None:
    job = parsed(load_event("processing_job"))
    assert job.workload == "processing"
    assert job.job_name == "demo-processing-job"
    assert job.job_arn == (
        "arn:aws:sagemaker:us-east-1:123456789012:processing-job/demo-processing-job"
    )
    assert job.role_arn == "arn:aws:iam::123456789012:role/SageMakerIRRole"
    assert job.subnets == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
    assert job.security_groups == ("sg-0123456789abcdef0",)
    assert (job.instance_count, job.instance_basis) == (
        2,
        "ProcessingResources.ClusterConfig.InstanceCount",
    )
    assert (job.model_package_arn, job.model_name, job.sample_payload_url) == (None, None, None)
    assert job.vpc_config_valid and job.input_problems == ()
    assert PROCESSING.ips_for(2, job.instance_groups) == (4, 4)  # 2 each, no EFA


def test_the_processing_describe_answers_pascal_case_reads_the_same() -> None:
    answer = {
        "ProcessingJobName": "nightly",
        "ProcessingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/nightly",
        "RoleArn": "arn:aws:iam::123456789012:role/Processor",
        "NetworkConfig": {"VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}},
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 7, "InstanceType": "ml.m5.xlarge"}
        },
    }
    job = parse_request(
        answer, account="123456789012", region="us-east-1", event_id="e", workload=PROCESSING
    )
    assert isinstance(job, JobRequest)
    assert (job.job_name, job.role_arn) == ("nightly", "arn:aws:iam::123456789012:role/Processor")
    assert (job.subnets, job.security_groups, job.instance_count) == (("subnet-1",), ("sg-1",), 7)


def _cluster(event: dict[str, Any], cluster: dict[str, Any]) -> JobRequest:
    event["detail"]["requestParameters"]["processingResources"] = {"clusterConfig": cluster}
    return parsed(event)


@pytest.mark.parametrize("count", [0, 101, "two", True])
def test_a_processing_instance_count_outside_1_to_100_is_a_problem_and_1(count: object) -> None:
    job = _cluster(load_event("processing_job"), {"instanceCount": count})
    assert job.instance_count == 1
    assert "default" in job.instance_basis
    assert job.input_problems == (
        "processingResources.clusterConfig.instanceCount must be 1 to 100",
    )


def test_100_processing_instances_are_read_and_none_stated_is_the_apis_default_of_1() -> None:
    assert _cluster(load_event("processing_job"), {"instanceCount": 100}).instance_count == 100
    job = _cluster(load_event("processing_job"), {"volumeSizeInGB": 30})
    assert (job.instance_count, job.input_problems) == (1, ())


def test_instance_preferences_count_the_fewest_instances_a_preference_runs() -> None:
    job = _cluster(
        load_event("processing_job"),
        {
            "instancePreferences": [
                {"instanceType": "ml.m5.xlarge", "instanceCount": 8},
                {"instanceType": "ml.c5.xlarge", "instanceCount": 3},
            ]
        },
    )
    assert job.instance_count == 3
    assert "fewest of ProcessingResources.ClusterConfig.InstancePreferences" in job.instance_basis


def test_a_processing_job_without_a_network_vpc_config_is_skipped() -> None:
    event = load_event("processing_job")
    del event["detail"]["requestParameters"]["networkConfig"]["vpcConfig"]
    result = parse_event(event)
    assert isinstance(result, Skipped) and "no VPC config" in result.reason
    assert result.job_name == "demo-processing-job"
    # A top-level vpcConfig (training's place) is not processing's: still no VPC.
    event["detail"]["requestParameters"]["vpcConfig"] = {
        "subnets": ["subnet-1"],
        "securityGroupIds": ["sg-1"],
    }
    assert isinstance(parse_event(event), Skipped)


def test_processing_ids_and_names_are_held_to_the_apis_limits() -> None:
    event = load_event("processing_job")
    params = event["detail"]["requestParameters"]
    params["networkConfig"]["vpcConfig"]["securityGroupIds"] = ["sg-" + "a" * 40]
    params["processingJobName"] = "x" * 64
    job = parsed(event)
    assert not job.vpc_config_valid and job.security_groups == ()
    assert job.job_name == "unknown"
    assert "processingJobName is missing or invalid" in job.input_problems
    foreign = load_event("processing_job")
    foreign["detail"]["responseElements"]["processingJobArn"] = (
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/demo-processing-job"
    )
    assert parsed(foreign).job_arn is None  # another resource type is not this job's ARN


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def test_what_the_sweep_and_the_stop_read_is_in_each_apis_model(model: Any) -> None:
    for workload in WORKLOADS.values():
        if not workload.list_summaries:  # not swept (a model, an endpoint)
            continue
        listing = model.operation_model(workload.list_api)
        assert {"StatusEquals", "CreationTimeAfter", "SortBy", "SortOrder"} <= set(
            listing.input_shape.members
        ), workload.name
        summary = listing.output_shape.members[workload.list_summaries].member
        name, arn = _pascal(workload.job_name_path[-1]), _pascal(workload.job_arn_path[-1])
        assert {name, arn} <= set(summary.members), workload.name
        statuses = listing.input_shape.members["StatusEquals"].enum
        assert set(workload.active_statuses) <= set(statuses), workload.name
        describe = model.operation_model(workload.describe_api)
        assert list(describe.input_shape.members) == [workload.name_member]
        assert {workload.status_member, arn} <= set(describe.output_shape.members)
        assert describe.output_shape.members[workload.status_member].enum == statuses
        if workload.stop_api:
            stop = model.operation_model(workload.stop_api)
            assert list(stop.input_shape.members) == [workload.name_member]
        assert f":{workload.arn_resource}/" in workload.job_arn.pattern


def test_the_restart_command_copies_what_the_create_call_takes_back(model: Any) -> None:
    for workload in WORKLOADS.values():
        create = model.operation_model(workload.event_names[0]).input_shape.members
        described = model.operation_model(workload.describe_api).output_shape.members
        both = [m for m in create if m in described]
        if workload.restart_drops_nulls:
            assert list(workload.restart_members) == both, workload.name
        else:  # Inference Recommender's hand-picked members, unchanged
            assert set(workload.restart_members) <= set(both)


def test_the_preflights_instance_paths_are_members_of_the_create_call(model: Any) -> None:
    for workload in WORKLOADS.values():
        for path in (workload.instance_count_path, workload.instance_type_path):
            shape = model.operation_model(workload.event_names[0]).input_shape
            for name in path:
                shape = shape.members[_pascal(name)]
            assert not path or shape.type_name in ("integer", "string"), workload.name


def test_training_s3_and_registry_limits_are_botocores(model: Any) -> None:
    request = model.operation_model("CreateTrainingJob").input_shape.members
    assert request["InputDataConfig"].metadata["max"] == training.MAX_CHANNELS
    uri = model.shape_for("S3Uri").metadata
    assert (uri["max"], uri["pattern"]) == (fields.MAX_S3_URI, "(https|s3)://([^/]+)/?(.*)")
    provider = model.shape_for("TrainingRepositoryCredentialsProviderArn").metadata["pattern"]
    assert training.CREDENTIALS_PROVIDER.pattern == provider.replace(r"\p{Alnum}", "a-zA-Z0-9")
    assert model.shape_for("TrainingRepositoryAccessMode").enum == ["Platform", "Vpc"]


def test_a_training_request_lists_its_s3_locations_in_either_casing() -> None:
    event = load_event("training_job")
    params = event["detail"]["requestParameters"]
    params["inputDataConfig"].append(
        {"ChannelName": "test", "DataSource": {"S3DataSource": {"S3Uri": "s3://data-b/test/"}}}
    )
    params["CheckpointConfig"] = {"S3Uri": "s3://ckpt/run-1/"}
    params["debugHookConfig"] = {"s3OutputPath": "https://dbg.s3.us-east-1.amazonaws.com/hooks/"}
    params["profilerConfig"] = {"S3OutputPath": "https://s3.us-east-1.amazonaws.com/prof/p/"}
    params["tensorBoardOutputConfig"] = {"s3OutputPath": "s3://tboard/logs/"}
    job = parsed(event)
    assert job.s3_reads == (
        "s3://demo-training-data/train/",
        "s3://data-b/test/",
        "s3://ckpt/run-1/",
    )
    assert job.s3_writes == (
        "s3://demo-training-data/output/",
        "s3://ckpt/run-1/",
        "s3://dbg/hooks/",
        "s3://prof/p/",
        "s3://tboard/logs/",
    )
    assert job.input_problems == ()
    # Inference Recommender's requests list none: its reads are the model's, service side.
    assert parsed(load_event("good_job")).s3_reads == ()


def test_s3_locations_beyond_the_apis_limits_are_not_read() -> None:
    event = load_event("training_job")
    params = event["detail"]["requestParameters"]
    params["inputDataConfig"] = [
        {"dataSource": {"s3DataSource": {"s3Uri": f"s3://bucket-{i:02}/x"}}} for i in range(21)
    ]
    params["outputDataConfig"] = {"s3OutputPath": "ftp://elsewhere/out"}
    params["checkpointConfig"] = {"s3Uri": 7}
    job = parsed(event)
    assert len(job.s3_reads) == 20 and "s3://bucket-20/x" not in job.s3_reads
    assert job.s3_writes == ()
    assert job.input_problems == (
        "checkpointConfig is not a valid S3 URI",
        "outputDataConfig is not an S3 URI the guardrail can read (s3://bucket/key)",
    )


def test_a_private_registry_and_its_credentials_lambda_are_read() -> None:
    event = load_event("training_job")
    spec = event["detail"]["requestParameters"]["algorithmSpecification"]
    lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:registry-creds"
    spec["trainingImageConfig"] = {
        "trainingRepositoryAccessMode": "Vpc",
        "TrainingRepositoryAuthConfig": {"TrainingRepositoryCredentialsProviderArn": lambda_arn},
    }
    job = parsed(event)
    assert (job.repository_access_mode, job.repository_credentials_provider) == ("Vpc", lambda_arn)
    spec["trainingImageConfig"] = {
        "trainingRepositoryAccessMode": "Elsewhere",
        "trainingRepositoryAuthConfig": {"trainingRepositoryCredentialsProviderArn": "not-an-arn"},
    }
    job = parsed(event)
    assert (job.repository_access_mode, job.repository_credentials_provider) == (None, None)
    assert parsed(load_event("training_job")).repository_access_mode is None


TUNING = WORKLOADS["tuning"]


def test_tuning_limits_are_botocores(model: Any) -> None:
    operation = model.operation_model("CreateHyperParameterTuningJob")
    request = operation.input_shape.members
    for limit, shape in (
        (tuning.JOB_NAME, request["HyperParameterTuningJobName"]),
        (tuning.DEFINITION_NAME, request["TrainingJobDefinition"].members["DefinitionName"]),
    ):
        assert limit.shape == shape.name
        assert limit.pattern.pattern == shape.metadata["pattern"]
        assert (limit.min_length, limit.max_length) == (
            shape.metadata["min"],
            shape.metadata["max"],
        )
    # The model's ARN pattern ends in `.*`; ours bounds that part to a tuning job's name.
    arn = operation.output_shape.members["HyperParameterTuningJobArn"].metadata["pattern"]
    assert tuning.JOB_ARN.pattern.startswith(arn.removesuffix(".*"))
    assert request["TrainingJobDefinitions"].metadata["max"] == tuning.MAX_DEFINITIONS
    definition = request["TrainingJobDefinition"].members
    configs = definition["HyperParameterTuningResourceConfig"].members["InstanceConfigs"]
    assert configs.metadata["max"] == tuning.MAX_INSTANCE_CONFIGS
    assert set(definition["VpcConfig"].members) == {"Subnets", "SecurityGroupIds"}
    assert "MaxParallelTrainingJobs" in model.shape_for("ResourceLimits").required_members
    # As training: the same IPs, EFA types (not a copy) and role actions.
    assert TUNING.efa_instance_types is training.EFA_INSTANCE_TYPES
    assert (TUNING.ips_per_instance, TUNING.efa_ips_per_instance) == (2, 5)
    assert TUNING.role_actions == TRAINING.role_actions
    assert TUNING.not_evaluated == TRAINING.not_evaluated


def tuning_jobs(event: dict[str, Any]) -> list[JobRequest]:
    intake = read_event(event)
    assert not isinstance(intake, Skipped), intake
    jobs = list(intake.jobs(lambda: pytest.fail("tuning reads nothing with AWS")))
    assert all(isinstance(j, JobRequest) for j in jobs), jobs
    return jobs  # type: ignore[return-value]


def test_a_tuning_event_is_one_job_per_training_definition() -> None:
    small, distributed = tuning_jobs(load_event("tuning_job"))
    arn = "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/demo-tuning-job"
    for job in (small, distributed):
        assert (job.workload, job.job_name, job.job_arn) == ("tuning", "demo-tuning-job", arn)
        assert job.role_arn == "arn:aws:iam::123456789012:role/SageMakerIRRole"
        assert job.subnets == ("subnet-0123456789abcdef0", "subnet-0123456789abcdef1")
        assert job.input_problems == () and job.vpc_config_valid
    assert (small.definition, distributed.definition) == ("xgboost-small", "xgboost-distributed")
    # 3 training jobs at once, each of the definition's own size.
    assert (small.instance_count, small.instance_groups) == (3, (("ml.m5.xlarge", 3),))
    assert (distributed.instance_count, distributed.instance_groups) == (
        6,
        (("ml.m5.2xlarge", 6),),
    )
    # The two definitions share the 3: only one training job of each is certain.
    assert (small.certain_instances, distributed.certain_instances) == (1, 2)
    assert distributed.instance_basis == (
        "at most 3 training jobs at once (MaxParallelTrainingJobs, shared by the request's "
        "definitions) x ResourceConfig.InstanceCount of xgboost-distributed (2)"
    )


def test_the_describe_answers_single_definition_reads_the_same_in_pascal_case() -> None:
    answer = {
        "HyperParameterTuningJobName": "hpo",
        "HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxParallelTrainingJobs": 4}},
        "TrainingJobDefinition": {
            "RoleArn": "arn:aws:iam::123456789012:role/Tuner",
            "VpcConfig": {"Subnets": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
            "HyperParameterTuningResourceConfig": {
                "InstanceConfigs": [
                    {"InstanceType": "ml.m5.xlarge", "InstanceCount": 3, "VolumeSizeInGB": 30},
                    {"InstanceType": "ml.p4d.24xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
                ]
            },
        },
    }
    [view] = tuning.expand(answer, lambda: pytest.fail("no AWS read"))
    job = parse_request(
        view, account="123456789012", region="us-east-1", event_id="e", workload=TUNING
    )
    assert isinstance(job, JobRequest)
    assert (job.job_name, job.role_arn) == ("hpo", "arn:aws:iam::123456789012:role/Tuner")
    assert (job.subnets, job.definition) == (("subnet-1",), "TrainingJobDefinition")
    # The largest of the alternative configurations, 4 at once; each type may be the one.
    assert job.instance_count == 12
    assert job.instance_groups == (("ml.m5.xlarge", 12), ("ml.p4d.24xlarge", 4))
    assert "largest HyperParameterTuningResourceConfig.InstanceConfigs[] count" in (
        job.instance_basis
    )


def test_an_unnamed_definition_is_named_by_its_place_and_a_bad_limit_is_said() -> None:
    event = load_event("tuning_job")
    params = event["detail"]["requestParameters"]
    del params["trainingJobDefinitions"][1]["definitionName"]
    params["hyperParameterTuningJobConfig"]["resourceLimits"] = {"maxParallelTrainingJobs": 0}
    small, unnamed = tuning_jobs(event)
    assert unnamed.definition == "TrainingJobDefinitions[1]"
    assert (small.instance_count, unnamed.instance_count) == (1, 2)
    assert small.input_problems == (
        "hyperParameterTuningJobConfig.resourceLimits.maxParallelTrainingJobs is missing or "
        "invalid",
    )


def test_more_definitions_than_the_api_allows_are_cut_and_said() -> None:
    event = load_event("tuning_job")
    listed = event["detail"]["requestParameters"]["trainingJobDefinitions"]
    listed[:] = [dict(listed[0], definitionName=f"d{i}") for i in range(12)]
    jobs = tuning_jobs(event)
    assert [j.definition for j in jobs] == [f"d{i}" for i in range(10)]
    assert "holds 12 definitions, more than the API's 10" in jobs[0].input_problems[0]


def test_a_child_is_named_by_its_describe_answer() -> None:
    parent = "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/hpo"
    answer = {"TrainingJobName": "hpo-001-abc", "TuningJobArn": parent}
    assert is_child(answer) == (
        f"judged with its tuning job {parent} (SageMaker runs this job for it), not alone"
    )
    automl = "arn:aws:sagemaker:us-east-1:123456789012:automl-job/auto"
    # Autopilot is not a covered workload yet: the reason says so rather than claim a check.
    assert is_child({"AutoMLJobArn": automl}) == (
        f"run by its Autopilot job {automl}, a workload the guardrail does not judge yet: not "
        "judged alone (one report per child job would flood the topic)"
    )
    # A value that is no parent's ARN is not echoed.
    assert is_child({"TuningJobArn": "x;rm -rf /"}) == (
        "judged with the tuning job its answer names (SageMaker runs this job for it), not alone"
    )
    assert is_child({"TrainingJobName": "mine"}) is None


def test_a_child_training_job_event_is_skipped_naming_its_parent() -> None:
    skipped = parse_event(load_event("training_job_child"))
    assert isinstance(skipped, Skipped)
    assert skipped.job_name == "demo-tuning-job-001-4f2a9c1e"
    assert skipped.reason.startswith(
        "judged with its tuning job arn:aws:sagemaker:us-east-1:123456789012:"
        "hyper-parameter-tuning-job/demo-tuning-job"
    )


def test_a_tuning_resource_config_instance_count_is_one_training_jobs_size() -> None:
    event = load_event("tuning_job")
    [definition] = event["detail"]["requestParameters"]["trainingJobDefinitions"][:1]
    del definition["resourceConfig"]
    definition["hyperParameterTuningResourceConfig"] = {
        "instanceType": "ml.p4d.24xlarge",
        "instanceCount": 2,
        "volumeSizeInGB": 30,
        "allocationStrategy": "Prioritized",
    }
    event["detail"]["requestParameters"]["trainingJobDefinitions"] = [definition]
    [job] = tuning_jobs(event)
    # 3 at once x 2 p4d: 12 IPs certain, 30 if every instance uses EFA; no ResourceConfig
    # needed, none reported missing.
    assert (job.instance_count, job.instance_groups, job.input_problems) == (
        6,
        (("ml.p4d.24xlarge", 6),),
        (),
    )
    assert TUNING.ips_for(6, job.instance_groups) == (12, 30)
    assert "HyperParameterTuningResourceConfig.InstanceCount of xgboost-small (2)" in (
        job.instance_basis
    )


def test_a_service_event_is_a_child_by_its_event_type_alone() -> None:
    # As CloudTrail's documented service events look: no identity type, no parent named.
    event = load_event("training_job_child")
    detail = event["detail"]
    detail["userIdentity"] = {"accountId": "123456789012", "invokedBy": "AWS Internal"}
    del detail["requestParameters"]["tuningJobArn"]
    skipped = parse_event(event)
    assert isinstance(skipped, Skipped)
    assert skipped.reason.startswith("a job the SageMaker service created for a parent job")
    # The same record that is no service event is not an API call either: not read.
    detail["eventType"] = "AwsApiCall"
    skipped = parse_event(event)
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "not a SageMaker API call recorded by CloudTrail"


def api_case(value: Any, shape: Any) -> Any:
    """A CloudTrail request back in the API's member names (matched case-insensitively)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        out = {}
        for key, item in value.items():
            name = next((n for n in shape.members if n.lower() == key.lower()), key)
            out[name] = api_case(item, shape.members[name]) if name in shape.members else item
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [api_case(item, shape.member) for item in value]
    return value


@pytest.mark.parametrize("name", ["tuning_job", "tuning_job_broken"])
def test_the_tuning_samples_are_requests_the_api_accepts(model: Any, name: str) -> None:
    shape = model.operation_model("CreateHyperParameterTuningJob").input_shape
    request = api_case(load_event(name)["detail"]["requestParameters"], shape)
    validate_parameters(request, shape)  # raises on any member or value the API refuses
