"""A training job (CreateTrainingJob) through the same intake, engine and report as an
Inference Recommender job, on moto worlds built like real accounts."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from ir_vpc_guard.findings import Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import SAGEMAKER_TRUST, World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.running_jobs import FakeTrainingStop, run_training_job, status
from tests.integration.test_one_break_at_a_time import (
    Break,
    custom_dns,
    dns_off,
    endpoint_off_route_table,
    nacl_denies_https_out,
    no_endpoint,
    no_s3_egress,
    no_subnet_egress,
    role_without_ec2,
)
from tests.lambda_context import Inbox, deploy, log_lines
from tests.report_schema import validate_report

# What Inference Recommender judges and training does not (yet): the model, its artifacts'
# policies, traffic between the job subnets (for training only a distributed job's peers
# need it), the ENI-attribute advisory.
IR_ONLY = {
    "SG_EGRESS_SUBNETS_MISSING",
    "NACL_BLOCKS_SUBNETS",
    "MODEL_NOT_IN_REGISTRY",
    "MODEL_ARTIFACT_VPC_RESTRICTED",
    "SAMPLE_PAYLOAD_VPC_RESTRICTED",
    "IMAGE_VPC_RESTRICTED",
    "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED",
}
# The training sample's bucket (its channel and its output path).
TRAINING_BUCKET = "demo-training-data"
# Inference Recommender's job section, exactly as before workloads.
IR_JOB_KEYS = {
    "name",
    "arn",
    "type",
    "role",
    "modelPackageArn",
    "modelName",
    "subnets",
    "securityGroups",
    "vpc",
}


def training_event(world: World, name: str = "training_job") -> dict[str, Any]:
    """A training sample pointed at `world`: its subnets, group, role, account and region,
    with the bucket it reads and writes made in the world's account."""
    s3 = boto3.client("s3", region_name=world.region)
    if TRAINING_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        where: dict[str, Any] = (
            {}
            if world.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": world.region}}
        )
        s3.create_bucket(Bucket=TRAINING_BUCKET, **where)
    event = load_event(name)
    event["account"], event["region"] = world.account, world.region
    params = event["detail"]["requestParameters"]
    params["roleArn"] = world.role_arn
    params["vpcConfig"] = {"subnets": list(world.subnet_ids), "securityGroupIds": world.group_ids}
    job = params["trainingJobName"]
    event["detail"]["responseElements"]["trainingJobArn"] = (
        f"arn:aws:sagemaker:{world.region}:{world.account}:training-job/{job}"
    )
    return event


