"""Nothing lost, nothing twice: a failed publish fails the invocation (Lambda retries it,
then the DLQ); the retry publishes exactly once; a replay after a success publishes nothing.

The idempotency layer is Powertools' on a moto DynamoDB table keyed `id`, as deployed."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import allow_eni_attribute, build_world
from tests.conftest import REGION, load_event
from tests.lambda_context import Inbox, create_table, deploy, topic_client

JOB_ARN = "arn:aws:sagemaker:us-east-1:123456789012:inference-recommendations-job/demo-ir-job"
JOB_KEY = {"id": {"S": f"job#{JOB_ARN}"}}


@pytest.fixture
def setup(aws: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Inbox, dict[str, Any], str]:
    inbox = Inbox(aws)
    table = create_table(aws)
    event = build_world(aws, REGION, with_endpoint=False).event(load_event("good_job"))
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    return app, inbox, event, table


def _items(aws: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = aws.client("dynamodb").scan(TableName=table)["Items"]
    return items


def _sns_down(params: dict[str, Any], **_: Any) -> None:
    raise ClientError(
        {"Error": {"Code": "InternalError", "Message": "SNS is having a bad day"}}, "Publish"
    )


def test_failed_publish_raises_and_the_retry_publishes_once(
    aws: Any, setup: tuple[Any, Inbox, dict[str, Any], str]
) -> None:
    app, inbox, event, table = setup
    topic_client(app).meta.events.register("before-call.sns.Publish", _sns_down)
    with pytest.raises(ClientError, match="InternalError"):
        app.lambda_handler(event, FakeContext())
    # The failure removed the idempotency record and released the job record: the retry
    # (Lambda async retries the same event) must check and publish again.
    assert _items(aws, table) == []
    assert inbox.envelopes() == []

    topic_client(app).meta.events.unregister("before-call.sns.Publish", _sns_down)
    first = app.lambda_handler(event, FakeContext())
    assert first["outcome"] == "FAIL"
    assert len(inbox.envelopes()) == 1
    ids = sorted(item["id"]["S"] for item in _items(aws, table))
    assert ids[0].startswith("event#") and ids[1] == JOB_KEY["id"]["S"]
    assert [item["status"]["S"] for item in _items(aws, table) if "status" in item] == ["COMPLETED"]


def test_replay_after_success_does_not_publish_again(
    setup: tuple[Any, Inbox, dict[str, Any], str],
) -> None:
    app, inbox, event, _ = setup
    first = app.lambda_handler(event, FakeContext())
    again = app.lambda_handler(copy.deepcopy(event), FakeContext())  # duplicate delivery
    assert again == first  # the stored report, generatedAt and all
    assert len(inbox.envelopes()) == 1


def test_a_new_event_for_the_same_job_is_checked_and_published(
    setup: tuple[Any, Inbox, dict[str, Any], str],
) -> None:
    app, inbox, event, _ = setup
    app.lambda_handler(event, FakeContext())
    other = copy.deepcopy(event)
    other["detail"]["eventID"] = str(uuid.uuid4())
    report = app.lambda_handler(other, FakeContext())
    assert report["eventId"] == other["detail"]["eventID"]
    assert len(inbox.envelopes()) == 2  # a different event is news, even for the same job


def test_deleted_topic_fails_the_invocation(
    aws: Any, setup: tuple[Any, Inbox, dict[str, Any], str]
) -> None:
    app, inbox, event, table = setup
    aws.client("sns").delete_topic(TopicArn=inbox.topic_arn)
    with pytest.raises(ClientError) as failure:
        app.lambda_handler(event, FakeContext())
    assert failure.value.response["Error"]["Code"] == "NotFound"
    assert _items(aws, table) == []


def test_a_pass_is_not_published_and_not_lost(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """NOTIFY_ON=findings: a PASS is recorded (so the sweep skips the job), not published."""
    inbox, table = Inbox(aws), create_table(aws)
    event = build_world(aws, REGION).event(load_event("good_job"))
    allow_eni_attribute(aws)  # nothing to report at all (not even the role's LOW advisory)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    assert app.lambda_handler(event, FakeContext())["outcome"] == "PASS"
    assert inbox.envelopes() == []
    assert JOB_KEY["id"] in [item["id"] for item in _items(aws, table)]


def test_security_hub_failure_does_not_block_the_sns_message(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, table = Inbox(aws), create_table(aws)
    event = build_world(aws, REGION, with_endpoint=False).event(load_event("good_job"))
    app = deploy(
        monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table, SECURITY_HUB="true"
    )

    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "BatchImportFindings"
        )

    app.clients_for(REGION).securityhub.meta.events.register(
        "before-call.securityhub.BatchImportFindings", refuse
    )
    assert app.lambda_handler(event, FakeContext())["outcome"] == "FAIL"
    assert len(inbox.envelopes()) == 1
