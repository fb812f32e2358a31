"""A false alarm on a check shows in the next report where the same check fails, through the
Lambda handler as deployed (records table, topic with an SQS inbox): a training job that the
guardrail said would fail completes, then another job fails the same check.

The table's calls are counted with botocore hooks on the function's own DynamoDB client; a
failed read or write is a hook that raises for that one call (moto cannot be made to fail)."""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.application import App
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import World
from tests.integration.running_jobs import run_training_job
from tests.integration.test_handler_sweep import SCHEDULE
from tests.integration.test_one_break_at_a_time import nacl_denies_https_out, no_endpoint
from tests.integration.test_training import training_event
from tests.lambda_context import topic_client
from tests.outcomes.test_handler import Deployed, deploy_with, ended_training, published
from tests.report_schema import validate_report

FIRST = "demo-training-job"  # the job of training_event(world), and of its state change
SENTENCE = "This check predicted a failure that did not happen in this account"


def another_job(world: World, name: str) -> dict[str, Any]:
    """The CloudTrail event of another training job in the same world (its own event ID)."""
    event = training_event(world)
    params = event["detail"]["requestParameters"]
    params["trainingJobName"] = name
    event["id"] = event["detail"]["eventID"] = str(uuid.uuid4())
    arn = f"arn:aws:sagemaker:{world.region}:{world.account}:training-job/{name}"
    event["detail"]["responseElements"]["trainingJobArn"] = arn
    return event


def job_arn(world: World, name: str) -> str:
    return f"arn:aws:sagemaker:{world.region}:{world.account}:training-job/{name}"


def table_calls(app: App) -> Counter[str]:
    """Every call the function makes to its table from now on, by operation."""
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[1]] += 1

    app.clients_for(app.home_region).dynamodb.meta.events.register("before-call.dynamodb", count)
    return calls


def false_alarm_on_first_job(aws: Any, world: World, deployed: Deployed) -> None:
    """The first job: no S3 endpoint, so FAIL on S3_ENDPOINT_MISSING; then it completes."""
    app = deployed.app
    no_endpoint(aws, world, {})
    assert app.lambda_handler(training_event(world), FakeContext())["outcome"] == "FAIL"
    published(deployed.inbox)  # the job's report
    ended = ended_training(world, "state_change_training_completed")
    assert app.lambda_handler(ended, FakeContext())["verdict"] == "false-alarm"
    [verdict] = published(deployed.inbox)
    assert verdict["findings"][0]["checkId"] == "VERDICT_FALSE_ALARM"


