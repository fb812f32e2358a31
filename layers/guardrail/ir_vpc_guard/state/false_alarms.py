"""What each check got wrong in an account: the false alarms outcomes/compare.py found (a
certain HIGH, and the job completed), kept per (account, check) so the next report where the
same check fails can say that it has been wrong here before (delivery/false_alarm_evidence.py).

One item per account and check in the idempotency table (partition key `id`): a count, the
last job and when, and an expiration. Written with one UpdateItem per check of a false-alarm
verdict; read with one BatchGetItem per report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_dynamodb import DynamoDBClient

# Kept 90 days after the last false alarm (each one renews it): long enough to reach the next
# jobs of a team that runs them weekly or monthly, short enough that a check corrected by a
# release (or an account whose network changed) stops being doubted within a quarter.
RETENTION_SECONDS = 90 * 24 * 3600
BATCH = 100  # BatchGetItem's limit; a report has far fewer distinct certain checks
# A throttled BatchGetItem returns some keys unprocessed: asked again this many times at most,
# then the read counts as failed (a report is never held up by this memory).
ROUNDS = 3
EVIDENCE = "falseAlarms"  # a certain finding's evidence key (report.schema.json)
COUNT = "falseAlarms"  # the item's attributes
LAST_JOB = "lastJob"
LAST_AT = "lastAt"


class UnreadError(Exception):
    """The memory could not be read in full (keys left unprocessed after every round)."""


@dataclass(frozen=True)
class FalseAlarm:
    """How often a check predicted a failure that did not happen in one account."""

    count: int
    last_job: str  # the job ARN of the latest
    last_at: str  # ISO 8601 (UTC, seconds): when its verdict was reached

    def evidence(self) -> dict[str, Any]:
        """As a finding's `evidence.falseAlarms` (report.schema.json)."""
        return {"count": self.count, "lastJob": self.last_job, "lastAt": self.last_at}


class FalseAlarms(Protocol):
    def record(self, account: str, check_id: str, job_arn: str) -> None: ...

    def recall(self, account: str, check_ids: Iterable[str]) -> dict[str, FalseAlarm]: ...


def _key(account: str, check_id: str) -> str:
    return f"falseAlarm#{account}#{check_id}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DynamoFalseAlarms:
    """The memory in the table the job records and locks use."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def record(self, account: str, check_id: str, job_arn: str) -> None:
        """One more false alarm of the check (ADD: concurrent verdicts both count), this job
        the latest, the expiration renewed. An item past its expiration that DynamoDB has not
        deleted yet (TTL deletion is lazy) keeps counting: the count stays a true one."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"id": {"S": _key(account, check_id)}},
            UpdateExpression="ADD #count :one SET #job = :job, #at = :at, expiration = :until",
            ExpressionAttributeNames={"#count": COUNT, "#job": LAST_JOB, "#at": LAST_AT},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":job": {"S": job_arn},
                ":at": {"S": _now()},
                ":until": {"N": str(int(time.time()) + RETENTION_SECONDS)},
            },
        )

    def recall(self, account: str, check_ids: Iterable[str]) -> dict[str, FalseAlarm]:
        """The live false alarms of these checks, by check ID: one BatchGetItem (more only
        for keys DynamoDB left unprocessed). Raises ClientError/BotoCoreError, or UnreadError
        when keys stay unprocessed."""
        wanted = list(dict.fromkeys(check_ids))
        found: dict[str, FalseAlarm] = {}
        prefix = _key(account, "")
        for start in range(0, len(wanted), BATCH):
            keys = [{"id": {"S": _key(account, c)}} for c in wanted[start : start + BATCH]]
            request: dict[str, Any] = {
                self.table: {
                    "Keys": keys,
                    "ProjectionExpression": "id, #count, #job, #at, expiration",
                    "ExpressionAttributeNames": {"#count": COUNT, "#job": LAST_JOB, "#at": LAST_AT},
                }
            }
            for _ in range(ROUNDS):
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                now = time.time()
                for item in answer.get("Responses", {}).get(self.table, []):
                    if float(item.get("expiration", {}).get("N", "inf")) > now:  # TTL is lazy
                        found[item["id"]["S"].removeprefix(prefix)] = _alarm(item)
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
            if request:
                raise UnreadError("false alarms: keys left unprocessed")
        return found


def _alarm(item: dict[str, Any]) -> FalseAlarm:
    return FalseAlarm(
        count=int(item[COUNT]["N"]),
        last_job=str(item[LAST_JOB]["S"]),
        last_at=str(item[LAST_AT]["S"]),
    )


class MemoryFalseAlarms:
    """The same contract in memory, for a function without a table (local runs) and tests."""

    def __init__(self) -> None:
        self._alarms: dict[tuple[str, str], FalseAlarm] = {}
        self._lock = threading.Lock()

    def record(self, account: str, check_id: str, job_arn: str) -> None:
        with self._lock:
            before = self._alarms.get((account, check_id))
            count = (before.count if before else 0) + 1
            self._alarms[(account, check_id)] = FalseAlarm(count, job_arn, _now())

    def recall(self, account: str, check_ids: Iterable[str]) -> dict[str, FalseAlarm]:
        with self._lock:
            return {
                c: self._alarms[(account, c)] for c in check_ids if (account, c) in self._alarms
            }
