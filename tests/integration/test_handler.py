"""The Lambda handler end to end on moto: event → report → SNS → an SQS subscriber."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from ir_vpc_guard.application import App
from ir_vpc_guard.settings import SettingsError
from ir_vpc_guard_dev import lambda_runtime
from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from ir_vpc_guard_dev.sandbox import allow_eni_attribute, build_world
from tests.conftest import REGION, ROLE_ADVISORY, load_event
from tests.lambda_context import (
    Inbox,
    deploy,
    emf_blobs,
    follow_stdout,
    import_handler,
    log_lines,
    metric_names,
    topic_client,
)
from tests.report_schema import validate_report

HANDLER_MAX_LINES = 150


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, inbox: Inbox) -> App:
    """The handler publishing to the inbox's topic, with no records table. Its logger keeps
    the stream of its cold start: follow_stdout moves it to the test's capsys stream."""
    return deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn)


@pytest.fixture
def broken_event(aws: Any) -> dict[str, Any]:
    """A world without the S3 gateway endpoint: the job fails S3_ENDPOINT_MISSING (alone:
    its role also holds the action AWS's managed policy lacks)."""
    event = build_world(aws, REGION, with_endpoint=False).event(load_event("good_job"))
    allow_eni_attribute(aws)
    return event


def sent_messages(app: Any) -> list[dict[str, Any]]:
    """Record every sns:Publish the handler makes, as the API parameters."""
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(copy.deepcopy(params))

    topic_client(app).meta.events.register("provide-client-params.sns.Publish", record)
    return sent


def test_compliant_job_passes_and_is_not_published_by_default(
    aws: Any,
    monkeypatch: pytest.MonkeyPatch,
    good_event: dict[str, Any],
    inbox: Inbox,
    table: str,
) -> None:
    allow_eni_attribute(aws)  # nothing at all to report, not even the role's LOW advisory
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    report = app.lambda_handler(good_event, FakeContext())
    assert report["outcome"] == "PASS" and report["findings"] == []
    assert inbox.envelopes() == []


def test_a_pass_with_only_the_roles_advisory_is_not_published(
    monkeypatch: pytest.MonkeyPatch, good_event: dict[str, Any], inbox: Inbox
) -> None:
    """A role with only AWS's AmazonSageMakerFullAccess, the most common role there is: PASS
    with its quiet LOW advisory in the report, and no message under NOTIFY_ON=findings (a
    message for every healthy job would bury the ones that matter)."""
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn)
    report = app.lambda_handler(good_event, FakeContext())
    assert report["outcome"] == "PASS"
    assert [f["checkId"] for f in report["findings"]] == [ROLE_ADVISORY]
    assert inbox.envelopes() == []
    loud = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, NOTIFY_ON="all")
    loud.lambda_handler({**good_event, "id": "another-event"}, FakeContext())
    [envelope] = inbox.envelopes()
    assert envelope["MessageAttributes"]["maxSeverity"]["Value"] == "LOW"


def test_notify_on_all_publishes_a_pass(
    aws: Any, monkeypatch: pytest.MonkeyPatch, good_event: dict[str, Any], inbox: Inbox
) -> None:
    allow_eni_attribute(aws)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, NOTIFY_ON="all")
    report = app.lambda_handler(good_event, FakeContext())
    [envelope] = inbox.envelopes()
    assert report["outcome"] == "PASS"
    assert envelope["Subject"] == f"IR VPC Guard PASS: demo-ir-job in {ACCOUNT}"
    assert envelope["MessageAttributes"]["outcome"] == {"Type": "String", "Value": "PASS"}
    assert envelope["MessageAttributes"]["maxSeverity"]["Value"] == "NONE"


def test_broken_world_fails_with_one_message_for_every_subscriber(
    monkeypatch: pytest.MonkeyPatch, broken_event: dict[str, Any], inbox: Inbox, table: str
) -> None:
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    sent = sent_messages(app)
    report = app.lambda_handler(broken_event, FakeContext())
    assert report["outcome"] == "FAIL"
    assert [f["checkId"] for f in report["findings"]] == ["S3_ENDPOINT_MISSING"]

    [envelope] = inbox.envelopes()  # exactly one message for the job, not one per finding
    subject = envelope["Subject"]
    assert len(subject) < 100 and subject.isascii() and subject.isprintable()
    assert "FAIL" in subject and "demo-ir-job" in subject and ACCOUNT in subject
    assert envelope["MessageAttributes"] == {
        "outcome": {"Type": "String", "Value": "FAIL"},
        "maxSeverity": {"Type": "String", "Value": "HIGH"},
        "account": {"Type": "String", "Value": ACCOUNT},
        "trigger": {"Type": "String", "Value": "event"},
    }
    delivered = json.loads(envelope["Message"])  # the SQS body's Message: the JSON report
    validate_report(delivered)
    assert delivered == report

    [params] = sent
    assert params["MessageStructure"] == "json"
    bodies = json.loads(params["Message"])
    assert set(bodies) == {"default", "email", "sqs", "lambda", "https"}
    assert bodies["default"] == bodies["email"]
    for protocol in ("sqs", "lambda", "https"):
        assert json.loads(bodies[protocol]) == report
    text = bodies["email"]
    assert not text.lstrip().startswith("{")  # a person's text, not JSON
    finding_lines = [line for line in text.splitlines() if line.startswith("- [")]
    assert finding_lines == [f"- [HIGH] S3_ENDPOINT_MISSING: {report['findings'][0]['detail']}"]
    assert report["job"]["vpc"] in text and "create-vpc-endpoint" in text


