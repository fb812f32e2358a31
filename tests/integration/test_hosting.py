"""Models, endpoints and batch transform jobs through the Lambda handler, on moto worlds
built like real accounts: the model's VpcConfig and role, read through the endpoint config
and DescribeModel where the event names only the endpoint or the model."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.application import App
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import (
    MODEL_BUCKET,
    PAYLOAD_BUCKET,
    REPOSITORY,
    SAGEMAKER_TRUST,
    World,
    add_peer_egress,
)
from tests.conftest import REGION, load_event
from tests.integration.fake_endpoint_configs import FakeEndpointConfigs
from tests.integration.test_training_data_path import OTHER_ENDPOINT, deny_unless
from tests.lambda_context import Inbox, deploy
from tests.report_schema import validate_report

ONE_AZ = "ENDPOINT_SUBNETS_ONE_AZ"


@pytest.fixture
def app(aws: Any, monkeypatch: pytest.MonkeyPatch, inbox: Inbox) -> App:
    """The function, publishing every report (a PASS too) to the inbox."""
    return deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, NOTIFY_ON="all")


@pytest.fixture
def configs(aws: Any, app: App) -> FakeEndpointConfigs:
    """moto's DescribeEndpointConfig drops shadow variants and the config's own VpcConfig and
    role: the narrow fake puts back what the test created (fake_endpoint_configs.py)."""
    fake = FakeEndpointConfigs(aws.events)
    fake.answer_through(app.clients_for(REGION).sagemaker.meta.events)
    return fake


def create_model(
    aws: Any,
    world: World,
    name: str = "demo-model",
    *,
    subnets: list[str] | None = None,
    role: str | None = None,
    vpc: bool = True,
) -> None:
    account = world.account
    container = {
        "Image": f"{account}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}:latest",
        "ModelDataUrl": f"s3://{MODEL_BUCKET}/model/model.tar.gz",
    }
    vpc_config = {
        "Subnets": subnets if subnets is not None else list(world.subnet_ids),
        "SecurityGroupIds": list(world.group_ids),
    }
    aws.client("sagemaker").create_model(
        ModelName=name,
        PrimaryContainer=container,
        ExecutionRoleArn=role or world.role_arn,
        **({"VpcConfig": vpc_config} if vpc else {}),
    )


def create_config(aws: Any, name: str, variants: list[dict[str, Any]], **more: Any) -> None:
    aws.client("sagemaker").create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=variants, **more
    )


def variant(model: str = "demo-model", count: int = 1, name: str = "AllTraffic") -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InitialInstanceCount": count,
        "InstanceType": "ml.m5.large",
    }


def endpoint_event(world: World, config: str, sample: str = "endpoint") -> dict[str, Any]:
    event = load_event(sample)
    event["account"], event["region"] = world.account, world.region
    event["detail"]["requestParameters"]["endpointConfigName"] = config
    return event


def test_the_samples_name_the_configs_the_tests_build() -> None:
    names = {
        s: load_event(s)["detail"]["requestParameters"] for s in ("endpoint", "endpoint_broken")
    }
    assert names["endpoint"]["endpointConfigName"] == "demo-endpoint-config"
    assert names["endpoint_broken"]["endpointConfigName"] == "demo-endpoint-config-one-az"


def run(app: App, event: dict[str, Any], inbox: Inbox | None = None) -> list[dict[str, Any]]:
    """Every report of the event: the handler returns the one report, or each one's summary
    when the event holds several jobs; then the full reports are the inbox's, in order."""
    answer = app.lambda_handler(event, FakeContext())
    if "reports" not in answer:
        validate_report(answer)
        return [answer]
    assert inbox is not None, "several reports: read them from the inbox"
    reports = [json.loads(e["Message"]) for e in inbox.envelopes()]
    assert [r["outcome"] for r in reports] == [r["outcome"] for r in answer["reports"]]
    for report in reports:
        validate_report(report)
    return reports


def check_ids(report: dict[str, Any]) -> list[str]:
    return [f["checkId"] for f in report["findings"]]


