"""A processing job (CreateProcessingJob) through the same intake, engine and report, on moto
worlds built like real accounts: its VPC config at networkConfig.vpcConfig, its cluster's
instances at 2 IPs each, the nine EC2 actions of its role granted without scope."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from ir_vpc_guard.findings import Mode
from ir_vpc_guard.intake.workloads.processing import UNSCOPED_RULE
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import SAGEMAKER_TRUST, World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.running_jobs import run_processing_job, status
from tests.integration.test_one_break_at_a_time import (
    Break,
    nacl_denies_https_out,
    no_endpoint,
    no_s3_egress,
    role_without_ec2,
)
from tests.integration.test_training import IR_ONLY, training_event
from tests.integration.test_training_data_path import OTHER_ENDPOINT, deny_unless
from tests.lambda_context import Inbox, deploy
from tests.report_schema import validate_report

PROCESSING_BUCKET = "demo-processing-data"


def processing_event(
    world: World, name: str = "processing_job", subnets: list[str] | None = None
) -> dict[str, Any]:
    """A processing sample pointed at `world`: its subnets, group, role, account and region,
    with the bucket it reads and writes made in the world's account."""
    s3 = boto3.client("s3", region_name=world.region)
    if PROCESSING_BUCKET not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        where: dict[str, Any] = (
            {}
            if world.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": world.region}}
        )
        s3.create_bucket(Bucket=PROCESSING_BUCKET, **where)
    event = load_event(name)
    event["account"], event["region"] = world.account, world.region
    params = event["detail"]["requestParameters"]
    params["roleArn"] = world.role_arn
    params["networkConfig"]["vpcConfig"] = {
        "subnets": subnets or list(world.subnet_ids),
        "securityGroupIds": world.group_ids,
    }
    job = params["processingJobName"]
    event["detail"]["responseElements"]["processingJobArn"] = (
        f"arn:aws:sagemaker:{world.region}:{world.account}:processing-job/{job}"
    )
    return event


def check(event: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    session = boto3.session.Session()
    # moto lacks DescribeSecurityGroupVpcAssociations: its narrow fake (no group associated).
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    report = handle_event(
        event,
        settings or Settings(),
        clients_factory(session),
        home_account=event["account"],  # the function's own account: its jobs may be stopped
        lock=LocalVpcLock(),
    )[0].to_dict()
    validate_report(report)
    return report


def test_a_processing_job_in_a_compliant_world_passes_with_its_workload_named(
    aws: Any, world: World
) -> None:
    report = check(processing_event(world))
    assert (report["outcome"], report["findings"]) == ("PASS", [])
    job = report["job"]
    assert (job["workload"], job["name"]) == ("processing", "demo-processing-job")
    assert job["arn"].endswith(":processing-job/demo-processing-job")
    assert (job["subnets"], job["vpc"]) == (world.subnet_ids, world.vpc_id)
    checks = report["summary"]["checks"]
    # A processing job names no private registry credentials Lambda (its API has none).
    assert set(checks["notEvaluated"]) == IR_ONLY | {"REGISTRY_AUTH_LAMBDA_UNREACHABLE"}
    assert "processing job" in checks["notEvaluated"]["IMAGE_VPC_RESTRICTED"]
    reason = checks["notEvaluated"]["MODEL_ARTIFACT_VPC_RESTRICTED"]
    assert "BUCKET_POLICY_DENIES_JOB_PATH" in reason
    assert {
        "SUBNET_IP_CAPACITY",
        "S3_ENDPOINT_MISSING",
        "ROLE_VPC_PERMISSIONS_MISSING",
        "BUCKET_POLICY_DENIES_JOB_PATH",
        "S3_ENDPOINT_POLICY_DENIES",
    } <= set(checks["passed"])


def _small_subnet(aws: Any, world: World) -> str:
    """A /25 job subnet (123 free IPs) on the world's route table (so S3 is reachable)."""
    ec2 = aws.client("ec2")
    subnet: str = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.200.0/25")["Subnet"][
        "SubnetId"
    ]
    ec2.associate_route_table(RouteTableId=world.route_table_ids[0], SubnetId=subnet)
    return subnet


