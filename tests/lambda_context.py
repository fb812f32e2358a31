"""Run the Lambda handler in tests: a Lambda-like context, the module loaded fresh with the
test's environment (settings are read at cold start), and an SQS inbox on the SNS topic."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ir_vpc_guard_dev import sandbox

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "functions" / "guardrail" / "app.py"
ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION = "ir-vpc-guard"
TABLE = "ir-vpc-guard-idempotency"


@dataclass
class FakeContext:
    """What the handler and Powertools read from a LambdaContext."""

    remaining_ms: int = 300_000
    function_name: str = FUNCTION
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION}"
    log_group_name: str = f"/aws/lambda/{FUNCTION}"
    log_stream_name: str = "2026/11/24/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def load_handler(monkeypatch: pytest.MonkeyPatch, **env: str | None) -> ModuleType:
    """Import functions/guardrail/app.py afresh (a cold start) with `env` set.

    Call it inside a moto mock: the module makes its clients at import. The Powertools
    logger's handler is recreated so it writes to the current (captured) sys.stdout.
    """
    base = {
        "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "POWERTOOLS_SERVICE_NAME": "ir-vpc-guard",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "IrVpcGuard",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    for name, value in {**base, **env}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    service_logger = logging.getLogger("ir-vpc-guard")
    for handler in list(service_logger.handlers):
        service_logger.removeHandler(handler)
    for attribute in ("init", "powertools_handler"):  # Powertools' "already set up" marks
        if hasattr(service_logger, attribute):
            delattr(service_logger, attribute)
    spec = importlib.util.spec_from_file_location("guardrail_app", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "guardrail_app", module)
    spec.loader.exec_module(module)
    return module


def follow_stdout(app: ModuleType) -> None:
    """Point the handler's log handlers at the current sys.stdout (capsys's, once active)."""
    handler = app.logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sys.stdout)


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
