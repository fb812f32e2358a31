"""One broken check loses nothing (issue 21 §7): a check that raises becomes one CHECK_ERROR
naming it and the exception type; every other check still runs, the report still goes out
(the real handler, SNS to SQS on moto), the outcome is ERROR, and nothing is written or
stopped on the strength of the broken check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.checks.registry import Problem
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName
from ir_vpc_guard.intake.workload import SERVICE_SIDE
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import build_world
from tests.conftest import REGION, ROLE_ADVISORY, load_event
from tests.integration.fake_recommender import FakeRecommender
from tests.lambda_context import Inbox, deploy
from tests.report_schema import validate_report

BROKEN = "SG_EGRESS_S3_MISSING"


def raises(snapshot: Snapshot) -> Iterator[Problem]:
    """A check body with a bug: an answer shape its author did not foresee."""
    raise KeyError("IpPermissionsEgress")


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CATALOGUE, BROKEN, replace(CATALOGUE[BROKEN], run=raises))


def published(inbox: Inbox) -> dict[str, Any]:
    (envelope,) = inbox.envelopes()
    report: dict[str, Any] = json.loads(envelope["Message"])
    return report


@pytest.mark.usefixtures("broken")
def test_a_broken_check_is_one_error_and_every_other_check_runs(
    aws: Any, monkeypatch: pytest.MonkeyPatch, inbox: Inbox
) -> None:
    world = build_world(aws, REGION)  # a good world: only the broken check has anything to say
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn)
    app.lambda_handler(world.event(load_event("good_job")), FakeContext())
    report = published(inbox)
    validate_report(report)
    assert report["outcome"] == "ERROR"
    (error,) = [f for f in report["findings"] if f["checkId"] != ROLE_ADVISORY]
    assert error["checkId"] == "CHECK_ERROR" and error["severity"] == "MEDIUM"
    assert error["evidence"]["checks"] == [BROKEN]
    assert error["evidence"]["exception"] == "KeyError"
    assert "IpPermissionsEgress" not in json.dumps(error)  # the type, never the message
    checks = report["summary"]["checks"]
    assert checks["errored"] == [BROKEN]
    evaluated = set(checks["passed"]) | set(checks["notEvaluated"])
    # Every other check ran: passed, not evaluated, or found (the role's LOW advisory).
    # (Checks of VPC-side workloads only are not an Inference Recommender job's.)
    irs = {c for c, check in CATALOGUE.items() if check.data_path in {None, SERVICE_SIDE}}
    assert evaluated | {ROLE_ADVISORY} == irs - {BROKEN}


@pytest.mark.usefixtures("broken")
def test_nothing_is_written_or_stopped_on_the_strength_of_a_broken_check(
    aws: Any, monkeypatch: pytest.MonkeyPatch, inbox: Inbox
) -> None:
    """The group lacks S3 egress (the broken check's fix) and the VPC lacks an endpoint (a
    blocking HIGH of a working check, not fixable under these settings)."""
    world = build_world(aws, REGION, with_endpoint=False, group_egress="none")
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        REMEDIATION_MODE="apply",
        REMEDIATION_ACTIONS=ActionName.ADD_S3_EGRESS_RULE.value,
        STOP_DOOMED_JOBS="true",
    )
    fake = FakeRecommender(app.session)
    event = world.event(load_event("good_job"))
    fake.add(world, event["detail"]["requestParameters"]["jobName"])
    app.lambda_handler(event, FakeContext())
    report = published(inbox)
    validate_report(report)
    assert {f["checkId"] for f in report["findings"]} >= {"CHECK_ERROR", "S3_ENDPOINT_MISSING"}
    actions = {a["action"]: a for a in report["actions"]}
    assert ActionName.ADD_S3_EGRESS_RULE not in actions  # not planned, let alone written
    assert all(a["status"] == "SKIPPED" for a in report["actions"])
    stop = actions[ActionName.STOP_JOB]
    assert f"{BROKEN} raised" in stop["reason"]
    assert "StopInferenceRecommendationsJob" not in fake.calls
    group = aws.client("ec2").describe_security_groups(GroupIds=world.group_ids)
    assert group["SecurityGroups"][0]["IpPermissionsEgress"] == []
