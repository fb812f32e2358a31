"""The catch-up schedule through the handler: a job whose CloudTrail event was lost is
checked and published once; a job handled through its event is not checked again.

moto lacks the Inference Recommender job APIs (docs/moto.md, "SageMaker"): FakeRecommender answers
List/DescribeInferenceRecommendationsJob(s) on the handler's session; all else is moto."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.fake_recommender import FakeRecommender
from tests.lambda_context import Inbox, deploy, emf_blobs, follow_stdout, metric_names, topic_client

SCHEDULE = {
    "version": "0",
    "id": "5e3b1c1a-2f4d-4b8e-9d6a-7c8b9a0f1e2d",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": ACCOUNT,
    "time": "2026-11-24T12:15:00Z",
    "region": REGION,
    "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/ir-vpc-guard-sweep"],
    "detail": {},
}


class Deployed(NamedTuple):
    """The handler as deployed (records table, every outcome published), the inbox it
    publishes to, and the Recommender jobs its sweep finds."""

    app: Any
    inbox: Inbox
    fake: FakeRecommender


@pytest.fixture
def deployed(world: World, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str) -> Deployed:
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table, NOTIFY_ON="all")
    return Deployed(app, inbox, FakeRecommender(app.session))


def jobs_published(inbox: Inbox) -> list[tuple[str, str]]:
    return [
        (report["job"]["name"], report["trigger"])
        for report in (json.loads(e["Message"]) for e in inbox.envelopes())
    ]


def test_lost_event_is_caught_once_and_an_evented_job_is_left_alone(
    deployed: Deployed, world: World, good_event: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app, inbox, fake = deployed
    fake.add(world, "demo-ir-job")  # its event arrives
    fake.add(world, "lost-event-job")  # its event never does
    fake.add(world, "finished-job", status="COMPLETED")
    report = app.lambda_handler(good_event, FakeContext())
    assert report["job"]["arn"].endswith("/demo-ir-job")
    assert jobs_published(inbox) == [("demo-ir-job", "event")]

    capsys.readouterr()
    summary = app.lambda_handler(SCHEDULE, FakeContext())
    out = capsys.readouterr().out
    assert summary["listed"] == 2 and summary["alreadyChecked"] == 1
    assert summary["checked"] == [{"job": "lost-event-job", "outcome": "PASS"}]
    assert jobs_published(inbox) == [("lost-event-job", "sweep")]
    assert metric_names(emf_blobs(out))["SweepFoundJobs"] == 1.0
    assert fake.calls.count("DescribeInferenceRecommendationsJob") == 1

    again = app.lambda_handler(SCHEDULE, FakeContext())  # the next run finds nothing new
    assert again["checked"] == [] and again["alreadyChecked"] == 2
    assert jobs_published(inbox) == []
    assert fake.calls.count("DescribeInferenceRecommendationsJob") == 1


def test_sweep_logs_carry_the_schedule_id_and_each_job(
    deployed: Deployed, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, fake = deployed
    fake.add(world, "lost-event-job")
    follow_stdout(app)
    capsys.readouterr()
    app.lambda_handler(SCHEDULE, FakeContext())
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"level"' in x]
    assert {line["correlation_id"] for line in lines} == {SCHEDULE["id"]}
    report_line = next(line for line in lines if line["message"] == "report")
    assert report_line["job"] == "lost-event-job" and report_line["trigger"] == "sweep"
    assert next(line for line in lines if line["message"] == "sweep done")["job"] == "sweep"


def test_sweep_publish_failure_fails_the_run_and_the_next_run_retries(
    deployed: Deployed, world: World
) -> None:
    app, inbox, fake = deployed
    fake.add(world, "lost-event-job")

    def down(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "x"}}, "Publish")

    topic_client(app).meta.events.register("before-call.sns.Publish", down)
    with pytest.raises(ClientError, match="InternalError"):
        app.lambda_handler(SCHEDULE, FakeContext())
    topic_client(app).meta.events.unregister("before-call.sns.Publish", down)
    summary = app.lambda_handler(SCHEDULE, FakeContext())
    assert summary["checked"] == [{"job": "lost-event-job", "outcome": "PASS"}]
    assert jobs_published(inbox) == [("lost-event-job", "sweep")]


def test_an_event_is_not_mistaken_for_the_schedule(
    deployed: Deployed,
) -> None:
    app, _, fake = deployed
    spoofed = {**load_event("unrelated_event"), "detail-type": "Scheduled Event"}
    report = app.lambda_handler(spoofed, FakeContext())
    assert report["outcome"] == "SKIPPED"
    assert fake.calls == []


def test_an_event_after_the_sweep_reported_its_job_is_published_as_a_repeat(
    deployed: Deployed, world: World, good_event: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app, inbox, fake = deployed
    fake.add(world, "demo-ir-job")  # the sweep gets there before the (late) event
    app.lambda_handler(SCHEDULE, FakeContext())
    [first] = inbox.envelopes()
    assert first["Subject"] == f"IR VPC Guard PASS: demo-ir-job in {ACCOUNT}"
    assert "repeat" not in json.loads(first["Message"])

    follow_stdout(app)
    capsys.readouterr()
    report = app.lambda_handler(good_event, FakeContext())
    assert report["repeat"] is True
    [second] = inbox.envelopes()
    assert second["Subject"] == f"IR VPC Guard PASS (repeat): demo-ir-job in {ACCOUNT}"
    assert second["MessageAttributes"]["repeat"] == {"Type": "String", "Value": "true"}
    assert json.loads(second["Message"]) == report
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"level"' in x]
    assert next(line for line in lines if line["message"] == "report")["repeat"] is True


def test_a_64_character_job_is_swept_and_logged_under_its_name(
    deployed: Deployed, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    app, inbox, fake = deployed
    name = "j" * 64  # the API's longest job name; the sweep skipped it as invalid before
    fake.add(world, name)
    follow_stdout(app)
    capsys.readouterr()
    summary = app.lambda_handler(SCHEDULE, FakeContext())
    assert summary["checked"] == [{"job": name, "outcome": "PASS"}]
    assert jobs_published(inbox) == [(name, "sweep")]
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"level"' in x]
    assert next(line for line in lines if line["message"] == "report")["job"] == name


def test_a_sweep_of_another_region_fixes_under_the_functions_one_lock(
    aws: Any, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    """The schedule of a rule in us-west-2 sweeps that region; its fixes hold the VPC lock
    in the function's table, in the function's region (the table exists nowhere else)."""
    west = build_world(aws, "us-west-2", with_endpoint=False, group_egress="proxy-https-only")
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        IDEMPOTENCY_TABLE=table,
        NOTIFY_ON="all",
        REMEDIATION_MODE="apply",
    )
    FakeRecommender(app.session).add(west, "west-job")
    summary = app.lambda_handler({**SCHEDULE, "region": "us-west-2"}, FakeContext())
    assert summary["checked"] == [{"job": "west-job", "outcome": "REMEDIATED"}]
    [envelope] = inbox.envelopes()
    report = json.loads(envelope["Message"])
    assert {a["status"] for a in report["actions"]} == {"APPLIED"}
    endpoints = aws.client("ec2", region_name="us-west-2").describe_vpc_endpoints()
    assert [e["VpcId"] for e in endpoints["VpcEndpoints"]] == [west.vpc_id]
