"""A job in China or GovCloud is reported with ARNs of its own partition, end to end on
moto: the report, the Security Hub findings (product and resource ARNs) and the SNS message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery import notify, securityhub
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard_dev.sandbox import World, allow_eni_attribute, build_world
from tests.conftest import load_event

PARTITIONS = [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-3", "aws")]


@pytest.fixture(params=PARTITIONS, ids=[p for _, p in PARTITIONS])
def place(request: pytest.FixtureRequest) -> Iterator[tuple[Any, World, str]]:
    region, partition = request.param
    with mock_aws():
        session = boto3.session.Session(region_name=region)
        # No S3 endpoint and HTTPS only inside the VPC: findings on the subnets, groups, VPC.
        world = build_world(session, region, with_endpoint=False, group_egress="vpc-https-only")
        # moto's roles outside `aws`/`aws-cn` carry `arn:aws:` ARNs (a moto gap): no role
        # finding here, where every resource's partition is asserted.
        allow_eni_attribute(session)
        yield session, world, partition


def _report(session: Any, world: World) -> dict[str, Any]:
    event = world.event(load_event("good_job"))
    report = handle_event(event, Settings(), lambda r: AwsClients(r, session=session))
    return report.to_dict()


def test_the_report_and_security_hub_carry_the_jobs_partition(
    place: tuple[Any, World, str],
) -> None:
    session, world, partition = place
    report = _report(session, world)
    assert report["outcome"] == "FAIL"
    assert report["job"]["arn"].startswith(f"arn:{partition}:sagemaker:{world.region}:")

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
    assert topic.startswith(f"arn:{partition}:sns:{world.region}:")
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
    assert delivered["job"]["arn"] == report["job"]["arn"]
    assert delivered["job"]["arn"].startswith(f"arn:{partition}:sagemaker:")