# --- Endpoints ---------------------------------------------------------------------------
def test_an_endpoint_whose_model_spans_two_azs_passes(aws: Any, world: World, app: App) -> None:
    create_model(aws, world)
    create_config(aws, "demo-endpoint-config", [variant(count=2)])
    [report] = run(app, endpoint_event(world, "demo-endpoint-config"))
    assert report["outcome"] == "PASS", report["findings"]
    assert report["findings"] == []
    job = report["job"]
    assert job["workload"] == "endpoint" and job["name"] == "demo-endpoint"
    assert (job["subnets"], job["role"]) == (world.subnet_ids, world.role_arn)
    checks = report["summary"]["checks"]
    assert {ONE_AZ, "SUBNET_IP_CAPACITY", "ROLE_VPC_PERMISSIONS_MISSING"} <= set(checks["passed"])
    assert "SG_EGRESS_SUBNETS_MISSING" in checks["notEvaluated"]


@pytest.mark.parametrize("sample", ["endpoint_broken", "update_endpoint"])
def test_an_endpoint_whose_model_is_in_one_az_fails_high(
    aws: Any, world: World, app: App, sample: str
) -> None:
    """The broken sample names the config `demo-endpoint-config-one-az`; an UpdateEndpoint
    to such a config is judged the same."""
    create_model(aws, world, subnets=world.subnet_ids[:1])
    create_config(aws, "demo-endpoint-config-one-az", [variant()])
    [report] = run(app, endpoint_event(world, "demo-endpoint-config-one-az", sample))
    assert report["outcome"] == "FAIL"
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == (ONE_AZ, "HIGH")
    assert finding["resources"] == world.subnet_ids[:1]
    assert "undetermined" not in finding["evidence"]


def test_a_serverless_endpoint_takes_no_vpc_and_is_skipped(
    aws: Any, world: World, app: App
) -> None:
    create_model(aws, world, subnets=world.subnet_ids[:1])  # would fail, were it hosted in it
    serverless = {
        "VariantName": "AllTraffic",
        "ModelName": "demo-model",
        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
    }
    create_config(aws, "serverless-config", [serverless])
    [report] = run(app, endpoint_event(world, "serverless-config"))
    assert report["outcome"] == "SKIPPED"
    assert "no job that runs in a VPC" in report["reason"]


def test_an_endpoint_of_a_model_without_vpc_config_is_skipped(
    aws: Any, world: World, app: App
) -> None:
    create_model(aws, world, vpc=False)
    create_config(aws, "public-config", [variant()])
    [report] = run(app, endpoint_event(world, "public-config"))
    assert report["outcome"] == "SKIPPED"


def test_describe_model_refused_is_an_error_naming_the_call_never_a_pass(
    aws: Any, world: World, app: App
) -> None:
    create_model(aws, world)
    create_config(aws, "demo-endpoint-config", [variant()])

    def refuse(**_: Any) -> None:
        error: Any = {"Code": "AccessDeniedException", "Message": "not authorized"}
        raise ClientError({"Error": error}, "DescribeModel")

    events = app.clients_for(REGION).sagemaker.meta.events
    events.register("before-call.sagemaker.DescribeModel", refuse)
    [report] = run(app, endpoint_event(world, "demo-endpoint-config"))
    assert report["outcome"] == "ERROR"
    [finding] = report["findings"]
    assert finding["checkId"] == "CHECK_ERROR"
    assert finding["evidence"]["api"] == "sagemaker:DescribeModel"
    assert finding["evidence"]["errorCode"] == "AccessDeniedException"
    assert report["job"] == {
        "name": "demo-endpoint",
        "arn": f"arn:aws:sagemaker:{REGION}:{world.account}:endpoint/demo-endpoint",
        "workload": "endpoint",
    }
    assert report["summary"]["checks"]["passed"] == []


def endpoint_role(aws: Any, actions: tuple[str, ...]) -> str:
    """A custom execution role allowed exactly `actions` (and nothing AWS-managed)."""
    iam = aws.client("iam")
    arn = iam.create_role(
        RoleName="EndpointRole", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )["Role"]["Arn"]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }
    iam.put_role_policy(
        RoleName="EndpointRole", PolicyName="vpc", PolicyDocument=json.dumps(document)
    )
    return str(arn)


