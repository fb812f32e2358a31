"""Which jobs were already checked, keyed by job ARN, so the event path and the sweep
never check one job twice. Backed by the idempotency table (one item per job, with a TTL)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from ir_vpc_guard.state import leases

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_dynamodb import DynamoDBClient

RETENTION_SECONDS = 14 * 24 * 3600  # longer than any job may run
# A claim not confirmed within this time (the invocation was killed between claiming and
# delivering) lapses, so a later sweep checks the job instead of skipping it for good.
CLAIM_LEASE_SECONDS = 15 * 60
BATCH = 100  # BatchGetItem's limit
PREDICTION = "prediction"  # the record's attribute: what the guardrail predicted
VERDICT = "verdict"  # the record's attribute: the verdict once the job ended
# The idempotency layer, these records and the per-VPC write locks share one table.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
)


@dataclass(frozen=True)
class Prediction:
    """What the guardrail said about a job, kept on its record so that the job's real end
    can be compared with it (outcomes/): small, a few check IDs at most."""

    outcome: str  # the report's outcome (PASS, WARN, FAIL, ...)
    certain_high: tuple[str, ...]  # the check IDs of its unmuted HIGH/CRITICAL findings
    stopped: bool  # the guardrail stopped the job

    def item(self) -> dict[str, Any]:
        """As a DynamoDB map attribute."""
        return {
            "M": {
                "outcome": {"S": self.outcome},
                "certainHigh": {"L": [{"S": c} for c in self.certain_high]},
                "stopped": {"BOOL": self.stopped},
            }
        }

    @classmethod
    def from_item(cls, value: dict[str, Any]) -> Prediction:
        """From the map attribute `item` wrote; a KeyError/TypeError when it is not one."""
        members = value["M"]
        return cls(
            outcome=str(members["outcome"]["S"]),
            certain_high=tuple(str(c["S"]) for c in members["certainHigh"]["L"]),
            stopped=bool(members["stopped"]["BOOL"]),
        )


class CheckedJobs(Protocol):
    def seen(self, job_arns: Iterable[str]) -> set[str]: ...

    def claim(self, job_arn: str, trigger: str) -> bool: ...

    def release(self, job_arn: str) -> None: ...

    def confirm(self, job_arn: str) -> None: ...

    def predict(self, job_arn: str, prediction: Prediction) -> None: ...

    def prediction(self, job_arn: str) -> Prediction | None: ...

    def judge_once(self, job_arn: str, verdict: str) -> bool: ...

    def unjudged(self, job_arns: Iterable[str]) -> set[str]: ...

    def unjudge(self, job_arn: str) -> None: ...


def _key(job_arn: str) -> str:
    return f"job#{job_arn}"


class DynamoCheckedJobs:
    """Records in the DynamoDB table the idempotency layer uses (partition key `id`)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self._owners: dict[str, str] = {}  # our open claims: job ARN -> owner token
        # What our reports predicted, written with the confirm of their claim.
        self._predictions: dict[str, Prediction] = {}

    def seen(self, job_arns: Iterable[str]) -> set[str]:
        return {arn for arn, _ in self._live(job_arns, "id, expiration", {})}

    def unjudged(self, job_arns: Iterable[str]) -> set[str]:
        """The jobs recorded and not yet judged (outcomes/): the ones worth a Describe."""
        found = self._live(job_arns, "id, expiration, #verdict", {"#verdict": VERDICT})
        return {arn for arn, item in found if VERDICT not in item}

    def _live(
        self, job_arns: Iterable[str], projection: str, names: dict[str, str]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The unexpired records of these jobs (BatchGetItem, 100 keys a call)."""
        arns = list(dict.fromkeys(job_arns))
        found: list[tuple[str, dict[str, Any]]] = []
        for start in range(0, len(arns), BATCH):
            keys: list[dict[str, Any]] = [
                {"id": {"S": _key(a)}} for a in arns[start : start + BATCH]
            ]
            wanted: dict[str, Any] = {"Keys": keys, "ProjectionExpression": projection}
            if names:
                wanted["ExpressionAttributeNames"] = names
            request: dict[str, Any] = {self.table: wanted}
            now = time.time()
            while request:
                answer = self.dynamodb.batch_get_item(RequestItems=request)
                found.extend(
                    (item["id"]["S"].removeprefix("job#"), item)
                    for item in answer.get("Responses", {}).get(self.table, [])
                    if float(item.get("expiration", {}).get("N", "inf")) > now  # TTL is lazy
                )
                request = answer.get("UnprocessedKeys") or {}
        return found

    def claim(self, job_arn: str, trigger: str) -> bool:
        """Claim the job for a check; False when someone holds or completed it (conditional
        write). The claim lapses unless `confirm` follows."""
        owner = uuid.uuid4().hex
        item = {"id": {"S": _key(job_arn)}, "trigger": {"S": trigger}, "owner": {"S": owner}}
        taken = leases.take(self.dynamodb, self.table, item, int(time.time()), CLAIM_LEASE_SECONDS)
        if taken:
            self._owners[job_arn] = owner
        return taken

    def release(self, job_arn: str) -> None:
        """Forget our claim whose check could not be delivered, so a retry checks the job
        (only ours: a lapsed claim may have been retaken by another invocation)."""
        owner = self._owners.pop(job_arn, None)
        self._predictions.pop(job_arn, None)
        if owner:
            leases.drop(self.dynamodb, self.table, {"id": {"S": _key(job_arn)}}, {"S": owner})

    def confirm(self, job_arn: str) -> None:
        """The report was delivered: keep our record for as long as any job may run, with
        what the report predicted (`predict`) in the same write."""
        owner = self._owners.pop(job_arn, None)
        prediction = self._predictions.pop(job_arn, None)
        if not owner:
            return
        update = "SET expiration = :until"
        names = {"#owner": "owner"}
        values: dict[str, Any] = {
            ":until": {"N": str(int(time.time()) + RETENTION_SECONDS)},
            ":owner": {"S": owner},
        }
        if prediction is not None:
            update += ", #prediction = :prediction"
            names["#prediction"] = PREDICTION
            values[":prediction"] = prediction.item()
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(job_arn)}},
                UpdateExpression=update,
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != leases.TAKEN:
                raise

    def predict(self, job_arn: str, prediction: Prediction) -> None:
        """Keep what the report about our claimed job predicted, for its confirm to write."""
        if job_arn in self._owners:
            self._predictions[job_arn] = prediction

    def prediction(self, job_arn: str) -> Prediction | None:
        """What the confirmed record of the job says the guardrail predicted; None when the
        job has no live record, or one without a prediction (a claim never confirmed)."""
        answer = self.dynamodb.get_item(
            TableName=self.table,
            Key={"id": {"S": _key(job_arn)}},
            ProjectionExpression="expiration, #prediction",
            ExpressionAttributeNames={"#prediction": PREDICTION},
        )
        item = answer.get("Item")
        if not item or float(item.get("expiration", {}).get("N", "inf")) <= time.time():
            return None
        value = item.get(PREDICTION)
        if value is None:
            return None
        try:
            return Prediction.from_item(dict(value))
        except (KeyError, TypeError):
            return None  # not a record this code wrote: nothing known

    def judge_once(self, job_arn: str, verdict: str) -> bool:
        """Write the verdict on the job's record unless one is there: False for a repeat
        (SageMaker may send several events for one state change, and the catch-up Describes
        overlap), so each job counts once. The record's expiration is left as it is."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(job_arn)}},
                UpdateExpression="SET #verdict = :verdict",
                ConditionExpression="attribute_exists(id) AND attribute_not_exists(#verdict)",
                ExpressionAttributeNames={"#verdict": VERDICT},
                ExpressionAttributeValues={":verdict": {"S": verdict}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == leases.TAKEN:
                return False
            raise
        return True

    def unjudge(self, job_arn: str) -> None:
        """Forget the verdict whose report could not be delivered: the retry judges again."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"id": {"S": _key(job_arn)}},
            UpdateExpression="REMOVE #verdict",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeNames={"#verdict": VERDICT},
        )


class MemoryCheckedJobs:
    """The same contract in memory, for the CLI and tests that run without a table."""

    def __init__(self) -> None:
        self._arns: dict[str, str] = {}
        self._predictions: dict[str, Prediction] = {}
        self._verdicts: dict[str, str] = {}
        self._lock = threading.Lock()

    def seen(self, job_arns: Iterable[str]) -> set[str]:
        with self._lock:
            return {a for a in job_arns if a in self._arns}

    def claim(self, job_arn: str, trigger: str) -> bool:
        with self._lock:
            if job_arn in self._arns:
                return False
            self._arns[job_arn] = trigger
            return True

    def release(self, job_arn: str) -> None:
        with self._lock:
            self._arns.pop(job_arn, None)
            self._predictions.pop(job_arn, None)

    def confirm(self, job_arn: str) -> None:
        """In memory nothing lapses: the claim already stands for the process's life."""

    def predict(self, job_arn: str, prediction: Prediction) -> None:
        with self._lock:
            if job_arn in self._arns:
                self._predictions[job_arn] = prediction

    def prediction(self, job_arn: str) -> Prediction | None:
        with self._lock:
            return self._predictions.get(job_arn)

    def unjudged(self, job_arns: Iterable[str]) -> set[str]:
        with self._lock:
            return {a for a in job_arns if a in self._arns and a not in self._verdicts}

    def judge_once(self, job_arn: str, verdict: str) -> bool:
        with self._lock:
            if job_arn not in self._arns or job_arn in self._verdicts:
                return False
            self._verdicts[job_arn] = verdict
            return True

    def unjudge(self, job_arn: str) -> None:
        with self._lock:
            self._verdicts.pop(job_arn, None)