def check(event: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    session = boto3.session.Session()
    # moto lacks DescribeSecurityGroupVpcAssociations: its narrow fake (no group associated).
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    report = handle_event(
        event, settings or Settings(), clients_factory(session), lock=LocalVpcLock()
    )[0].to_dict()
    validate_report(report)
    return report


def test_a_training_job_in_a_compliant_world_passes_with_its_workload_named(
    aws: Any, world: World
) -> None:
    report = check(training_event(world))
    assert report["outcome"] == "PASS"
    # No advisory either: ec2:ModifyNetworkInterfaceAttribute is not a training role's need.
    assert report["findings"] == []
    job = report["job"]
    assert job["workload"] == "training"
    assert job["name"] == "demo-training-job"
    assert job["arn"].endswith(":training-job/demo-training-job")
    assert (job["subnets"], job["vpc"]) == (world.subnet_ids, world.vpc_id)
    assert not {"type", "modelPackageArn", "modelName"} & set(job)
    checks = report["summary"]["checks"]
    # No private registry credentials Lambda in the request: that check has nothing to judge.
    assert set(checks["notEvaluated"]) == IR_ONLY | {"REGISTRY_AUTH_LAMBDA_UNREACHABLE"}
    reason = checks["notEvaluated"]["MODEL_ARTIFACT_VPC_RESTRICTED"]
    assert "BUCKET_POLICY_DENIES_JOB_PATH" in reason
    assert "not read yet" in checks["notEvaluated"]["IMAGE_VPC_RESTRICTED"]
    assert {
        "SUBNET_IP_CAPACITY",
        "S3_ENDPOINT_MISSING",
        "S3_ENDPOINT_ROUTE_MISSING",
        "SG_EGRESS_S3_MISSING",
        "NACL_BLOCKS_S3",
        "VPC_DNS_DISABLED",
        "ROLE_VPC_PERMISSIONS_MISSING",
        "BUCKET_POLICY_DENIES_JOB_PATH",
        "S3_ENDPOINT_POLICY_DENIES",
    } <= set(checks["passed"])


def test_an_ir_event_in_the_same_world_keeps_its_report(aws: Any, world: World) -> None:
    report = check(world.event(load_event("good_job")))
    assert set(report["job"]) == IR_JOB_KEYS  # no `workload`: its shape is unchanged
    assert report["outcome"] == "PASS"
    assert [f["checkId"] for f in report["findings"]] == ["ROLE_ENI_ATTRIBUTE_NOT_ALLOWED"]
    assert report["summary"]["checks"]["notEvaluated"] == {}


NETWORK_BREAKS: dict[str, Break] = {
    "no endpoint": no_endpoint,
    "endpoint off the route table": endpoint_off_route_table,
    "no S3 egress": no_s3_egress,
    "NACL denies HTTPS out": nacl_denies_https_out,
    "DNS off": dns_off,
    "custom DNS": custom_dns,
    "role without EC2": role_without_ec2,
}


@pytest.mark.parametrize("name", list(NETWORK_BREAKS))
def test_a_broken_world_fails_training_with_the_checks_ir_fails(
    aws: Any, world: World, name: str
) -> None:
    ir_event = world.event(load_event("good_job"))
    NETWORK_BREAKS[name](aws, world, ir_event)
    ir = check(ir_event)
    trained = check(training_event(world))
    ir_failed = set(ir["summary"]["checks"]["failed"]) - IR_ONLY
    assert ir_failed, "the break breaks nothing"
    assert set(trained["summary"]["checks"]["failed"]) == ir_failed
    assert trained["outcome"] == ir["outcome"] == ("WARN" if name == "custom DNS" else "FAIL")

    def judged(report: dict[str, Any]) -> set[tuple[str, str]]:
        return {(f["checkId"], f["severity"]) for f in report["findings"]}

    assert judged(trained) == {(c, s) for c, s in judged(ir) if c not in IR_ONLY}


def test_no_egress_between_the_job_subnets_fails_ir_not_a_training_job(
    aws: Any, world: World
) -> None:
    ir_event = world.event(load_event("good_job"))
    no_subnet_egress(aws, world, ir_event)
    assert "SG_EGRESS_SUBNETS_MISSING" in check(ir_event)["summary"]["checks"]["failed"]
    # The sample's two instances: their outbound traffic to each other is judged by the
    # peer check, at MEDIUM (AWS documents only inbound rules for training).
    trained = check(training_event(world))
    assert trained["outcome"] == "WARN"
    [peers] = trained["findings"]
    assert (peers["checkId"], peers["severity"]) == ("SG_PEER_TRAFFIC_BLOCKED", "MEDIUM")
    assert peers["evidence"]["direction"] == "outbound"
    reason = trained["summary"]["checks"]["notEvaluated"]["SG_EGRESS_SUBNETS_MISSING"]
    assert "distributed job" in reason and "SG_PEER_TRAFFIC_BLOCKED" in reason
    # One instance has no peers: nothing to say.
    single = _sized(world, 1, "ml.m5.xlarge")
    assert check(single)["outcome"] == "PASS" and check(single)["findings"] == []


def _role_with_the_nine(session: Any) -> str:
    """A role allowed exactly the nine EC2 actions AWS lists for training roles."""
    iam = session.client("iam")
    trust = SAGEMAKER_TRUST
    arn: str = iam.create_role(RoleName="Trainer", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    nine = [
        "ec2:CreateNetworkInterface",
        "ec2:CreateNetworkInterfacePermission",
        "ec2:DeleteNetworkInterface",
        "ec2:DeleteNetworkInterfacePermission",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
    ]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": nine, "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="Trainer", PolicyName="vpc", PolicyDocument=json.dumps(policy))
    return arn


def test_a_role_with_the_nine_training_actions_passes_training_not_ir(
    aws: Any, world: World
) -> None:
    role = _role_with_the_nine(aws)
    event = training_event(world)
    event["detail"]["requestParameters"]["roleArn"] = role
    assert check(event)["outcome"] == "PASS"
    ir_event = world.event(load_event("good_job"))
    ir_event["detail"]["requestParameters"]["roleArn"] = role
    ir = check(ir_event)
    [finding] = [f for f in ir["findings"] if f["checkId"] == "ROLE_VPC_PERMISSIONS_MISSING"]
    assert "ec2:DescribeVpcEndpoints" in finding["evidence"]["denied"]


def _capacity(report: dict[str, Any]) -> dict[str, Any]:
    [finding] = [f for f in report["findings"] if f["checkId"] == "SUBNET_IP_CAPACITY"]
    assert isinstance(finding, dict)
    return finding


def test_a_job_larger_than_its_subnets_together_fails_capacity(aws: Any, world: World) -> None:
    # Two /24 subnets: 251 + 251 free; 256 instances x 2 need 512.
    report = check(training_event(world, "training_job_too_large"))
    assert report["outcome"] == "FAIL"
    finding = _capacity(report)
    assert finding["severity"] == "HIGH"
    assert (finding["evidence"]["needed"], finding["evidence"]["instances"]) == (512, 256)
    assert "undetermined" not in finding["evidence"]


def _sized(world: World, instances: int, instance_type: str) -> dict[str, Any]:
    event = training_event(world)
    event["detail"]["requestParameters"]["resourceConfig"] = {
        "instanceType": instance_type,
        "instanceCount": instances,
    }
    return event


def test_an_efa_capable_job_that_fits_only_without_efa_is_undetermined(
    aws: Any, world: World
) -> None:
    # 120 x 2 = 240 fit in 502; 120 x 5 = 600 (with EFA) do not: whether it uses EFA is unknown.
    report = check(_sized(world, 120, "ml.c5n.18xlarge"))
    finding = _capacity(report)
    assert (finding["severity"], report["outcome"]) == ("MEDIUM", "WARN")
    assert "Elastic Fabric Adapter" in finding["evidence"]["undetermined"]
    assert finding["evidence"]["neededWithEfa"] == 600
    # The same count of a type without EFA fits: no finding.
    assert check(_sized(world, 120, "ml.m5.24xlarge"))["outcome"] == "PASS"


def test_a_job_the_subnets_hold_only_together_is_undetermined(aws: Any, world: World) -> None:
    # 200 x 2 = 400: more than either subnet's 251, less than both together (placement is
    # undocumented), where Inference Recommender's per-subnet rule would say HIGH.
    report = check(_sized(world, 200, "ml.m5.xlarge"))
    finding = _capacity(report)
    assert (finding["severity"], report["outcome"]) == ("MEDIUM", "WARN")
    assert finding["evidence"]["undetermined"] == (
        "how SageMaker places the instances across the job subnets"
    )


def test_a_training_job_certain_to_fail_is_stopped_through_stop_training_job(
    aws: Any, world: World
) -> None:
    # An ACL that blocks S3 dooms the job and is never fixed by the guardrail: the stop calls
    # the training workload's own Describe and Stop APIs.
    event = training_event(world)
    nacl_denies_https_out(aws, world, event)
    run_training_job(aws, world, "demo-training-job")
    session = boto3.session.Session()
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    stops = FakeTrainingStop(session, world)
    report = handle_event(
        event,
        Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True),
        clients_factory(session),
        home_account=world.account,
        lock=LocalVpcLock(),
    )[0].to_dict()
    validate_report(report)
    assert report["outcome"] == "FAIL"
    [stop] = [a for a in report["actions"] if a["action"] == "stop-job"]
    assert (stop["status"], stop["details"]["blockingChecks"]) == ("APPLIED", ["NACL_BLOCKS_S3"])
    assert "--training-job-name demo-training-job" in stop["details"]["restartCommand"]
    assert stops.stopped == ["demo-training-job"]
    assert status(world, "training", "demo-training-job") == "Stopping"