def test_an_endpoint_role_without_describe_vpc_endpoints_is_medium(
    aws: Any, world: World, app: App
) -> None:
    create_model(aws, world, role=endpoint_role(aws, JOB_ROLE_ACTIONS))
    create_config(aws, "demo-endpoint-config", [variant()])
    [report] = run(app, endpoint_event(world, "demo-endpoint-config"))
    assert report["outcome"] == "WARN"
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("ROLE_VPC_PERMISSIONS_MISSING", "MEDIUM")
    assert list(finding["evidence"]["denied"]) == ["ec2:DescribeVpcEndpoints"]
    assert finding["evidence"]["undetermined"]


def test_an_endpoint_role_without_the_nine_is_high(aws: Any, world: World, app: App) -> None:
    create_model(aws, world, role=endpoint_role(aws, ("ec2:DescribeVpcEndpoints",)))
    create_config(aws, "demo-endpoint-config", [variant()])
    [report] = run(app, endpoint_event(world, "demo-endpoint-config"))
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("ROLE_VPC_PERMISSIONS_MISSING", "HIGH")
    assert set(finding["evidence"]["denied"]) == set(JOB_ROLE_ACTIONS)


def test_models_in_different_vpc_configs_are_each_checked_with_a_medium(
    aws: Any, world: World, app: App, configs: FakeEndpointConfigs, inbox: Inbox
) -> None:
    create_model(aws, world, "model-a")
    create_model(aws, world, "model-b", subnets=world.subnet_ids[:1])
    create_config(
        aws,
        "two-models",
        [variant("model-a", 2, "A"), variant("model-b", 1, "B")],
        ShadowProductionVariants=[variant("model-a", 3, "Shadow")],  # moto drops it: the fake
    )
    calls = app.clients_for(REGION).sagemaker.meta.events
    described: list[str] = []
    calls.register(
        "provide-client-params.sagemaker.DescribeModel",
        lambda params, **_: described.append(params["ModelName"]),
    )
    first, second = run(app, endpoint_event(world, "two-models"), inbox)
    assert described == ["model-a", "model-b"]  # each model read once
    assert first["outcome"] == "WARN" and second["outcome"] == "FAIL"
    assert check_ids(first) == ["ENDPOINT_VPC_CONFIGS_DIFFER"]
    assert check_ids(second) == [ONE_AZ, "ENDPOINT_VPC_CONFIGS_DIFFER"]
    assert first["job"]["subnets"] == world.subnet_ids
    assert second["job"]["subnets"] == world.subnet_ids[:1]


def test_the_endpoint_configs_own_vpc_config_and_role_count(
    aws: Any, world: World, app: App, configs: FakeEndpointConfigs
) -> None:
    """A config that sets its own VpcConfig and ExecutionRoleArn (newer API) hosts the
    variants whose model names none, with the config's role."""
    create_model(aws, world, vpc=False)
    role = endpoint_role(aws, (*JOB_ROLE_ACTIONS, "ec2:DescribeVpcEndpoints"))
    own = {"Subnets": world.subnet_ids[:1], "SecurityGroupIds": world.group_ids}
    create_config(aws, "own-vpc", [variant(count=2)], VpcConfig=own, ExecutionRoleArn=role)
    [report] = run(app, endpoint_event(world, "own-vpc"))
    assert (report["job"]["subnets"], report["job"]["role"]) == (world.subnet_ids[:1], role)
    assert check_ids(report) == [ONE_AZ]


