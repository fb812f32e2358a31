"""A training job's data path on moto worlds (docs/workloads.md): its own buckets' policies
against the way its subnets reach S3 (R3 inverted), the S3 endpoint policy against its own
URIs, network isolation, and a private registry's credentials Lambda."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.test_s3_paths import _default_route, _peering, nat_gateway
from tests.integration.test_training import TRAINING_BUCKET, training_event
from tests.reliability.faults import access_denied
from tests.report_schema import validate_report
from tests.vpc_owner import OWNER, owner_session

CHECK = "BUCKET_POLICY_DENIES_JOB_PATH"
OTHER_ENDPOINT = "vpce-0fedcba9876543210"
LAMBDA_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:registry-credentials"


def run(
    event: dict[str, Any],
    calls: Counter[str] | None = None,
    hooks: dict[str, Callable[..., Any]] | None = None,
) -> dict[str, Any]:
    """The report of `event`, its calls counted in `calls`, `hooks` on the session."""
    session = counting_session(calls if calls is not None else Counter())
    # moto lacks DescribeSecurityGroupVpcAssociations: its narrow fake (no group associated).
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    for name, hook in (hooks or {}).items():
        session.events.register(name, hook)
    (checked,) = handle_event(event, Settings(), clients_factory(session), lock=LocalVpcLock())
    report = checked.to_dict()
    validate_report(report)
    return report


def findings(report: dict[str, Any], check_id: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["checkId"] == check_id]


def deny_unless(key: str, value: str, bucket: str = TRAINING_BUCKET) -> str:
    """AWS's sample: deny every S3 action on the bucket unless the condition holds."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "OnlyFromOurNetwork",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"StringNotEquals": {key: value}},
                }
            ],
        }
    )


def with_policy(world: World, policy: str) -> dict[str, Any]:
    event = training_event(world)
    boto3.client("s3", region_name=REGION).put_bucket_policy(Bucket=TRAINING_BUCKET, Policy=policy)
    return event


def nat_world(aws: Any) -> World:
    """No S3 gateway endpoint: the job subnets reach S3 (and the internet) through a public
    NAT gateway whose own subnet routes to an internet gateway."""
    world = build_world(aws, REGION, with_endpoint=False)
    _default_route(aws, world, NatGatewayId=nat_gateway(aws, world))
    return world


# --- R3 inverted: the job's own buckets ---------------------------------------------------
def test_a_policy_restricted_to_the_jobs_own_endpoint_passes(aws: Any, world: World) -> None:
    report = run(with_policy(world, deny_unless("aws:SourceVpce", str(world.endpoint_id))))
    assert report["outcome"] == "PASS"
    assert CHECK in report["summary"]["checks"]["passed"]


def test_a_policy_restricted_to_the_jobs_own_vpc_passes(aws: Any, world: World) -> None:
    report = run(with_policy(world, deny_unless("aws:SourceVpc", world.vpc_id)))
    assert report["outcome"] == "PASS"
    assert CHECK in report["summary"]["checks"]["passed"]


def test_a_policy_demanding_another_endpoint_is_high(aws: Any, world: World) -> None:
    report = run(with_policy(world, deny_unless("aws:SourceVpce", OTHER_ENDPOINT)))
    [finding] = findings(report, CHECK)
    assert (finding["severity"], report["outcome"]) == ("HIGH", "FAIL")
    assert finding["resources"] == [TRAINING_BUCKET]
    assert finding["evidence"]["statements"] == ["OnlyFromOurNetwork"]
    assert [w["via"] for w in finding["evidence"]["ways"]] == [world.endpoint_id]
    assert "undetermined" not in finding["evidence"]
    assert "s3:GetObject on arn:aws:s3:::demo-training-data/train/*" in finding["detail"]
    assert "s3:PutObject on arn:aws:s3:::demo-training-data/output/*" in finding["detail"]
    assert "put-bucket-policy" in finding["remediation"]["command"]


