"""Logs at INFO never carry a policy or the event's free text, and every line says which
event (correlation id = CloudTrail eventID) and which job it is about."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import MODEL_BUCKET, ROLE_NAME, World, build_world
from tests.conftest import REGION, load_event
from tests.lambda_context import Inbox, create_table, deploy, follow_stdout, log_lines

POLICY_MARKER = "LeakMarkerPolicy7f3a"
ROLE_MARKER = "LeakMarkerRole9c2e"
EVENT_MARKER = "LeakMarkerEvent-free text from the caller 41d8"


def mark(aws: Any, world: World) -> None:
    """A bucket policy that only allows the VPC endpoint, and a role inline policy, each
    carrying a marker string."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": POLICY_MARKER,
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{MODEL_BUCKET}/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": f"vpce-{POLICY_MARKER}"}},
            }
        ],
    }
    aws.client("s3").put_bucket_policy(Bucket=MODEL_BUCKET, Policy=json.dumps(policy))
    aws.client("iam").put_role_policy(
        RoleName=ROLE_NAME,
        PolicyName=ROLE_MARKER,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": ROLE_MARKER, "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
                ],
            }
        ),
    )


def marked_event(world: World) -> dict[str, Any]:
    event = world.event(load_event("good_job"))
    params = event["detail"]["requestParameters"]
    params["jobDescription"] = EVENT_MARKER
    params["tags"] = [{"key": "note", "value": EVENT_MARKER}]
    return event


@pytest.fixture
def marked(aws: Any) -> tuple[dict[str, Any], Inbox, str]:
    world = build_world(aws, REGION)
    mark(aws, world)
    return marked_event(world), Inbox(aws), create_table(aws)


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_info_lines_hold_no_policy_and_no_event_text(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    marked: tuple[dict[str, Any], Inbox, str],
    level: str,
) -> None:
    event, inbox, table = marked
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        IDEMPOTENCY_TABLE=table,
        POWERTOOLS_LOG_LEVEL=level,
    )
    follow_stdout(app)
    capsys.readouterr()
    report = app.lambda_handler(event, FakeContext())
    lines = log_lines(capsys.readouterr().out)

    assert report["outcome"] == "FAIL"  # the bucket policy is VPC-restricted
    [envelope] = inbox.envelopes()
    assert POLICY_MARKER in envelope["Message"]  # the evidence had it: the test can see it
    info = [line for line in lines if line["level"] != "DEBUG"]
    assert any(line["message"] == "report" for line in info)
    for line in info:
        text = json.dumps(line)
        for marker in (POLICY_MARKER, ROLE_MARKER, EVENT_MARKER):
            assert marker not in text, line["message"]
    if level == "DEBUG":  # DEBUG may have more: the whole report
        assert any(POLICY_MARKER in json.dumps(line) for line in lines)
    for line in lines:
        assert line["correlation_id"] == event["detail"]["eventID"]
        assert line["job"] == "demo-ir-job"


def test_report_line_says_what_an_operator_needs(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    marked: tuple[dict[str, Any], Inbox, str],
) -> None:
    event, inbox, _ = marked
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn)
    follow_stdout(app)
    capsys.readouterr()
    app.lambda_handler(event, FakeContext())
    [line] = [x for x in log_lines(capsys.readouterr().out) if x["message"] == "report"]
    assert line["outcome"] == "FAIL" and line["findings"] >= 1
    assert "MODEL_ARTIFACT_VPC_RESTRICTED" in line["checkIds"]
    assert line["maxSeverity"] == "HIGH" and line["vpc"].startswith("vpc-")


@pytest.mark.parametrize(
    "shape", ["not-json-object", "no-detail", "odd-event-id", "unrelated", "marker-in-params"]
)
def test_odd_events_still_say_which_event_and_leak_nothing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    aws: Any,
    shape: str,
) -> None:
    base = load_event("good_job")
    event: Any = {
        "not-json-object": [EVENT_MARKER],
        "no-detail": {"id": "envelope-id-1", "source": EVENT_MARKER},
        "odd-event-id": {**base, "detail": {**base["detail"], "eventID": EVENT_MARKER * 20}},
        "unrelated": load_event("unrelated_event"),
        "marker-in-params": copy.deepcopy(base),
    }[shape]
    if shape == "marker-in-params":  # a failed call whose parameters carry free text
        event["detail"]["errorCode"] = EVENT_MARKER
        event["detail"]["requestParameters"]["jobDescription"] = EVENT_MARKER
    app = deploy(monkeypatch, TOPIC_ARN=Inbox(aws).topic_arn, NOTIFY_ON="all")
    follow_stdout(app)
    capsys.readouterr()
    report = app.lambda_handler(event, FakeContext())
    lines = log_lines(capsys.readouterr().out)
    assert lines and report["outcome"] == ("FAIL" if shape == "odd-event-id" else "SKIPPED")
    expected = {
        "not-json-object": "unknown",
        "no-detail": "envelope-id-1",
        "odd-event-id": base["id"],  # too long for a correlation id: the envelope's id
        "unrelated": load_event("unrelated_event")["detail"]["eventID"],
        "marker-in-params": base["detail"]["eventID"],
    }[shape]
    for line in lines:
        assert line["correlation_id"] == expected
        assert "job" in line
        assert EVENT_MARKER not in json.dumps(line)
