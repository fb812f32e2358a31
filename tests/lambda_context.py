"""Run the Lambda handler in tests: the function's app built as a cold start builds it, with
the test's environment (undone after it), an SQS inbox on the SNS topic, and readers of what
the handler printed (log lines, EMF metrics)."""

from __future__ import annotations

import json
import logging
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from moto.backends import get_backend

from ir_vpc_guard.application import App, cold_start
from ir_vpc_guard_dev import lambda_runtime, sandbox

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

TABLE = "ir-vpc-guard-idempotency"


def deploy(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> App:
    """The function's app as its cold start builds it (application.cold_start), with the
    template's environment and `env` set, both undone after the test (None unsets).

    Call it inside a moto mock: the app makes its clients as it is built. Its logs go to
    the current sys.stdout, at the level `env` sets.
    """
    set_environment(monkeypatch, env)
    app = cold_start()
    # Powertools sets up the service's logger once per process; later Loggers share it.
    app.logger.setLevel(os.environ["POWERTOOLS_LOG_LEVEL"])
    follow_stdout(app)
    return app


def import_handler(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> ModuleType:
    """Import functions/guardrail/app.py afresh with `env` set, as Lambda's cold start
    does, both undone after the test. Call it inside a moto mock."""
    set_environment(monkeypatch, env)
    return lambda_runtime.load_handler(register=lambda n, m: monkeypatch.setitem(sys.modules, n, m))


def set_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str | None]) -> None:
    for name, value in {**lambda_runtime.FUNCTION_ENV, **env}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def follow_stdout(app: App) -> None:
    """Point the handler's log handlers at the current sys.stdout (capsys's, once active)."""
    handler = app.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    # Not setStream: it flushes the old stream first, which capsys may have closed already.
    handler.stream = sys.stdout


def create_table(session: Any, name: str = TABLE) -> str:
    """The idempotency/records table as the template makes it (partition key `id`)."""
    return sandbox.create_table(session, name)


class Inbox:
    """An SNS topic with an SQS queue subscribed (RawMessageDelivery false: the envelope)."""

    def __init__(self, session: Any, name: str = "ir-vpc-guard-findings") -> None:
        self.sns = session.client("sns")
        self.sqs = session.client("sqs")
        self.topic_arn: str = self.sns.create_topic(Name=name)["TopicArn"]
        self.queue_url: str = self.sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "false"},
        )

    def envelopes(self) -> list[dict[str, Any]]:
        """Every SNS envelope waiting in the queue (each received once, then deleted)."""
        out: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def emails(self) -> list[str]:
        """The `email` body of every message published, as an e-mail subscriber gets it:
        moto records each publish but sends no e-mail, so it is read from moto's record."""
        _, _, _, region, account, _ = self.topic_arn.split(":")
        topic = get_backend("sns")[account][region].topics[self.topic_arn]
        return [str(json.loads(sent[1])["email"]) for sent in topic.sent_notifications]


def log_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines of captured stdout (EMF metric blobs excluded)."""
    return [item for item in _json_lines(text) if "_aws" not in item]


def emf_blobs(text: str) -> list[dict[str, Any]]:
    """The CloudWatch EMF documents Powertools printed to stdout."""
    return [item for item in _json_lines(text) if "_aws" in item]


def _json_lines(text: str) -> list[dict[str, Any]]:
    stripped = (line.strip() for line in text.splitlines())
    return [json.loads(line) for line in stripped if line.startswith("{")]


def metric_names(blobs: list[dict[str, Any]]) -> dict[str, float]:
    """Metric name -> the sum of its values over every EMF blob."""
    values: dict[str, float] = {}
    for blob in blobs:
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = blob[metric["Name"]]
                total = sum(value) if isinstance(value, list) else value
                values[metric["Name"]] = values.get(metric["Name"], 0.0) + total
    return values


def topic_client(app: App) -> SNSClient:
    """The SNS client the app's channel publishes with (the one of the topic's region: the
    app keeps one set of clients per region, so hooks on it see every publish)."""
    assert app.settings.topic_arn is not None, "TOPIC_ARN is not set"
    return app.clients_for(app.settings.topic_arn.split(":")[3]).sns
