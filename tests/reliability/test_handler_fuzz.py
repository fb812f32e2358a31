"""Hypothesis-generated events through the Lambda handler itself (Powertools decorators,
idempotency, SNS publish): it never raises on an event's shape, each event is skipped with
a reason or checked, an invalid VPC config reaches no AWS call, and every message it sends
is one SNS accepts (printable ASCII subject under 100 characters, schema-valid JSON)."""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from moto import mock_aws

from ir_vpc_guard.intake.event import parse_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from tests.lambda_context import create_table, deploy, topic_client
from tests.reliability.test_fuzz_events import VALID_ID, _ids_sent, events
from tests.report_schema import validate_report

EXAMPLES = int(os.environ.get("FUZZ_HANDLER_EXAMPLES", "150"))


class Harness:
    """The handler loaded once in an emulated account, with what it sent recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, **env: str | None) -> None:
        session = boto3.session.Session(region_name="us-east-1")
        topic = session.client("sns").create_topic(Name="fuzz")["TopicArn"]
        self.app = deploy(monkeypatch, TOPIC_ARN=topic, NOTIFY_ON="all", **env)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.published: list[dict[str, Any]] = []
        # Before any engine client exists: every client the handler makes inherits the hook.
        self.app.session.events.register("provide-client-params.*.*", self._record)
        topic_client(self.app).meta.events.register(
            "provide-client-params.sns.Publish", self._publish
        )

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, copy.deepcopy(params)))

    def _publish(self, params: dict[str, Any], **_: Any) -> None:
        self.published.append(copy.deepcopy(params))

    def run(self, event: Any) -> dict[str, Any]:
        self.calls.clear()
        self.published.clear()
        report: dict[str, Any] = self.app.lambda_handler(event, FakeContext())
        self.verify(event, report)
        return report

    def verify(self, event: Any, report: dict[str, Any]) -> None:
        label(report["outcome"])
        validate_report(report)
        intake = parse_event(event, ACCOUNT)
        if not isinstance(intake, JobRequest):
            assert report["outcome"] == "SKIPPED" and report["reason"]
            assert self.calls == []
        elif not intake.vpc_config_valid:
            assert [f["checkId"] for f in report["findings"]] == ["VPC_CONFIG_INVALID"]
            assert report["outcome"] == "FAIL" and report["findings"][0]["detail"]
            assert self.calls == []
        else:
            assert report["outcome"] in {"PASS", "FAIL", "ERROR"}
        for _operation, params in self.calls:
            for value in _ids_sent(params):
                assert isinstance(value, str) and VALID_ID.fullmatch(value), value
        [message] = self.published  # NOTIFY_ON=all: one message for every event
        assert len(message["Subject"]) < 100
        assert message["Subject"].isascii() and message["Subject"].isprintable()
        bodies = json.loads(message["Message"])
        assert json.loads(bodies["sqs"])["outcome"] == report["outcome"]
        assert bodies["email"].startswith(report["outcome"])


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        with mock_aws():
            yield


@pytest.fixture(scope="module")
def plain(account: None) -> Iterator[Harness]:
    with pytest.MonkeyPatch.context() as patch:
        yield Harness(patch, IDEMPOTENCY_TABLE=None)


@pytest.fixture(scope="module")
def idempotent(account: None) -> Iterator[Harness]:
    with pytest.MonkeyPatch.context() as patch:
        table = create_table(boto3.session.Session(region_name="us-east-1"), "fuzz-table")
        yield Harness(patch, IDEMPOTENCY_TABLE=table)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=events())
def test_handler_never_raises_on_an_event(plain: Harness, event: Any) -> None:
    plain.run(event)


@settings(
    max_examples=max(EXAMPLES // 3, 10), deadline=None, suppress_health_check=list(HealthCheck)
)
@given(event=events())
def test_handler_with_idempotency_never_raises_on_an_event(idempotent: Harness, event: Any) -> None:
    """With the table. Each event is made unique (a replay would return the stored report
    and publish nothing); an odd eventID is kept inside the key, so Powertools hashes it."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if isinstance(detail, dict) and "eventID" in detail:
        odd = detail["eventID"]
        detail["eventID"] = str(uuid.uuid4()) if isinstance(odd, str) else [odd, str(uuid.uuid4())]
    idempotent.run(event)