def test_capacity_counts_the_variants_and_the_scaling_maximum(
    aws: Any, world: World, app: App, configs: FakeEndpointConfigs
) -> None:
    small = aws.client("ec2").create_subnet(
        VpcId=world.vpc_id, CidrBlock="10.0.9.0/28", AvailabilityZone=_zone_of(aws, world, 1)
    )["Subnet"]["SubnetId"]
    create_model(aws, world, subnets=[world.subnet_ids[0], small])
    scaled = {
        **variant(count=1),
        "ManagedInstanceScaling": {
            "Status": "ENABLED",
            "MinInstanceCount": 1,
            "MaxInstanceCount": 100,
        },
    }
    create_config(aws, "scaled", [scaled], ShadowProductionVariants=[variant(count=40, name="S")])
    [report] = run(app, endpoint_event(world, "scaled"))
    [finding] = [f for f in report["findings"] if f["checkId"] == "SUBNET_IP_CAPACITY"]
    assert finding["evidence"]["instances"] == 140 and finding["evidence"]["needed"] == 280
    assert "MaxInstanceCount" in finding["evidence"]["estimate"]


def _zone_of(aws: Any, world: World, index: int) -> str:
    subnets = aws.client("ec2").describe_subnets(SubnetIds=[world.subnet_ids[index]])
    return str(subnets["Subnets"][0]["AvailabilityZone"])


# --- Models ------------------------------------------------------------------------------
def model_event(world: World, sample: str = "model") -> dict[str, Any]:
    event = load_event(sample)
    event["account"], event["region"] = world.account, world.region
    params = event["detail"]["requestParameters"]
    params["executionRoleArn"] = world.role_arn
    count = len(params["vpcConfig"]["subnets"])
    params["vpcConfig"] = {"subnets": world.subnet_ids[:count], "securityGroupIds": world.group_ids}
    return event


def test_a_model_in_one_az_is_medium_and_runs_no_capacity_check(world: World, app: App) -> None:
    [report] = run(app, model_event(world, "model_broken"))
    assert report["outcome"] == "WARN"
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == (ONE_AZ, "MEDIUM")
    assert "hosted on an endpoint" in finding["evidence"]["undetermined"]
    assert "runs no instances" in report["summary"]["checks"]["notEvaluated"]["SUBNET_IP_CAPACITY"]
    assert report["job"]["workload"] == "model"


def test_a_model_with_the_managed_policy_passes_without_r8(world: World, app: App) -> None:
    """The world's role holds AWS's AmazonSageMakerFullAccess, attached by ARN as moto ships it."""
    [report] = run(app, model_event(world))
    assert report["outcome"] == "PASS" and report["findings"] == []
    assert "ROLE_VPC_PERMISSIONS_MISSING" in report["summary"]["checks"]["passed"]


# --- A model's data, loaded through its VPC -------------------------------------------------
def test_a_models_bucket_demanding_another_endpoint_is_high_for_it_and_its_endpoint(
    aws: Any, world: World, app: App
) -> None:
    _deny_all_but(aws, MODEL_BUCKET, OTHER_ENDPOINT)
    create_model(aws, world)
    create_config(aws, "demo-endpoint-config", [variant(count=2)])
    modelled = run(app, model_event(world))[0]
    hosted = run(app, endpoint_event(world, "demo-endpoint-config"))[0]
    for report in (modelled, hosted):
        [finding] = report["findings"]
        assert (finding["checkId"], finding["severity"]) == (
            "BUCKET_POLICY_DENIES_JOB_PATH",
            "HIGH",
        )
        assert finding["resources"] == [MODEL_BUCKET]
        assert f"s3:GetObject on arn:aws:s3:::{MODEL_BUCKET}/model/" in finding["detail"]
    # Restricted to the endpoint the subnets route S3 to: the path AWS recommends.
    _deny_all_but(aws, MODEL_BUCKET, str(world.endpoint_id))
    for again, event in enumerate(
        (model_event(world), endpoint_event(world, "demo-endpoint-config"))
    ):
        [report] = run(app, {**event, "id": f"again-{again}"})
        assert report["outcome"] == "PASS", report["findings"]
        passed = report["summary"]["checks"]["passed"]
        assert {"BUCKET_POLICY_DENIES_JOB_PATH", "S3_ENDPOINT_POLICY_DENIES"} <= set(passed)


