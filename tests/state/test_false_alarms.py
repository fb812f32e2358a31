"""The false-alarm memory in the table as the template makes it (moto DynamoDB): one item per
account and check, counted with ADD, kept 90 days after the latest, read once per report.

moto's BatchGetItem always processes every key: the throttled answer (UnprocessedKeys) is a
narrow fake of that one call."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest

from ir_vpc_guard.state.false_alarms import (
    RETENTION_SECONDS,
    DynamoFalseAlarms,
    FalseAlarms,
    MemoryFalseAlarms,
    UnreadError,
)
from tests.lambda_context import create_table

ACCOUNT = "123456789012"
JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/completed-job"
LATER = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/later-job"


@pytest.fixture
def table(aws: Any) -> tuple[Any, str]:
    return aws.client("dynamodb"), create_table(aws)


def counted(client: Any) -> Counter[str]:
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        calls[event_name.rsplit(".", 1)[1]] += 1

    client.meta.events.register("before-call.dynamodb", count)
    return calls


def test_each_false_alarm_is_one_update_that_counts_names_the_job_and_expires(
    table: tuple[Any, str],
) -> None:
    client, name = table
    memory = DynamoFalseAlarms(client, name)
    calls = counted(client)
    memory.record(ACCOUNT, "S3_ENDPOINT_MISSING", JOB)
    memory.record(ACCOUNT, "S3_ENDPOINT_MISSING", LATER)
    assert calls == Counter({"UpdateItem": 2})
    item = client.get_item(
        TableName=name, Key={"id": {"S": f"falseAlarm#{ACCOUNT}#S3_ENDPOINT_MISSING"}}
    )["Item"]
    assert (item["falseAlarms"], item["lastJob"]) == ({"N": "2"}, {"S": LATER})
    # The table's TTL attribute, in seconds: 90 days after the latest false alarm.
    assert abs(int(item["expiration"]["N"]) - (time.time() + RETENTION_SECONDS)) < 60
    assert RETENTION_SECONDS == 90 * 24 * 3600


def test_a_report_reads_its_checks_with_one_call_and_only_this_accounts(
    table: tuple[Any, str],
) -> None:
    client, name = table
    memory = DynamoFalseAlarms(client, name)
    memory.record(ACCOUNT, "S3_ENDPOINT_MISSING", JOB)
    memory.record("210987654321", "NACL_BLOCKS_S3", JOB)
    calls = counted(client)
    found = memory.recall(ACCOUNT, ["S3_ENDPOINT_MISSING", "NACL_BLOCKS_S3", "VPC_MISMATCH"])
    assert calls == Counter({"BatchGetItem": 1})
    assert list(found) == ["S3_ENDPOINT_MISSING"]
    alarm = found["S3_ENDPOINT_MISSING"]
    assert (alarm.count, alarm.last_job) == (1, JOB)
    assert alarm.evidence() == {"count": 1, "lastJob": JOB, "lastAt": alarm.last_at}


def test_an_expired_false_alarm_not_yet_deleted_is_forgotten(table: tuple[Any, str]) -> None:
    # DynamoDB deletes expired items lazily (within days): the read ignores them.
    client, name = table
    memory = DynamoFalseAlarms(client, name)
    memory.record(ACCOUNT, "S3_ENDPOINT_MISSING", JOB)
    client.update_item(
        TableName=name,
        Key={"id": {"S": f"falseAlarm#{ACCOUNT}#S3_ENDPOINT_MISSING"}},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    assert memory.recall(ACCOUNT, ["S3_ENDPOINT_MISSING"]) == {}


def throttle(client: Any, rounds: int) -> Counter[str]:
    """BatchGetItem answering every key unprocessed for `rounds` calls, then as moto does."""
    calls: Counter[str] = Counter()

    def answer(params: dict[str, Any], **_: Any) -> Any:
        calls["BatchGetItem"] += 1
        if calls["BatchGetItem"] > rounds:
            return None  # moto answers
        return _Http(), {
            "Responses": {},
            "UnprocessedKeys": json.loads(params["body"])["RequestItems"],
        }

    client.meta.events.register("before-call.dynamodb.BatchGetItem", answer)
    return calls


class _Http:
    status_code = 200


def test_keys_left_unprocessed_are_asked_again(table: tuple[Any, str]) -> None:
    client, name = table
    memory = DynamoFalseAlarms(client, name)
    memory.record(ACCOUNT, "S3_ENDPOINT_MISSING", JOB)
    calls = throttle(client, rounds=1)
    assert list(memory.recall(ACCOUNT, ["S3_ENDPOINT_MISSING"])) == ["S3_ENDPOINT_MISSING"]
    assert calls["BatchGetItem"] == 2


def test_keys_unprocessed_three_times_are_a_failed_read_not_a_wait(
    table: tuple[Any, str],
) -> None:
    client, name = table
    memory = DynamoFalseAlarms(client, name)
    calls = throttle(client, rounds=3)
    with pytest.raises(UnreadError):
        memory.recall(ACCOUNT, ["S3_ENDPOINT_MISSING"])
    assert calls["BatchGetItem"] == 3


@pytest.mark.parametrize("kind", ["dynamodb", "memory"])
def test_both_memories_keep_the_same_contract(table: tuple[Any, str], kind: str) -> None:
    client, name = table
    memory: FalseAlarms = (
        DynamoFalseAlarms(client, name) if kind == "dynamodb" else MemoryFalseAlarms()
    )
    assert memory.recall(ACCOUNT, ["VPC_MISMATCH"]) == {}
    memory.record(ACCOUNT, "VPC_MISMATCH", JOB)
    memory.record(ACCOUNT, "VPC_MISMATCH", LATER)
    [(check, alarm)] = memory.recall(ACCOUNT, ["VPC_MISMATCH", "NACL_BLOCKS_S3"]).items()
    assert (check, alarm.count, alarm.last_job) == ("VPC_MISMATCH", 2, LATER)
    assert memory.recall("210987654321", ["VPC_MISMATCH"]) == {}