def test_the_broken_sample_needs_more_ips_than_its_subnet_has(aws: Any, world: World) -> None:
    # 100 instances (the API's most) x 2 IPs = 200 > the 123 a /25 subnet has free.
    event = processing_event(world, "processing_job_broken", [_small_subnet(aws, world)])
    report = check(event)
    assert report["outcome"] == "FAIL"
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("SUBNET_IP_CAPACITY", "HIGH")
    assert (finding["evidence"]["needed"], finding["evidence"]["instances"]) == (200, 100)
    # The same subnet holds the good sample's 2 instances.
    small = event["detail"]["requestParameters"]["networkConfig"]["vpcConfig"]["subnets"]
    assert check(processing_event(world, subnets=small))["outcome"] == "PASS"


BREAKS: dict[str, Break] = {
    "no endpoint": no_endpoint,
    "no S3 egress": no_s3_egress,
    "NACL denies HTTPS out": nacl_denies_https_out,
    "role without EC2": role_without_ec2,
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_a_broken_world_fails_processing_with_the_checks_ir_fails(
    aws: Any, world: World, name: str
) -> None:
    ir_event = world.event(load_event("good_job"))
    BREAKS[name](aws, world, ir_event)
    ir = check(ir_event)
    processed = check(processing_event(world))
    ir_failed = set(ir["summary"]["checks"]["failed"]) - IR_ONLY
    assert ir_failed, "the break breaks nothing"
    assert set(processed["summary"]["checks"]["failed"]) == ir_failed
    assert processed["outcome"] == "FAIL"


def _role(session: Any, name: str, statements: list[dict[str, Any]]) -> str:
    iam = session.client("iam")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))[
        "Role"
    ]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName="vpc", PolicyDocument=json.dumps(policy))
    return arn


def _with_role(world: World, role: str) -> dict[str, Any]:
    event = processing_event(world)
    event["detail"]["requestParameters"]["roleArn"] = role
    return event


NINE = list(JOB_ROLE_ACTIONS)


def test_the_nine_actions_on_every_resource_without_a_condition_pass(
    aws: Any, world: World
) -> None:
    role = _role(aws, "Processor", [{"Effect": "Allow", "Action": NINE, "Resource": "*"}])
    assert check(_with_role(world, role))["outcome"] == "PASS"


NETWORK_INTERFACES = [a for a in NINE if not a.startswith("ec2:Describe")]
DESCRIBES = [a for a in NINE if a.startswith("ec2:Describe")]  # no resource-level permission
SCOPES: dict[str, list[dict[str, Any]]] = {
    "a condition": [
        {
            "Sid": "ScopedEni",
            "Effect": "Allow",
            "Action": NINE,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
        }
    ],
    "a resource filter": [
        {"Effect": "Allow", "Action": DESCRIBES, "Resource": "*"},
        {
            "Sid": "ScopedEni",
            "Effect": "Allow",
            "Action": NETWORK_INTERFACES,
            "Resource": f"arn:aws:ec2:{REGION}:*:*",
        },
    ],
}


@pytest.mark.parametrize("scope", list(SCOPES))
def test_grants_only_under_a_condition_or_a_resource_filter_are_undetermined_naming_aws_rule(
    aws: Any, world: World, scope: str
) -> None:
    # The condition holds for the job (its region) and the filter names its resources: the
    # role is allowed, yet AWS says such a role fails the processing job's validation.
    role = _role(aws, "Processor", SCOPES[scope])
    report = check(_with_role(world, role))
    assert report["outcome"] == "WARN"
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("ROLE_VPC_PERMISSIONS_MISSING", "MEDIUM")
    assert UNSCOPED_RULE in finding["detail"]
    assert finding["evidence"]["rule"] == UNSCOPED_RULE
    assert finding["evidence"]["scoped"]["ec2:CreateNetworkInterface"] == ["vpc: ScopedEni"]
    assert "undetermined" in finding["evidence"]
    # A training job's role may be scoped: its page says nothing of it.
    trained = training_event(world)  # its buckets made in the world
    trained["detail"]["requestParameters"]["roleArn"] = role
    assert check(trained)["outcome"] == "PASS"


