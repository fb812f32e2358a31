"""Stopping a doomed job through the whole pipeline on moto, with the Inference Recommender
calls answered by the narrow fake (tests/integration/fake_recommender.py)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from ir_vpc_guard import pipeline
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, Mode
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import describe_job
from ir_vpc_guard.pipeline import check_job
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fix import Stop
from ir_vpc_guard.remediation.fixes import STOP_UNITS
from ir_vpc_guard.remediation.targets import JOB
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard.state.records import MemoryCheckedJobs
from ir_vpc_guard.sweep import run_sweep
from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import counting_session
from tests.integration.fake_recommender import FakeRecommender
from tests.lambda_context import Inbox, deploy
from tests.report_schema import validate_report

# The endpoint may not be created, so S3_ENDPOINT_MISSING (HIGH, blocking) remains.
NO_ENDPOINT = frozenset({ActionName.ADD_S3_EGRESS_RULE, ActionName.ADD_SUBNET_EGRESS_RULES})
STOP = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True, remediation_actions=NO_ENDPOINT)


@pytest.fixture
def setup(aws: Any) -> tuple[Any, FakeRecommender, World]:
    session = counting_session(Counter())
    world = build_world(aws, REGION, with_endpoint=False)
    return session, FakeRecommender(session), world


def check(session: Any, fake: FakeRecommender, world: World, settings: Settings) -> Report:
    fake.add(world, "doomed")
    (job,) = describe_job(
        session.client("sagemaker"), "doomed", account=world.account, region=REGION, trigger="event"
    )
    assert isinstance(job, JobRequest)
    return check_job(
        job,
        AwsClients(REGION, session=session),
        settings,
        home_account=ACCOUNT,
        lock=LocalVpcLock(),
    )


def stop_action(report: Report) -> dict[str, Any]:
    stops: list[dict[str, Any]] = [
        a for a in report.to_dict().get("actions", []) if a["action"] == "stop-job"
    ]
    (stop,) = stops
    return stop


def test_a_doomed_job_is_stopped_after_remediation(setup: Any) -> None:
    session, fake, world = setup
    report = check(session, fake, world, STOP)
    validate_report(report.to_dict())
    assert report.outcome.value == "FAIL"
    stop = stop_action(report)
    assert stop["status"] == "APPLIED" and stop["details"]["blockingChecks"] == [
        "S3_ENDPOINT_MISSING"
    ]
    assert fake.jobs["doomed"]["Status"] == "STOPPING"
    assert fake.calls[-1] == "StopInferenceRecommendationsJob"


def test_remediation_that_fixes_the_job_leaves_it_running(setup: Any) -> None:
    session, fake, world = setup
    report = check(
        session, fake, world, Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)
    )
    assert report.outcome.value == "REMEDIATED"
    assert "stop-job" not in [a.name for a in report.actions]
    assert fake.jobs["doomed"]["Status"] == "IN_PROGRESS"


def test_report_mode_only_plans(setup: Any) -> None:
    session, fake, world = setup
    report = check(session, fake, world, Settings(stop_doomed_jobs=True))
    assert stop_action(report)["status"] == "PLANNED"
    assert "StopInferenceRecommendationsJob" not in fake.calls


def test_the_sweep_stops_the_doomed_jobs_it_finds(setup: Any) -> None:
    session, fake, world = setup
    fake.add(world, "found-by-sweep")
    delivered: list[Report] = []
    run_sweep(
        AwsClients(REGION, session=session),
        STOP,
        ACCOUNT,
        MemoryCheckedJobs(),
        delivered.append,
        max_jobs=5,
        lock=LocalVpcLock(),
    )
    (report,) = delivered
    assert report.trigger == "sweep" and stop_action(report)["status"] == "APPLIED"
    assert fake.jobs["found-by-sweep"]["Status"] == "STOPPING"


def test_lambda_a_stop_that_fails_is_failed_and_the_report_still_goes_out(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    inbox = Inbox(aws)
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        REMEDIATION_MODE="apply",
        REMEDIATION_ACTIONS=",".join(sorted(NO_ENDPOINT)),
        STOP_DOOMED_JOBS="true",
    )
    fake = FakeRecommender(app.session)
    event = world.event(load_event("good_job"))
    name = event["detail"]["requestParameters"]["jobName"]
    fake.add(world, name)
    fake.stop_error = "AccessDeniedException"
    report = app.lambda_handler(event, FakeContext())
    stop = next(a for a in report["actions"] if a["action"] == "stop-job")
    assert stop["status"] == "FAILED" and stop["errorCode"] == "AccessDeniedException"
    (envelope,) = inbox.envelopes()  # the report went out all the same
    assert json.loads(envelope["Message"])["actions"] == report["actions"]
    assert "WAS STOPPED" not in inbox.emails()[-1]

    fake.stop_error = None  # the same job checked again: this time it is stopped
    again = json.loads(json.dumps(event))
    again["detail"]["eventID"] = "second-event"
    app.lambda_handler(again, FakeContext())
    (envelope,) = inbox.envelopes()
    first_lines = inbox.emails()[-1].splitlines()[:3]  # SQS gets the JSON; e-mail this text
    assert (
        first_lines[1].startswith("THE JOB WAS STOPPED")
        and "S3_ENDPOINT_MISSING" in (first_lines[1])
    )
    assert "create-inference-recommendations-job" in first_lines[2]


class _RecordingStop(Stop):
    """A second stop unit, as another workload's would be: what the pipeline asks of it."""

    name = ActionName.STOP_JOB
    writes = JOB
    grants = ()

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[str]]] = []

    def decide(
        self,
        job: JobRequest,
        findings: list[Finding],
        snapshot: Snapshot,
        *,
        settings: Settings,
        clients: AwsClients,
        home_account: str | None,
        broken_checks: list[str],
    ) -> Action | None:
        self.asked.append((job.job_name, sorted(f.check_id for f in findings)))
        return Action(self.name, "S3_ENDPOINT_MISSING", snapshot.vpc_id or "", job.job_name)


def test_the_pipeline_asks_every_registered_stop_after_the_recheck(
    setup: tuple[Any, FakeRecommender, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stops are units like fixes: a new one is registered, not wired into the pipeline."""
    session, fake, world = setup
    other = _RecordingStop()
    monkeypatch.setattr(pipeline, "STOP_UNITS", (*STOP_UNITS, other))
    report = check(session, fake, world, STOP)
    # Asked once, with what remains after the fixes: the endpoint the settings refuse.
    assert other.asked == [("doomed", ["S3_ENDPOINT_MISSING"])]
    stops = [a for a in report.actions if a.name == ActionName.STOP_JOB]
    assert [a.resource for a in stops] == [fake.jobs["doomed"]["JobArn"], "doomed"]