def test_metrics_name_the_outcome_findings_and_remediations(
    broken_event: dict[str, Any], app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    app.lambda_handler(broken_event, FakeContext())
    blobs = emf_blobs(capsys.readouterr().out)
    values = metric_names(blobs)
    assert values["Outcome_FAIL"] == 1.0
    assert values["Finding_S3_ENDPOINT_MISSING"] == 1.0
    assert values["Severity_HIGH"] == 1.0
    assert values["RemediationsApplied"] == 0.0 and values["RemediationsFailed"] == 0.0
    assert values["ReportsPublished"] == 1.0
    report_blob = next(b for b in blobs if "Outcome_FAIL" in b)
    directive = report_blob["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "IrVpcGuard"
    assert directive["Dimensions"] == [["service"]]  # no per-job dimension: alarms can key on it


def test_apply_mode_counts_the_applied_remediation(
    monkeypatch: pytest.MonkeyPatch,
    broken_event: dict[str, Any],
    inbox: Inbox,
    table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        IDEMPOTENCY_TABLE=table,
        REMEDIATION_MODE="apply",
    )
    capsys.readouterr()
    report = app.lambda_handler(broken_event, FakeContext())
    values = metric_names(emf_blobs(capsys.readouterr().out))
    assert report["outcome"] == "REMEDIATED"
    assert values["Outcome_REMEDIATED"] == 1.0
    assert values["RemediationsApplied"] >= 1.0
    [envelope] = inbox.envelopes()  # something was changed: published under "findings"
    assert envelope["MessageAttributes"]["outcome"]["Value"] == "REMEDIATED"


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "not an event",
        {},
        {"detail": "not a record"},
        {"detail": {"eventID": {"nested": True}}, "source": "aws.sagemaker"},
        load_event("unrelated_event"),
        load_event("failed_call"),
        load_event("no_vpc_config"),
    ],
    ids=["null", "list", "string", "empty", "bad-detail", "odd-id", "unrelated", "failed", "novpc"],
)
def test_malformed_or_unrelated_events_are_skipped_not_raised(
    monkeypatch: pytest.MonkeyPatch, aws: Any, inbox: Inbox, table: str, event: Any
) -> None:
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table, NOTIFY_ON="all")
    report = app.lambda_handler(event, FakeContext())
    assert report["outcome"] == "SKIPPED" and report["reason"]
    validate_report(report)
    [envelope] = inbox.envelopes()  # NOTIFY_ON=all: even a skipped event is said
    assert envelope["Subject"].startswith("IR VPC Guard SKIPPED: ")


def test_event_about_another_account_is_skipped(good_event: dict[str, Any], app: App) -> None:
    foreign = copy.deepcopy(good_event)
    foreign["account"] = foreign["detail"]["recipientAccountId"] = "210987654321"
    report = app.lambda_handler(foreign, FakeContext())
    assert report["outcome"] == "SKIPPED" and "another account" in report["reason"]


def test_without_a_topic_the_report_is_returned(
    monkeypatch: pytest.MonkeyPatch, broken_event: dict[str, Any]
) -> None:
    app = deploy(monkeypatch, TOPIC_ARN=None, IDEMPOTENCY_TABLE=None)
    report = app.lambda_handler(broken_event, FakeContext())
    assert report["outcome"] == "FAIL"


def test_a_bad_setting_fails_the_cold_start(monkeypatch: pytest.MonkeyPatch, aws: Any) -> None:
    with pytest.raises(SettingsError, match="NOTIFY_ON"):
        deploy(monkeypatch, NOTIFY_ON="sometimes")


def test_a_check_that_cannot_stop_a_job_in_stop_on_checks_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch, aws: Any
) -> None:
    with pytest.raises(SettingsError, match=r"STOP_ON_CHECKS names .*VPC_CUSTOM_DNS"):
        deploy(monkeypatch, STOP_ON_CHECKS="SUBNET_NOT_FOUND,VPC_CUSTOM_DNS")


def test_an_unknown_workload_in_workloads_fails_the_cold_start(
    monkeypatch: pytest.MonkeyPatch, aws: Any
) -> None:
    with pytest.raises(SettingsError, match="WORKLOADS has unknown workloads labeling"):
        deploy(monkeypatch, WORKLOADS="training,labeling")