def test_a_policy_demanding_an_endpoint_while_the_subnets_use_nat_is_high(aws: Any) -> None:
    world = nat_world(aws)
    report = run(with_policy(world, deny_unless("aws:SourceVpce", OTHER_ENDPOINT)))
    [finding] = findings(report, CHECK)
    assert finding["severity"] == "HIGH"
    assert finding["evidence"]["ways"][0]["via"].startswith("nat-")
    assert "no VPC key (NAT)" in finding["detail"]
    # The NAT path itself is S3_ENDPOINT_MISSING's LOW advisory, as for any job.
    assert [f["severity"] for f in findings(report, "S3_ENDPOINT_MISSING")] == ["LOW"]
    # Without the restriction, the NAT path is only that advisory.
    boto3.client("s3", region_name=REGION).delete_bucket_policy(Bucket=TRAINING_BUCKET)
    assert findings(run(training_event(world)), CHECK) == []


def test_a_condition_on_a_key_the_product_cannot_know_is_medium(aws: Any, world: World) -> None:
    report = run(with_policy(world, deny_unless("aws:PrincipalOrgID", "o-a1b2c3d4e5")))
    [finding] = findings(report, CHECK)
    assert (finding["severity"], report["outcome"]) == ("MEDIUM", "WARN")
    assert "aws:principalorgid" in finding["evidence"]["undetermined"].lower()


def test_a_bucket_of_another_account_is_medium(aws: Any, world: World, monkeypatch: Any) -> None:
    # S3 lets only the owner's account read a bucket policy: moto answers AccessDenied to
    # another account once cross-account access is off, as AWS does.
    monkeypatch.setenv("MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS", "false")
    theirs = owner_session(aws).client("s3")
    theirs.create_bucket(Bucket="partner-shared-data")
    theirs.put_bucket_policy(
        Bucket="partner-shared-data",
        Policy=deny_unless("aws:SourceVpce", OTHER_ENDPOINT, "partner-shared-data"),
    )
    event = training_event(world)
    event["detail"]["requestParameters"]["inputDataConfig"][0]["dataSource"]["s3DataSource"][
        "s3Uri"
    ] = "s3://partner-shared-data/train/"
    calls: Counter[str] = Counter()
    report = run(event, calls)
    [finding] = findings(report, CHECK)
    assert (finding["severity"], finding["resources"]) == ("MEDIUM", ["partner-shared-data"])
    assert "only its owner" in finding["evidence"]["undetermined"]
    assert OWNER not in json.dumps(finding)  # the owner is not known, only that it is not us
    assert calls["s3.GetBucketPolicy"] == 2 and calls["s3.ListBuckets"] == 1


def test_a_refused_policy_read_of_our_own_bucket_is_a_check_error(aws: Any, world: World) -> None:
    calls: Counter[str] = Counter()
    hooks = {"before-call.s3.GetBucketPolicy": access_denied("GetBucketPolicy")}
    report = run(training_event(world), calls, hooks)
    [error] = findings(report, "CHECK_ERROR")
    assert (error["evidence"]["api"], error["evidence"]["errorCode"]) == (
        "s3:GetBucketPolicy",
        "AccessDenied",
    )
    assert error["evidence"]["checks"] == [CHECK]
    assert findings(report, CHECK) == [] and report["outcome"] == "ERROR"
    assert calls["s3.ListBuckets"] == 1  # the bucket is ours: the refusal is the guardrail's


def test_an_ir_job_reads_no_policy_of_a_training_bucket_and_lists_no_new_check(
    aws: Any, world: World
) -> None:
    with_policy(world, deny_unless("aws:SourceVpce", OTHER_ENDPOINT))
    report = run(world.event(load_event("good_job")))
    listed = {c for names in report["summary"]["checks"].values() for c in names}
    assert not {CHECK, "REGISTRY_AUTH_LAMBDA_UNREACHABLE"} & listed


# --- R5: the endpoint policy against the job's own URIs -------------------------------------
def _endpoint_policy(world: World, resources: list[str], actions: list[str]) -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": actions, "Resource": resources}
        ]
    }
    boto3.client("ec2", region_name=REGION).modify_vpc_endpoint(
        VpcEndpointId=str(world.endpoint_id), PolicyDocument=json.dumps(document)
    )