def test_an_endpoint_policy_that_admits_no_model_data_fails_the_endpoint(
    aws: Any, world: World, app: App
) -> None:
    create_model(aws, world)
    create_config(aws, "demo-endpoint-config", [variant(count=2)])
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{PAYLOAD_BUCKET}/*",
            }
        ]
    }
    aws.client("ec2").modify_vpc_endpoint(
        VpcEndpointId=str(world.endpoint_id), PolicyDocument=json.dumps(document)
    )
    [report] = run(app, endpoint_event(world, "demo-endpoint-config"))
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("S3_ENDPOINT_POLICY_DENIES", "HIGH")
    # A VPC-side job's S3 locations are read as the objects under them (requests.prefix_arn).
    assert finding["detail"] == (
        f"{world.endpoint_id} does not allow s3:GetObject on "
        f"arn:aws:s3:::{MODEL_BUCKET}/model/model.tar.gz* by the job's role."
    )


# --- Batch transform -----------------------------------------------------------------------
def transform_event(
    world: World, instances: int | None = None, sample: str = "transform_job"
) -> dict[str, Any]:
    event = copy.deepcopy(load_event(sample))
    event["account"], event["region"] = world.account, world.region
    if instances is not None:
        event["detail"]["requestParameters"]["transformResources"]["instanceCount"] = instances
    return event


def test_the_broken_transform_sample_needs_more_than_a_25_holds(
    aws: Any, world: World, app: App
) -> None:
    add_peer_egress(aws.client("ec2"), world.group_ids[0])  # all ports to its peers
    """100 instances (the API's maximum) need 200 free IPs; a /25 has 123."""
    ec2 = aws.client("ec2")
    small = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.9.0/25")["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=world.route_table_ids[0], SubnetId=small)
    create_model(aws, world, subnets=[small])
    [report] = run(app, transform_event(world, sample="transform_job_broken"))
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("SUBNET_IP_CAPACITY", "HIGH")
    assert finding["evidence"]["instances"] == 100 and finding["evidence"]["needed"] == 200


def test_a_transform_job_runs_with_its_models_vpc_and_role(
    aws: Any, world: World, app: App
) -> None:
    add_peer_egress(aws.client("ec2"), world.group_ids[0])  # all ports to its peers
    create_model(aws, world)
    [report] = run(app, transform_event(world, 2))
    assert report["outcome"] == "PASS", report["findings"]
    assert report["job"]["workload"] == "transform"
    assert (report["job"]["subnets"], report["job"]["role"]) == (world.subnet_ids, world.role_arn)
    assert ONE_AZ in report["summary"]["checks"]["notEvaluated"]


def test_three_transform_instances_in_a_full_28_fail_capacity(
    aws: Any, world: World, app: App
) -> None:
    add_peer_egress(aws.client("ec2"), world.group_ids[0])  # all ports to its peers
    ec2 = aws.client("ec2")
    small = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.9.0/28")["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=world.route_table_ids[0], SubnetId=small)
    create_model(aws, world, subnets=[small])
    assert run(app, transform_event(world, 3))[0]["outcome"] == "PASS"  # 6 of its 11 free IPs
    for _ in range(6):  # other workloads' interfaces: 5 free IPs left
        ec2.create_network_interface(SubnetId=small)
    [report] = run(app, {**transform_event(world, 3), "id": "again"})
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("SUBNET_IP_CAPACITY", "HIGH")
    assert finding["evidence"]["needed"] == 6 and finding["evidence"]["freeIps"] == {small: 5}


def _deny_all_but(aws: Any, bucket: str, endpoint: str) -> None:
    """AWS's sample: deny every S3 action on `bucket` unless through `endpoint`."""
    policy = deny_unless("aws:SourceVpce", endpoint, bucket)
    aws.client("s3").put_bucket_policy(Bucket=bucket, Policy=policy)


def test_a_transform_jobs_model_bucket_demanding_another_endpoint_is_high(
    aws: Any, world: World, app: App
) -> None:
    add_peer_egress(aws.client("ec2"), world.group_ids[0])  # all ports to its peers
    create_model(aws, world)
    _deny_all_but(aws, MODEL_BUCKET, OTHER_ENDPOINT)
    [report] = run(app, transform_event(world, 2))
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("BUCKET_POLICY_DENIES_JOB_PATH", "HIGH")
    assert finding["resources"] == [MODEL_BUCKET]
    assert f"s3:GetObject on arn:aws:s3:::{MODEL_BUCKET}/model/model.tar.gz" in finding["detail"]
    # Its input and output bucket restricted to the job subnets' own endpoint: the path AWS
    # recommends; the model's bucket too.
    for bucket in (MODEL_BUCKET, PAYLOAD_BUCKET):
        _deny_all_but(aws, bucket, str(world.endpoint_id))
    [passed] = run(app, {**transform_event(world, 2), "id": "again"})
    assert passed["outcome"] == "PASS", passed["findings"]
    checks = passed["summary"]["checks"]
    assert {"BUCKET_POLICY_DENIES_JOB_PATH", "S3_ENDPOINT_POLICY_DENIES"} <= set(checks["passed"])
    assert (
        "BUCKET_POLICY_DENIES_JOB_PATH" in checks["notEvaluated"]["MODEL_ARTIFACT_VPC_RESTRICTED"]
    )


def test_a_transform_jobs_endpoint_policy_must_admit_its_output(
    aws: Any, world: World, app: App
) -> None:
    add_peer_egress(aws.client("ec2"), world.group_ids[0])  # all ports to its peers
    create_model(aws, world)
    reads = [f"arn:aws:s3:::{b}/*" for b in (MODEL_BUCKET, PAYLOAD_BUCKET)]
    document = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": reads}
        ]
    }
    aws.client("ec2").modify_vpc_endpoint(
        VpcEndpointId=str(world.endpoint_id), PolicyDocument=json.dumps(document)
    )
    [report] = run(app, transform_event(world, 2))
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("S3_ENDPOINT_POLICY_DENIES", "HIGH")
    assert finding["detail"] == (
        f"{world.endpoint_id} does not allow s3:PutObject on "
        f"arn:aws:s3:::{PAYLOAD_BUCKET}/batch-out/* by the job's role."
    )


def test_a_transform_model_without_vpc_is_skipped(aws: Any, world: World, app: App) -> None:
    create_model(aws, world, vpc=False)
    [report] = run(app, transform_event(world, 2))
    assert report["outcome"] == "SKIPPED"
    assert "no VPC config" in report["reason"]


def test_an_update_retaining_variant_properties_counts_one_instance_per_variant(
    aws: Any, world: World, app: App
) -> None:
    """The endpoint keeps its current counts, which the config does not hold: only one
    instance per variant is certain (the config's 300 would be a false HIGH here)."""
    create_model(aws, world)
    create_config(aws, "huge", [variant(count=300)])
    event = endpoint_event(world, "huge", "update_endpoint")
    [report] = run(app, event)
    [finding] = report["findings"]  # 600 IPs: more than the two /24s hold
    assert (finding["checkId"], finding["severity"]) == ("SUBNET_IP_CAPACITY", "HIGH")
    event["detail"]["requestParameters"]["retainAllVariantProperties"] = True
    [retained] = run(app, {**event, "id": "retained"})
    assert retained["outcome"] == "PASS" and retained["findings"] == []


def test_each_vpc_config_of_an_endpoint_is_a_new_report_not_a_repeat(
    aws: Any, world: World, app: App, configs: FakeEndpointConfigs, inbox: Inbox
) -> None:
    # Two models in different VPC configs: two reports of one endpoint ARN, each claimed as
    # its own part (the endpoint config and its subnets), so neither is marked a repeat.
    create_model(aws, world, "model-a")
    create_model(aws, world, "model-b", subnets=world.subnet_ids[:1])
    create_config(aws, "two-models", [variant("model-a", 2, "A"), variant("model-b", 1, "B")])
    first, second = run(app, endpoint_event(world, "two-models"), inbox)
    assert not first.get("repeat") and not second.get("repeat")
    assert first["job"]["definition"] != second["job"]["definition"]
    assert second["job"]["definition"].startswith("endpoint config two-models, subnets ")