def test_a_second_event_about_a_reported_job_is_marked_as_a_repeat(
    monkeypatch: pytest.MonkeyPatch, broken_event: dict[str, Any], inbox: Inbox, table: str
) -> None:
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    first = app.lambda_handler(broken_event, FakeContext())
    duplicate = app.lambda_handler(broken_event, FakeContext())  # same event ID: idempotency
    assert duplicate == first
    [envelope] = inbox.envelopes()
    assert envelope["Subject"] == f"IR VPC Guard FAIL: demo-ir-job in {ACCOUNT}"
    assert "repeat" not in first and "repeat" not in envelope["MessageAttributes"]

    again = copy.deepcopy(broken_event)  # CloudTrail record of the same job, another ID
    again["detail"]["eventID"] = again["id"] = "6f1d2c3b-0000-4000-8000-000000000002"
    second = app.lambda_handler(again, FakeContext())
    assert second["repeat"] is True and second["outcome"] == "FAIL"
    validate_report(second)
    [envelope] = inbox.envelopes()
    assert envelope["Subject"] == f"IR VPC Guard FAIL (repeat): demo-ir-job in {ACCOUNT}"
    assert envelope["MessageAttributes"]["repeat"] == {"Type": "String", "Value": "true"}
    assert "Repeat: this job was already reported" in inbox.emails()[-1]


def test_a_64_character_job_name_is_checked_and_logged(
    broken_event: dict[str, Any], inbox: Inbox, app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "a-" * 31 + "bc"  # 64 characters: the API's longest name (skipped before)
    event = copy.deepcopy(broken_event)
    event["detail"]["requestParameters"]["jobName"] = name
    follow_stdout(app)
    capsys.readouterr()
    report = app.lambda_handler(event, FakeContext())
    assert report["outcome"] == "FAIL" and report["job"]["name"] == name
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"level"' in x]
    assert {line["job"] for line in lines} == {name}
    [envelope] = inbox.envelopes()
    assert name in envelope["Subject"]


def test_a_replayed_event_is_logged_and_counted_and_delivers_nothing(
    monkeypatch: pytest.MonkeyPatch,
    broken_event: dict[str, Any],
    inbox: Inbox,
    table: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same event ID again (a CloudTrail duplicate, an EventBridge retry): Powertools
    returns the stored report; the function says so once and counts it (EventReplays)."""
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    capsys.readouterr()
    first = app.lambda_handler(broken_event, FakeContext())
    out = capsys.readouterr().out
    assert "EventReplays" not in metric_names(emf_blobs(out))
    assert not [line for line in log_lines(out) if "already processed" in line["message"]]
    assert len(inbox.envelopes()) == 1

    again = app.lambda_handler(broken_event, FakeContext())
    out = capsys.readouterr().out
    assert again == first and inbox.envelopes() == []
    assert metric_names(emf_blobs(out))["EventReplays"] == 1.0
    [replayed] = [line for line in log_lines(out) if "already processed" in line["message"]]
    assert replayed["message"] == (
        "event already processed: returned the stored report, published nothing"
    )
    assert "report" not in {line["message"] for line in log_lines(out)}


def test_the_handler_module_is_one_app_built_at_import(
    monkeypatch: pytest.MonkeyPatch, broken_event: dict[str, Any], inbox: Inbox
) -> None:
    """The module Lambda imports: its cold start builds the app from the environment, and
    its lambda_handler checks and publishes. It stays a thin shell (the issue's bound)."""
    module = import_handler(monkeypatch, TOPIC_ARN=inbox.topic_arn)
    report = module.lambda_handler(broken_event, FakeContext())
    assert report["outcome"] == "FAIL"
    [envelope] = inbox.envelopes()
    assert json.loads(envelope["Message"]) == report
    assert len(lambda_runtime.HANDLER.read_text().splitlines()) <= HANDLER_MAX_LINES


# What a cold start loads only when the settings use it (ir_vpc_guard/application.py).
ON_DEMAND = (
    "aws_lambda_powertools.utilities.idempotency",  # with IDEMPOTENCY_TABLE
    "ir_vpc_guard.delivery.securityhub",  # with SECURITY_HUB
    "ir_vpc_guard.sweep",  # when the schedule fires
    "ir_vpc_guard.remediation.executor",  # when a fix is approved
)


@pytest.mark.parametrize(
    ("settings", "loaded"),
    [
        ({}, []),
        (
            {"IDEMPOTENCY_TABLE": "ir-vpc-guard-idempotency", "SECURITY_HUB": "true"},
            ON_DEMAND[:2],
        ),
        ({"REMEDIATION_MODE": "apply"}, []),
    ],
)
def test_a_cold_start_loads_only_what_its_settings_use(
    settings: dict[str, str], loaded: tuple[str, ...]
) -> None:
    """In a fresh interpreter, as Lambda starts one: the app is built, nothing else runs."""
    code = (
        "import json, sys\nfrom ir_vpc_guard.application import cold_start\ncold_start()\n"
        f"print(json.dumps([m for m in {list(ON_DEMAND)!r} if m in sys.modules]))"
    )
    unset = ("IDEMPOTENCY_TABLE", "TOPIC_ARN", "SECURITY_HUB", "REMEDIATION_MODE", "AWS_PROFILE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env |= lambda_runtime.FUNCTION_ENV | settings
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == list(loaded)