def test_an_endpoint_policy_that_lets_through_only_reads_refuses_the_output(
    aws: Any, world: World
) -> None:
    _endpoint_policy(world, [f"arn:aws:s3:::{TRAINING_BUCKET}/*"], ["s3:GetObject"])
    report = run(training_event(world))
    [finding] = findings(report, "S3_ENDPOINT_POLICY_DENIES")
    assert finding["severity"] == "HIGH"
    assert finding["detail"] == (
        f"{world.endpoint_id} does not allow s3:PutObject on "
        f"arn:aws:s3:::{TRAINING_BUCKET}/output/* by the job's role."
    )
    # Both actions on the bucket: the job's reads and writes go through.
    _endpoint_policy(world, [f"arn:aws:s3:::{TRAINING_BUCKET}/*"], ["s3:GetObject", "s3:PutObject"])
    passed = run(training_event(world))
    assert "S3_ENDPOINT_POLICY_DENIES" in passed["summary"]["checks"]["passed"]


def test_locations_without_a_trailing_slash_are_prefixes_never_a_certain_refusal(
    aws: Any, world: World
) -> None:
    # The SDK's usual URIs: s3://bucket/train and s3://bucket/output name prefixes (SageMaker
    # reads the objects under one and writes its own keys under the other).
    event = training_event(world)
    params = event["detail"]["requestParameters"]
    params["inputDataConfig"][0]["dataSource"]["s3DataSource"]["s3Uri"] = (
        f"s3://{TRAINING_BUCKET}/train"
    )
    params["outputDataConfig"]["s3OutputPath"] = f"s3://{TRAINING_BUCKET}/output"
    _endpoint_policy(
        world,
        [f"arn:aws:s3:::{TRAINING_BUCKET}/train/*", f"arn:aws:s3:::{TRAINING_BUCKET}/output/*"],
        ["s3:GetObject", "s3:PutObject"],
    )
    report = run(event)
    # Whether the keys SageMaker uses all fall under train/ and output/ is not known: MEDIUM.
    assert [f["severity"] for f in findings(report, "S3_ENDPOINT_POLICY_DENIES")] == ["MEDIUM"]
    # A policy covering the bucket lets every key under either prefix through.
    _endpoint_policy(world, [f"arn:aws:s3:::{TRAINING_BUCKET}/*"], ["s3:GetObject", "s3:PutObject"])
    assert "S3_ENDPOINT_POLICY_DENIES" in run(event)["summary"]["checks"]["passed"]