def test_a_training_job_costs_the_network_and_role_reads_only(aws: Any) -> None:
    # A fresh world in its own account: the counts are this job's alone.
    world = build_world(aws, REGION)
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    report = handle_event(
        training_event(world), Settings(), clients_factory(session), lock=LocalVpcLock()
    )[0].to_dict()
    assert report["outcome"] == "PASS"
    # No model or repository read: the 14 calls of an IR job less DescribeModelPackage, two
    # GetBucketPolicy and one GetRepositoryPolicy, plus the policy of its one bucket.
    assert not {c for c in calls if c.split(".")[0] in {"sagemaker", "ecr"}}
    assert {c: n for c, n in calls.items() if c.startswith("s3.")} == {"s3.GetBucketPolicy": 1}
    assert sum(calls.values()) == 11, calls


def test_the_lambda_handler_publishes_a_training_report(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    # The handler's idempotency, job records and SNS channel take a training report as they
    # take IR's, and the message says its workload for subscription filter policies.
    event = training_event(world)
    no_endpoint(aws, world, event)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    report = app.lambda_handler(event, FakeContext())
    assert report["outcome"] == "FAIL"
    [envelope] = inbox.envelopes()
    published = json.loads(envelope["Message"])  # the SQS body's Message: the JSON report
    validate_report(published)
    assert published["job"]["workload"] == "training"
    assert envelope["MessageAttributes"]["workload"] == {"Type": "String", "Value": "training"}
    assert "S3_ENDPOINT_MISSING" in published["summary"]["checks"]["failed"]


def test_a_workload_left_out_of_workloads_is_skipped_with_its_reason(
    *,
    aws: Any,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    inbox: Inbox,
    table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = training_event(world)
    no_endpoint(aws, world, event)  # a job that would fail: left out, it is not judged
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        IDEMPOTENCY_TABLE=table,
        NOTIFY_ON="all",
        WORKLOADS="inference-recommender",
    )
    capsys.readouterr()
    report = app.lambda_handler(event, FakeContext())
    validate_report(report)
    reason = "the training workload is not checked here (WORKLOADS: inference-recommender)"
    assert (report["outcome"], report["reason"], report["findings"]) == ("SKIPPED", reason, [])
    assert [line["reason"] for line in log_lines(capsys.readouterr().out) if "reason" in line] == [
        reason
    ]
    [envelope] = inbox.envelopes()
    assert envelope["Subject"].startswith("IR VPC Guard SKIPPED: ")
    # Inference Recommender, the workload left in, is still checked.
    ir_report = app.lambda_handler(world.event(load_event("good_job")), FakeContext())
    assert ir_report["outcome"] != "SKIPPED"