def finding(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    [found] = [f for f in report["findings"] if f["checkId"] == check_id]
    return dict(found)


def test_a_false_alarm_shows_in_the_next_report_that_fails_the_same_check(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    false_alarm_on_first_job(aws, world, deployed)
    answer = deployed.app.lambda_handler(another_job(world, "second-job"), FakeContext())
    [report] = published(deployed.inbox)
    validate_report(report)
    assert report == answer
    assert report["outcome"] == "FAIL"  # still HIGH, still failing: the operator confirms
    s3 = finding(report, "S3_ENDPOINT_MISSING")
    assert s3["severity"] == "HIGH"
    alarms = s3["evidence"]["falseAlarms"]
    assert (alarms["count"], alarms["lastJob"]) == (1, job_arn(world, FIRST))
    assert datetime.fromisoformat(alarms["lastAt"]).date() == datetime.now(UTC).date()
    said = (
        f"{SENTENCE} 1 time(s), last for job {job_arn(world, FIRST)} on "
        f"{alarms['lastAt'][:10]} (or the network was fixed while that job started): "
        "confirm before acting."
    )
    assert s3["detail"].endswith(said)
    [email] = deployed.inbox.emails()[-1:]
    assert said in email


def test_each_false_alarm_counts_and_the_latest_job_is_named(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    app = deployed.app
    false_alarm_on_first_job(aws, world, deployed)
    app.lambda_handler(another_job(world, "second-job"), FakeContext())
    second = ended_training(world, "state_change_training_completed")
    second["id"] = "7d6c0bd2-6a22-4b5c-9f8e-2f3a1b0c9d8e"
    second["detail"]["TrainingJobName"] = "second-job"
    second["detail"]["TrainingJobArn"] = second["resources"][0] = job_arn(world, "second-job")
    assert app.lambda_handler(second, FakeContext())["verdict"] == "false-alarm"
    published(deployed.inbox)
    app.lambda_handler(another_job(world, "third-job"), FakeContext())
    [report] = published(deployed.inbox)
    alarms = finding(report, "S3_ENDPOINT_MISSING")["evidence"]["falseAlarms"]
    assert (alarms["count"], alarms["lastJob"]) == (2, job_arn(world, "second-job"))
    assert f"{SENTENCE} 2 time(s)" in finding(report, "S3_ENDPOINT_MISSING")["detail"]


def test_another_checks_failure_carries_no_false_alarm(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    false_alarm_on_first_job(aws, world, deployed)
    event = another_job(world, "second-job")
    nacl_denies_https_out(aws, world, event)  # a second certain HIGH, never wrong here
    deployed.app.lambda_handler(event, FakeContext())
    [report] = published(deployed.inbox)
    validate_report(report)
    nacl = finding(report, "NACL_BLOCKS_S3")
    assert nacl["severity"] == "HIGH"
    assert "falseAlarms" not in nacl["evidence"]
    assert SENTENCE not in nacl["detail"]
    assert "falseAlarms" in finding(report, "S3_ENDPOINT_MISSING")["evidence"]


def test_a_report_with_no_certain_finding_reads_nothing_and_one_with_reads_once(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    app = deployed.app
    calls = table_calls(app)
    assert app.lambda_handler(another_job(world, "passing-job"), FakeContext())["outcome"] == (
        "PASS"
    )
    assert calls["BatchGetItem"] == 0
    no_endpoint(aws, world, {})
    calls.clear()
    report = app.lambda_handler(another_job(world, "failing-job"), FakeContext())
    assert report["outcome"] == "FAIL"
    assert "falseAlarms" not in finding(report, "S3_ENDPOINT_MISSING")["evidence"]
    # The event path's own table calls (the idempotency record, the job's claim and its
    # confirm) and the one read of the checks' false alarms.
    assert calls == Counter({"PutItem": 2, "UpdateItem": 2, "BatchGetItem": 1})


def test_a_failed_read_of_the_false_alarms_still_delivers_the_report(
    aws: Any,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    app = deployed.app
    false_alarm_on_first_job(aws, world, deployed)

    def throttled(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Get")

    app.clients_for(app.home_region).dynamodb.meta.events.register(
        "before-call.dynamodb.BatchGetItem", throttled
    )
    with caplog.at_level(logging.WARNING, logger="ir_vpc_guard.delivery.false_alarm_evidence"):
        answer = app.lambda_handler(another_job(world, "second-job"), FakeContext())
    [report] = published(deployed.inbox)
    assert report == answer and report["outcome"] == "FAIL"
    assert "falseAlarms" not in finding(report, "S3_ENDPOINT_MISSING")["evidence"]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage() == (
        "false alarms of S3_ENDPOINT_MISSING not read (ClientError): the report goes out "
        "without them"
    )


def test_a_failed_write_of_the_memory_keeps_the_verdict_report_and_does_not_raise(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    app = deployed.app
    no_endpoint(aws, world, {})
    app.lambda_handler(training_event(world), FakeContext())
    published(deployed.inbox)

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if json.loads(params["body"])["Key"]["id"]["S"].startswith("falseAlarm#"):
            raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "UpdateItem")

    app.clients_for(app.home_region).dynamodb.meta.events.register(
        "before-call.dynamodb.UpdateItem", refuse
    )
    capsys.readouterr()
    ended = ended_training(world, "state_change_training_completed")
    answer = app.lambda_handler(ended, FakeContext())
    assert (answer["verdict"], answer["falseAlarmsNotRecorded"]) == (
        "false-alarm",
        ["S3_ENDPOINT_MISSING"],
    )
    [verdict] = published(deployed.inbox)
    assert verdict["findings"][0]["checkId"] == "VERDICT_FALSE_ALARM"
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    [line] = [x for x in lines if x.get("message") == "false alarm not remembered"]
    assert (line["level"], line["checkId"], line["errorCode"]) == (
        "WARNING",
        "S3_ENDPOINT_MISSING",
        "AccessDeniedException",
    )
    assert app.lambda_handler(ended, FakeContext())["repeat"] is True  # judged: no retry loop


def test_the_memory_is_written_only_once_the_verdict_report_is_out(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    app = deployed.app
    no_endpoint(aws, world, {})
    app.lambda_handler(training_event(world), FakeContext())
    published(deployed.inbox)

    def down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError"}}, "Publish")

    sns = topic_client(app)
    sns.meta.events.register("before-call.sns.Publish", down)
    ended = ended_training(world, "state_change_training_completed")
    with pytest.raises(ClientError):
        app.lambda_handler(ended, FakeContext())  # Lambda retries it
    sns.meta.events.unregister("before-call.sns.Publish", down)
    assert app.false_alarms.recall(world.account, ["S3_ENDPOINT_MISSING"]) == {}
    assert app.lambda_handler(ended, FakeContext())["verdict"] == "false-alarm"  # the retry
    [alarm] = app.false_alarms.recall(world.account, ["S3_ENDPOINT_MISSING"]).values()
    assert alarm.count == 1


def test_a_swept_report_carries_the_false_alarm_too(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy_with(monkeypatch, aws, WORKLOADS="training")  # moto lists no IR jobs
    false_alarm_on_first_job(aws, world, deployed)
    run_training_job(aws, world, "lost-training-job")  # its CloudTrail event never came
    summary = deployed.app.lambda_handler(SCHEDULE, FakeContext())
    assert summary["checked"] == [{"job": "lost-training-job", "outcome": "FAIL"}]
    [report] = published(deployed.inbox)
    assert report["trigger"] == "sweep"
    alarms = finding(report, "S3_ENDPOINT_MISSING")["evidence"]["falseAlarms"]
    assert (alarms["count"], alarms["lastJob"]) == (1, job_arn(world, FIRST))


def test_with_confirm_outcomes_off_a_failing_report_reads_no_false_alarms(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The off switch turns off the comparison's reads: the memory is neither read nor used.
    deployed = deploy_with(monkeypatch, aws, CONFIRM_OUTCOMES="false")
    calls = table_calls(deployed.app)
    no_endpoint(aws, world, {})
    report = deployed.app.lambda_handler(another_job(world, "failing-job"), FakeContext())
    assert report["outcome"] == "FAIL"
    assert calls == Counter({"PutItem": 2, "UpdateItem": 2})