def test_one_unscoped_grant_beside_scoped_ones_is_enough(aws: Any, world: World) -> None:
    plain = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
    role = _role(aws, "Processor", [*SCOPES["a condition"], plain])
    assert check(_with_role(world, role))["outcome"] == "PASS"


def test_aws_job_policy_with_its_own_condition_is_what_jobs_run_with(
    aws: Any, world: World
) -> None:
    # AmazonSageMakerJobFullAccess grants the nine under aws:ResourceAccount; AWS makes it for
    # job roles, so its condition is not the scoping the processing page warns about.
    iam = aws.client("iam")
    iam.create_role(RoleName="JobRole", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
    iam.attach_role_policy(
        RoleName="JobRole", PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerJobFullAccess"
    )
    role = iam.get_role(RoleName="JobRole")["Role"]["Arn"]
    report = check(_with_role(world, role))
    assert not [f for f in report["findings"] if UNSCOPED_RULE in f["detail"]]
    # Its condition, aws:ResourceAccount equal to ${aws:PrincipalAccount}, holds for the job's
    # own VPC: the role is allowed the nine, no finding at all (red team w63).
    assert (report["outcome"], report["findings"]) == ("PASS", [])


def test_the_lambda_handler_publishes_a_processing_report(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    event = processing_event(world)
    no_endpoint(aws, world, event)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    report = app.lambda_handler(event, FakeContext())
    assert report["outcome"] == "FAIL"
    [envelope] = inbox.envelopes()
    published = json.loads(envelope["Message"])
    validate_report(published)
    assert published["job"]["workload"] == "processing"
    assert envelope["MessageAttributes"]["workload"] == {"Type": "String", "Value": "processing"}
    assert "S3_ENDPOINT_MISSING" in published["summary"]["checks"]["failed"]


def test_with_the_simulator_the_statements_are_read_for_their_scope(aws: Any, world: World) -> None:
    # The simulator (faked: moto lacks it) allows the nine; their scope is in the documents.
    role = _role(aws, "Processor", SCOPES["a condition"])
    calls: Counter[str] = Counter()
    session = counting_session(calls, simulator="allowed")
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    report = handle_event(
        _with_role(world, role), Settings(), clients_factory(session), lock=LocalVpcLock()
    )[0].to_dict()
    [finding] = report["findings"]
    assert (finding["severity"], finding["evidence"]["rule"]) == ("MEDIUM", UNSCOPED_RULE)
    # The simulator's one call, then the role's documents (its one inline policy): 4 reads a
    # training job (no such rule) does not make.
    assert {c: n for c, n in calls.items() if c.startswith("iam.")} == {
        "iam.SimulatePrincipalPolicy": 1,
        "iam.GetRole": 1,
        "iam.ListAttachedRolePolicies": 1,
        "iam.ListRolePolicies": 1,
        "iam.GetRolePolicy": 1,
    }


STOP = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)


def test_a_running_processing_job_certain_to_fail_is_stopped_through_its_own_api(
    aws: Any, world: World
) -> None:
    # An ACL that blocks S3 dooms the job and is never fixed by the guardrail.
    event = processing_event(world)
    nacl_denies_https_out(aws, world, event)
    run_processing_job(aws, world, "demo-processing-job")
    report = check(event, STOP)
    assert report["outcome"] == "FAIL"
    [stop] = [a for a in report["actions"] if a["action"] == "stop-job"]
    assert stop["status"] == "APPLIED", stop
    assert stop["resource"].endswith(":processing-job/demo-processing-job")
    assert stop["details"]["blockingChecks"] == ["NACL_BLOCKS_S3"]
    assert "aws sagemaker create-processing-job" in stop["details"]["restartCommand"]
    assert status(world, "processing", "demo-processing-job") == "Stopped"


def test_a_finished_or_opted_out_processing_job_is_not_stopped(aws: Any, world: World) -> None:
    event = processing_event(world)
    nacl_denies_https_out(aws, world, event)
    arn = run_processing_job(aws, world, "demo-processing-job")
    aws.client("sagemaker").add_tags(
        ResourceArn=arn, Tags=[{"Key": Settings().opt_out_tag_key, "Value": "false"}]
    )
    [stop] = [a for a in check(event, STOP)["actions"] if a["action"] == "stop-job"]
    assert stop["status"] == "SKIPPED" and "tagged" in stop["reason"]
    assert status(world, "processing", "demo-processing-job") == "InProgress"


def test_a_distributed_processing_job_needs_its_group_to_admit_its_own_members(aws: Any) -> None:
    # "The group must allow inbound from members of the same security group" (AWS's
    # processing page): the sample's 2 instances, a group that admits nothing inbound.
    world = build_world(aws, REGION, peer_rule=False)
    report = check(processing_event(world))
    [finding] = [f for f in report["findings"] if f["checkId"] == "SG_PEER_TRAFFIC_BLOCKED"]
    assert (finding["severity"], finding["evidence"]["direction"]) == ("HIGH", "inbound")
    assert report["outcome"] == "FAIL"


# --- The job's own S3 locations: R3 inverted and the endpoint policy ------------------------
def _restricted(world: World, endpoint: str) -> dict[str, Any]:
    """The sample, its bucket's policy denying everything not through `endpoint`."""
    event = processing_event(world)
    policy = deny_unless("aws:SourceVpce", endpoint, PROCESSING_BUCKET)
    boto3.client("s3", region_name=REGION).put_bucket_policy(
        Bucket=PROCESSING_BUCKET, Policy=policy
    )
    return event


def test_a_bucket_policy_demanding_another_endpoint_fails_the_processing_job(
    aws: Any, world: World
) -> None:
    report = check(_restricted(world, OTHER_ENDPOINT))
    [finding] = report["findings"]
    assert (finding["checkId"], finding["severity"]) == ("BUCKET_POLICY_DENIES_JOB_PATH", "HIGH")
    assert finding["resources"] == [PROCESSING_BUCKET]
    assert f"s3:GetObject on arn:aws:s3:::{PROCESSING_BUCKET}/input/*" in finding["detail"]
    assert f"s3:PutObject on arn:aws:s3:::{PROCESSING_BUCKET}/output/*" in finding["detail"]
    # Restricted to the endpoint the job subnets route S3 to: the path AWS recommends.
    passed = check(_restricted(world, str(world.endpoint_id)))
    assert passed["outcome"] == "PASS"
    assert "BUCKET_POLICY_DENIES_JOB_PATH" in passed["summary"]["checks"]["passed"]


def test_an_endpoint_policy_that_admits_only_the_inputs_refuses_the_outputs(
    aws: Any, world: World
) -> None:
    document = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{PROCESSING_BUCKET}/input/*",
            }
        ]
    }
    boto3.client("ec2", region_name=REGION).modify_vpc_endpoint(
        VpcEndpointId=str(world.endpoint_id), PolicyDocument=json.dumps(document)
    )
    [finding] = check(processing_event(world))["findings"]
    assert (finding["checkId"], finding["severity"]) == ("S3_ENDPOINT_POLICY_DENIES", "HIGH")
    assert finding["detail"] == (
        f"{world.endpoint_id} does not allow s3:PutObject on "
        f"arn:aws:s3:::{PROCESSING_BUCKET}/output/* by the job's role."
    )
