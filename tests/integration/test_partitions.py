"""A job in any partition botocore knows (commercial, China, GovCloud, the ISO partitions,
the European Sovereign Cloud) is judged, not skipped, and reported with ARNs of its own
partition end to end on moto: the report, the Security Hub findings (product and resource
ARNs), the SNS message, and the S3 and ECR resources its R3 checks evaluate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend, Zone

from ir_vpc_guard.arns import partitions, role_arn
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery import notify, securityhub
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import (
    MODEL_BUCKET,
    PACKAGE_GROUP,
    ROLE_NAME,
    World,
    allow_eni_attribute,
    build_world,
)
from tests.conftest import load_event

# One region of each partition family; botocore's data decides the partition, this table
# only says which region a test stands in.
FAMILIES = [
    ("eu-west-3", "aws"),
    ("cn-north-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"),
    ("us-iso-east-1", "aws-iso"),
    ("us-isob-east-1", "aws-iso-b"),
    ("eu-isoe-west-1", "aws-iso-e"),
    ("us-isof-south-1", "aws-iso-f"),
    ("eusc-de-east-1", "aws-eusc"),
]
# The partitions' DNS suffixes as AWS publishes them (registry hosts of ECR images).
DNS_SUFFIX = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-us-gov": "amazonaws.com",
    "aws-iso": "c2s.ic.gov",
    "aws-iso-b": "sc2s.sgov.gov",
    "aws-iso-e": "cloud.adc-e.uk",
    "aws-iso-f": "csp.hci.ic.gov",
    "aws-eusc": "amazonaws.eu",
}


def test_every_partition_botocore_knows_has_a_test_here() -> None:
    # A newer botocore that adds a partition fails this until a region of it is tested.
    assert {p for _, p in FAMILIES} == set(partitions())


@pytest.fixture(params=FAMILIES, ids=[p for _, p in FAMILIES])
def place(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, World, str]]:
    region, partition = request.param
    if not RegionsAndZonesBackend.zones.get(region):
        # moto ships no availability zones for the ISO and EUSC regions (its zone table
        # stops at the commercial, China and GovCloud ones): two zones, for the subnets.
        zones = [Zone(region_name=region, name=f"{region}{z}", zone_id=f"az{z}") for z in "ab"]
        monkeypatch.setitem(RegionsAndZonesBackend.zones, region, zones)
    with mock_aws():
        session = boto3.session.Session(region_name=region)
        # No S3 endpoint and HTTPS only inside the VPC: findings on the subnets, groups, VPC.
        world = build_world(session, region, with_endpoint=False, group_egress="vpc-https-only")
        # moto names roles in `aws` for the partitions its own table lacks (aws-iso-e,
        # aws-iso-f); AWS names them in the region's partition, so the event does too.
        world.role_arn = role_arn(partition, world.account, ROLE_NAME)
        # No role finding here, where every resource's partition is asserted.
        allow_eni_attribute(session)
        yield session, world, partition


def _report(session: Any, world: World) -> Report:
    event = world.event(load_event("good_job"))
    return handle_event(
        event, Settings(), lambda r: AwsClients(r, session=session), lock=LocalVpcLock()
    )[0]


def test_the_report_and_security_hub_carry_the_jobs_partition(
    place: tuple[Any, World, str],
) -> None:
    session, world, partition = place
    report = _report(session, world)
    data = report.to_dict()
    assert data["outcome"] == "FAIL"
    assert data["job"]["arn"].startswith(f"arn:{partition}:sagemaker:{world.region}:")
    checks = {f["checkId"] for f in data["findings"]}
    assert {"S3_ENDPOINT_MISSING", "SG_EGRESS_S3_MISSING"} <= checks

    hub = session.client("securityhub", region_name=world.region)
    hub.enable_security_hub()
    result = securityhub.export(hub, report)
    assert result.failed == [] and result.imported > 0
    findings = hub.get_findings()["Findings"]
    assert len(findings) == result.imported
    product = f"arn:{partition}:securityhub:{world.region}:{world.account}:product/"
    assert {f["ProductArn"] for f in findings} == {f"{product}{world.account}/default"}
    resources = [r for f in findings for r in f["Resources"]]
    assert {r["Partition"] for r in resources} == {partition}
    assert all(r["Id"].startswith(f"arn:{partition}:") for r in resources)
    ids = {r["Id"] for r in resources}
    ec2 = f"arn:{partition}:ec2:{world.region}:{world.account}:"
    assert f"{ec2}vpc/{world.vpc_id}" in ids
    assert {f"{ec2}subnet/{s}" for s in world.subnet_ids} <= ids


def test_the_sns_message_names_the_job_in_its_partition(place: tuple[Any, World, str]) -> None:
    session, world, partition = place
    report = _report(session, world)
    sns = session.client("sns", region_name=world.region)
    sqs = session.client("sqs", region_name=world.region)
    topic = sns.create_topic(Name="ir-vpc-guard")["TopicArn"]
    queue = sqs.create_queue(QueueName="reports")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    notify.publish(sns, topic, report)
    [message] = sqs.receive_message(QueueUrl=queue)["Messages"]
    delivered = json.loads(message["Body"])
    assert delivered["job"]["arn"] == report.job["arn"]
    assert delivered["job"]["arn"].startswith(f"arn:{partition}:sagemaker:")


def _vpc_only(resource: str, action: str) -> str:
    """A policy refusing `action` on `resource` outside a VPC endpoint."""
    statement = {
        "Sid": "OnlyThroughTheEndpoint",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
    }
    if resource:
        statement["Resource"] = resource
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_policies_in_the_jobs_partition_are_judged_on_its_arns_and_hosts(
    place: tuple[Any, World, str],
) -> None:
    session, world, partition = place
    region = world.region
    s3 = session.client("s3", region_name=region)
    s3.put_bucket_policy(
        Bucket=MODEL_BUCKET, Policy=_vpc_only(f"arn:{partition}:s3:::{MODEL_BUCKET}/*", "s3:*")
    )
    ecr = session.client("ecr", region_name=region)
    ecr.create_repository(repositoryName="serving")
    ecr.set_repository_policy(repositoryName="serving", policyText=_vpc_only("", "ecr:*"))
    # The image as AWS names it in this partition: the registry host ends in its DNS suffix.
    image = f"{world.account}.dkr.ecr.{region}.{DNS_SUFFIX[partition]}/serving:1"
    sagemaker = session.client("sagemaker", region_name=region)
    world.model_package_arn = sagemaker.create_model_package(
        ModelPackageGroupName=PACKAGE_GROUP,
        InferenceSpecification={
            "Containers": [
                {"Image": image, "ModelDataUrl": f"s3://{MODEL_BUCKET}/model/model.tar.gz"}
            ],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]

    findings = {f["checkId"]: f for f in _report(session, world).to_dict()["findings"]}
    artifact = findings["MODEL_ARTIFACT_VPC_RESTRICTED"]
    assert artifact["severity"] == "HIGH"
    assert artifact["evidence"]["resources"] == [
        f"arn:{partition}:s3:::{MODEL_BUCKET}/model/model.tar.gz"
    ]
    assert findings["IMAGE_VPC_RESTRICTED"]["resources"] == ["serving"]
