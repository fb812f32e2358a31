"""A distributed training job through the Lambda handler: a group that does not admit its own
members fails the job's report (R7 peers), apply mode adds the one self-referencing inbound
rule, and the same job then passes; a dedicated-tenancy VPC fails it (R2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import build_world
from tests.conftest import REGION
from tests.integration.test_training import training_event
from tests.lambda_context import Inbox, deploy
from tests.report_schema import validate_report

PEERS = "SG_PEER_TRAFFIC_BLOCKED"


def published(inbox: Inbox) -> list[dict[str, Any]]:
    reports = [json.loads(e["Message"]) for e in inbox.envelopes()]
    for report in reports:
        validate_report(report)
    return reports


def test_a_two_instance_job_without_its_peer_rule_is_fixed_and_then_passes(
    aws: Any, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    world = build_world(aws, REGION, peer_rule=False)
    group = world.group_ids[0]
    event = training_event(world)
    assert event["detail"]["requestParameters"]["resourceConfig"]["instanceCount"] == 2
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        IDEMPOTENCY_TABLE=table,
        REMEDIATION_MODE="apply",
        NOTIFY_ON="all",
    )
    app.lambda_handler(event, FakeContext())
    [fixed] = published(inbox)
    # The re-check after the write finds nothing left: the report says what was done.
    assert (fixed["outcome"], fixed["findings"]) == ("REMEDIATED", [])
    [action] = fixed["actions"]
    assert (action["checkId"], action["action"], action["status"]) == (
        PEERS,
        "add-peer-ingress-rule",
        "APPLIED",
    )
    rules = aws.client("ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    [rule] = rules["IpPermissions"]
    assert rule["IpProtocol"] == "-1" and not rule["IpRanges"] and not rule["PrefixListIds"]
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [group]

    again = training_event(world)  # a new job in the same VPC
    again["detail"]["eventID"] = "8d2f6b3c-4e5a-4b7c-9d0e-1f2a3b4c5d6e"
    again["detail"]["requestParameters"]["trainingJobName"] = "demo-training-job-2"
    arn = again["detail"]["responseElements"]["trainingJobArn"]
    again["detail"]["responseElements"]["trainingJobArn"] = f"{arn}-2"
    app.lambda_handler(again, FakeContext())
    [second] = published(inbox)
    assert second["outcome"] == "PASS" and second["findings"] == []
    assert PEERS in second["summary"]["checks"]["passed"]


def test_a_training_job_in_a_dedicated_vpc_fails_through_the_handler(
    aws: Any, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    world = build_world(aws, REGION, tenancy="dedicated")
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    report = app.lambda_handler(training_event(world), FakeContext())
    assert report["outcome"] == "FAIL"
    [message] = published(inbox)
    assert [f["checkId"] for f in message["findings"]] == ["VPC_TENANCY_NOT_DEFAULT"]
