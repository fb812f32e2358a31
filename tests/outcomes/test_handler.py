"""The loop through the Lambda handler as deployed (records table, topic): a job checked on
its CloudTrail event, then its end, from SageMaker's state-change event or, for Inference
Recommender, from the catch-up schedule's Describe.

moto has no Inference Recommender jobs (docs/moto.md, "SageMaker"): FakeRecommender answers
List/DescribeInferenceRecommendationsJob(s) on the handler's session; all else is moto."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from ir_vpc_guard.application import App
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import load_event
from tests.integration.fake_recommender import FakeRecommender
from tests.integration.test_handler_sweep import SCHEDULE
from tests.integration.test_one_break_at_a_time import no_endpoint
from tests.integration.test_training import training_event
from tests.lambda_context import (
    Inbox,
    create_table,
    deploy,
    emf_blobs,
    follow_stdout,
    metric_names,
)

S3_FAILURE = (
    'Failed to download model data from URL "s3://demo-bucket/model.tar.gz". Please ensure '
    "that an S3 VPC endpoint exists in route table or NAT gateway for the VPC mode and the URL "
    "is reachable from within the subnets provided."
)


def ended_training(world: World, sample: str) -> dict[str, Any]:
    """The sample state-change event about the training job of `training_event(world)`."""
    event = load_event(sample)
    event["account"], event["region"] = world.account, world.region
    arn = f"arn:aws:sagemaker:{world.region}:{world.account}:training-job/demo-training-job"
    event["detail"]["TrainingJobArn"] = arn
    event["resources"] = [arn]
    return event


@dataclass
class Deployed:
    """The handler as deployed (records table, topic) and the topic's inbox."""

    app: App
    inbox: Inbox
    table: str


def deploy_with(monkeypatch: pytest.MonkeyPatch, aws: Any, **env: str) -> Deployed:
    inbox, table = Inbox(aws), create_table(aws)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table, **env)
    return Deployed(app, inbox, table)


def published(inbox: Inbox) -> list[dict[str, Any]]:
    return [json.loads(e["Message"]) for e in inbox.envelopes()]


def verdicts(out: str) -> list[dict[str, Any]]:
    found = []
    for blob in emf_blobs(out):
        [directive] = blob["_aws"]["CloudWatchMetrics"]
        if directive["Metrics"][0]["Name"] == "Verdicts":
            found.append({d: blob[d] for d in directive["Dimensions"][0]})
    return found


def test_a_training_job_predicted_to_fail_that_failed_so_is_confirmed(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    event = training_event(world)
    no_endpoint(aws, world, event)
    deployed = deploy_with(monkeypatch, aws)
    app, inbox = deployed.app, deployed.inbox
    assert app.lambda_handler(event, FakeContext())["outcome"] == "FAIL"
    assert len(published(inbox)) == 1
    follow_stdout(app)
    capsys.readouterr()
    answer = app.lambda_handler(
        ended_training(world, "state_change_training_failed"), FakeContext()
    )
    assert answer["verdict"] == "confirmed"
    assert published(inbox) == []  # a confirmation is a count, not a message
    out = capsys.readouterr().out
    assert {"service": "ir-vpc-guard", "Verdict": "confirmed"} in verdicts(out)
    assert metric_names(emf_blobs(out))["StateChanges"] == 1.0
    line = next(json.loads(x) for x in out.splitlines() if '"message":"verdict"' in x)
    assert line["job"] == "outcome" and "S3_ENDPOINT_MISSING" in line["checks"]


def test_a_training_job_predicted_to_fail_that_completed_is_a_false_alarm_on_the_topic(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = training_event(world)
    no_endpoint(aws, world, event)
    deployed = deploy_with(monkeypatch, aws)
    app, inbox = deployed.app, deployed.inbox
    app.lambda_handler(event, FakeContext())
    inbox.envelopes()
    ended = ended_training(world, "state_change_training_completed")
    assert app.lambda_handler(ended, FakeContext())["verdict"] == "false-alarm"
    [report] = published(inbox)
    assert report["findings"][0]["checkId"] == "VERDICT_FALSE_ALARM"
    assert report["job"]["workload"] == "training"
    assert app.lambda_handler(ended, FakeContext())["repeat"] is True  # SageMaker sent it twice
    assert published(inbox) == []


def test_with_confirm_outcomes_off_a_state_change_is_only_skipped(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = training_event(world)
    no_endpoint(aws, world, event)
    deployed = deploy_with(monkeypatch, aws, CONFIRM_OUTCOMES="false")
    app, inbox, table = deployed.app, deployed.inbox, deployed.table
    app.lambda_handler(event, FakeContext())
    inbox.envelopes()
    ended = ended_training(world, "state_change_training_completed")
    assert app.lambda_handler(ended, FakeContext()) == {"skipped": "CONFIRM_OUTCOMES is false"}
    assert published(inbox) == []
    item = aws.client("dynamodb").get_item(
        TableName=table, Key={"id": {"S": f"job#{ended['detail']['TrainingJobArn']}"}}
    )["Item"]
    assert "verdict" not in item


def test_an_inference_recommender_job_is_judged_by_the_catch_up_schedule(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, good_event: dict[str, Any]
) -> None:
    deployed = deploy_with(monkeypatch, aws)
    app, inbox = deployed.app, deployed.inbox
    fake = FakeRecommender(app.session)
    arn = fake.add(world, "demo-ir-job")
    assert app.lambda_handler(good_event, FakeContext())["outcome"] == "PASS"
    fake.jobs["demo-ir-job"].update(Status="FAILED", FailureReason=S3_FAILURE)
    summary = app.lambda_handler(SCHEDULE, FakeContext())
    assert summary["outcomes"]["verdicts"][arn]["verdict"] == "missed"
    [report] = published(inbox)
    assert (report["trigger"], report["findings"][0]["checkId"]) == ("sweep", "VERDICT_MISSED")
    fake.calls.clear()
    again = app.lambda_handler(SCHEDULE, FakeContext())  # the next run: judged already
    assert again["outcomes"]["verdicts"] == {}
    assert "DescribeInferenceRecommendationsJob" not in fake.calls
    assert published(inbox) == []


def test_with_confirm_outcomes_off_the_schedule_reads_no_ended_job(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = deploy_with(monkeypatch, aws, CONFIRM_OUTCOMES="false").app
    fake = FakeRecommender(app.session)
    summary = app.lambda_handler(SCHEDULE, FakeContext())
    assert "outcomes" not in summary
    assert (
        fake.calls == ["ListInferenceRecommendationsJobs"] * 2
    )  # the sweep's own: PENDING, IN_PROGRESS