# --- EnableNetworkIsolation changes nothing about the S3 path ------------------------------
def test_network_isolation_keeps_the_s3_path_high(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    event = training_event(world)
    event["detail"]["requestParameters"]["enableNetworkIsolation"] = True
    report = run(event)
    assert [f["severity"] for f in findings(report, "S3_ENDPOINT_MISSING")] == ["HIGH"]
    assert report["outcome"] == "FAIL"


# --- A private registry's credentials Lambda ------------------------------------------------
def private_registry(world: World) -> dict[str, Any]:
    event = training_event(world)
    event["detail"]["requestParameters"]["algorithmSpecification"]["trainingImageConfig"] = {
        "trainingRepositoryAccessMode": "Vpc",
        "trainingRepositoryAuthConfig": {"trainingRepositoryCredentialsProviderArn": LAMBDA_ARN},
    }
    event["detail"]["requestParameters"]["algorithmSpecification"]["trainingImage"] = (
        "registry.corp.example:5000/train:1"
    )
    return event


def _lambda_endpoint(world: World, private_dns: bool = True) -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    endpoint: str = ec2.create_vpc_endpoint(
        VpcId=world.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.lambda",
        VpcEndpointType="Interface",
        SubnetIds=world.subnet_ids,
        SecurityGroupIds=world.group_ids,
        PrivateDnsEnabled=private_dns,
    )["VpcEndpoint"]["VpcEndpointId"]
    return endpoint


def _hostnames(world: World) -> None:
    boto3.client("ec2", region_name=REGION).modify_vpc_attribute(
        VpcId=world.vpc_id, EnableDnsHostnames={"Value": True}
    )


LAMBDA_CHECK = "REGISTRY_AUTH_LAMBDA_UNREACHABLE"


def test_no_lambda_endpoint_and_no_nat_is_high(aws: Any, world: World) -> None:
    calls: Counter[str] = Counter()
    report = run(private_registry(world), calls)
    [finding] = findings(report, LAMBDA_CHECK)
    assert (finding["severity"], report["outcome"]) == ("HIGH", "FAIL")
    assert "registry host is not checked" in finding["detail"]
    assert "--service-name com.amazonaws.us-east-1.lambda" in finding["remediation"]["command"]
    # Two reads more than any training job: the Lambda endpoints and enableDnsHostnames.
    assert sum(calls.values()) == 13, calls


def test_a_lambda_endpoint_with_private_dns_on_a_vpc_with_dns_hostnames_passes(
    aws: Any, world: World
) -> None:
    _lambda_endpoint(world)
    _hostnames(world)
    report = run(private_registry(world))
    assert LAMBDA_CHECK in report["summary"]["checks"]["passed"]


def test_a_lambda_endpoint_whose_private_dns_cannot_answer_is_medium(
    aws: Any, world: World
) -> None:
    # enableDnsHostnames is off (a new VPC's default): the endpoint's private DNS does not
    # answer lambda.<region>.amazonaws.com; a DNS mapping of the customer's own might.
    endpoint = _lambda_endpoint(world)
    [finding] = findings(run(private_registry(world)), LAMBDA_CHECK)
    assert finding["severity"] == "MEDIUM"
    assert finding["evidence"]["lambdaEndpoints"] == [endpoint]
    assert finding["evidence"]["enableDnsHostnames"] is False
    assert "DNS mapping" in finding["evidence"]["undetermined"]
    assert "--enable-dns-hostnames" in finding["remediation"]["command"]


def test_a_nat_path_to_the_lambda_is_low(aws: Any) -> None:
    world = nat_world(aws)
    [finding] = findings(run(private_registry(world)), LAMBDA_CHECK)
    assert finding["severity"] == "LOW"
    assert set(finding["evidence"]["internetPath"].values()) == {"nat-gateway"}


def test_platform_mode_reads_nothing_more_and_names_the_check_not_evaluated(
    aws: Any, world: World
) -> None:
    calls: Counter[str] = Counter()
    report = run(training_event(world), calls)
    assert sum(calls.values()) == 11
    reason = report["summary"]["checks"]["notEvaluated"][LAMBDA_CHECK]
    assert reason == "the job names no private registry credentials Lambda"


@pytest.mark.parametrize("mode", ["Platform", "Vpc"])
def test_without_a_credentials_lambda_no_lambda_read_is_made(
    aws: Any, world: World, mode: str
) -> None:
    event = private_registry(world)
    config = event["detail"]["requestParameters"]["algorithmSpecification"]["trainingImageConfig"]
    config["trainingRepositoryAccessMode"] = mode
    if mode == "Vpc":
        del config["trainingRepositoryAuthConfig"]
    calls: Counter[str] = Counter()
    run(event, calls)
    assert calls["ec2.DescribeVpcEndpoints"] == 1 and calls["ec2.DescribeVpcAttribute"] == 1


def test_a_route_to_another_vpc_may_lead_to_a_shared_lambda_endpoint(
    aws: Any, world: World
) -> None:
    # Hub-and-spoke networks share one Lambda endpoint through peering or a transit gateway
    # with a private hosted zone: not visible from this VPC, so not a certain HIGH.
    aws.client("ec2").create_route(
        RouteTableId=world.route_table_ids[0],
        DestinationCidrBlock="10.8.0.0/16",
        VpcPeeringConnectionId=_peering(aws, world),
    )
    [finding] = findings(run(private_registry(world)), LAMBDA_CHECK)
    assert finding["severity"] == "MEDIUM"
    assert "Lambda interface endpoint of another VPC" in finding["evidence"]["undetermined"]
