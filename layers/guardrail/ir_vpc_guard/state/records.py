"""Which jobs were already checked, keyed by job ARN, so the event path and the sweep
never check one job twice. Backed by the idempotency table (one item per job, with a TTL).

Each record also keeps what the guardrail predicted, for the job's end to be compared with
(outcomes/). A job reported in parts (a tuning job's training definitions, an endpoint's
configs) is claimed per part; each part's prediction goes on the record its end is judged
on (`prediction#<part>`): the job's own for a tuning job (its end names the job, and the
sweep, which lists jobs, then finds it reported), the endpoint config's for an endpoint
(`job#<arn>#endpoint config <name>`: each deployment of a config is judged on its own).
"""

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

# Longer than a job may run: a training job's MaxRuntimeInSeconds is at most 28 days and
# "the maximum time that a TrainingJob can run in total ... is 30 days" (StoppingCondition,
# SageMaker API reference), so its end still finds what the guardrail predicted.
RETENTION_SECONDS = 35 * 24 * 3600
# A claim not confirmed within this time (the invocation was killed between claiming and
# delivering) lapses, so a later sweep checks the job instead of skipping it for good.
CLAIM_LEASE_SECONDS = 15 * 60
BATCH = 100  # BatchGetItem's limit
PREDICTION = "prediction"  # the record's attribute: what the guardrail predicted
VERDICT = "verdict"  # the record's attribute: the verdict once the job ended
PART = "#"  # `<arn>#<part>` (a claim, a record), `prediction#<part>` (a part's prediction)
# The idempotency layer, these records and the per-VPC write locks share one table.
TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
)


OUTCOME_RANK = ("SKIPPED", "PASS", "REMEDIATED", "WARN", "PARTIAL", "FAIL", "ERROR")
# The outcome of a job that has a live record but no prediction on it: it was claimed for a
# check, and the record's confirm failed (the report went out) or the check is still running.
UNRECORDED = "UNRECORDED"
# The outcome of a job the sweep listed and skipped (no VPC config, run for a parent): its
# record keeps the sweep from reading it again, and its end is not compared.
SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class Prediction:
    """What the guardrail said about a job, kept on its record so that the job's real end
    can be compared with it (outcomes/): small, a few check IDs at most."""

    outcome: str  # the report's outcome (PASS, WARN, FAIL, ...)
    certain_high: tuple[str, ...]  # the check IDs of its unmuted HIGH/CRITICAL findings
    stopped: bool  # the guardrail stopped the job
    # Certain HIGHs of a part whose failure need not end the job: one training definition
    # of a tuning job with several (the others may still carry it to Completed).
    part_high: tuple[str, ...] = ()
    # The check IDs of its unmuted MEDIUM findings (an answer the guardrail could not know):
    # a miss on one of them was flagged, if not predicted.
    flagged: tuple[str, ...] = ()

    def item(self) -> dict[str, Any]:
        """As a DynamoDB map attribute."""
        members: dict[str, Any] = {
            "outcome": {"S": self.outcome},
            "certainHigh": {"L": [{"S": c} for c in self.certain_high]},
            "stopped": {"BOOL": self.stopped},
        }
        if self.part_high:
            members["partHigh"] = {"L": [{"S": c} for c in self.part_high]}
        if self.flagged:
            members["flagged"] = {"L": [{"S": c} for c in self.flagged]}
        return {"M": members}

    @classmethod
    def from_item(cls, value: dict[str, Any]) -> Prediction:
        """From the map attribute `item` wrote; a KeyError/TypeError when it is not one."""
        members = value["M"]
        return cls(
            outcome=str(members["outcome"]["S"]),
            certain_high=tuple(str(c["S"]) for c in members["certainHigh"]["L"]),
            stopped=bool(members["stopped"]["BOOL"]),
            part_high=tuple(str(c["S"]) for c in members.get("partHigh", {}).get("L", [])),
            flagged=tuple(str(c["S"]) for c in members.get("flagged", {}).get("L", [])),
        )

    @classmethod
    def merged(cls, parts: Iterable[Prediction]) -> Prediction | None:
        """The job's prediction from its parts': the gravest outcome, every certain HIGH,
        stopped if any part stopped it (a stop ends the whole job). None for no parts."""
        parts = list(parts)
        if not parts:
            return None
        certain = sorted({c for p in parts for c in p.certain_high})
        partial = sorted({c for p in parts for c in p.part_high} - set(certain))
        flagged = sorted({c for p in parts for c in p.flagged} - set(certain) - set(partial))
        return cls(
            outcome=max((p.outcome for p in parts), key=_outcome_rank),
            certain_high=tuple(certain),
            stopped=any(p.stopped for p in parts),
            part_high=tuple(partial),
            flagged=tuple(flagged),
        )


def _outcome_rank(outcome: str) -> int:
    return OUTCOME_RANK.index(outcome) if outcome in OUTCOME_RANK else len(OUTCOME_RANK)


def _attribute(name: str, part: str | None) -> str:
    return name if part is None else f"{name}{PART}{part}"


class CheckedJobs(Protocol):
    def seen(self, job_arns: Iterable[str]) -> set[str]: ...

    def claim(self, job_arn: str, trigger: str) -> bool: ...

    def release(self, job_arn: str) -> None: ...

    def confirm(self, job_arn: str) -> None: ...

    def predict(
        self, claim: str, record: str, part: str | None, prediction: Prediction
    ) -> None: ...

    def prediction(self, record: str) -> Prediction | None: ...

    def judge_once(self, record: str, verdict: str) -> bool: ...

    def unjudged(self, job_arns: Iterable[str]) -> set[str]: ...

    def unjudge(self, record: str) -> None: ...


def _key(job_arn: str) -> str:
    return f"job#{job_arn}"


class DynamoCheckedJobs:
    """Records in the DynamoDB table the idempotency layer uses (partition key `id`)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self._owners: dict[str, str] = {}  # our open claims: claim key -> owner token
        # What our reports predicted: by claim, the record it goes on and each part's
        # prediction, written with the confirm of the claim.
        self._predictions: dict[str, tuple[str, dict[str | None, Prediction]]] = {}

    def seen(self, job_arns: Iterable[str]) -> set[str]:
        return {arn for arn, _ in self._live(job_arns, "id, expiration", {})}

    def unjudged(self, job_arns: Iterable[str]) -> set[str]:
        """The jobs checked and not yet judged (outcomes/): the ones worth a Describe. A job
        the sweep skipped (no VPC config) has nothing to judge."""
        names = {"#verdict": VERDICT, "#prediction": PREDICTION}
        found = self._live(job_arns, "id, expiration, #verdict, #prediction", names)
        return {
            arn
            for arn, item in found
            if VERDICT not in item and not _skipped_item(item.get(PREDICTION))
        }

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
        what the report predicted (`predict`) in the same write; a part's prediction goes on
        the record its end is judged on. `job_arn` is the claim's key."""
        owner = self._owners.pop(job_arn, None)
        record, predictions = self._predictions.pop(job_arn, (job_arn, {}))
        if not owner:
            return
        until = {"N": str(int(time.time()) + RETENTION_SECONDS)}
        update, names, values = _set_predictions(predictions if record == job_arn else {})
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(job_arn)}},
                UpdateExpression="SET expiration = :until" + update,
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner", **names},
                ExpressionAttributeValues={":until": until, ":owner": {"S": owner}, **values},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != leases.TAKEN:
                raise
        if record != job_arn and predictions:
            # A part's report is out: the record its end is judged on says so, with the part's
            # prediction beside the others'. An endpoint config's record is a new deployment
            # each time: its last verdict goes, so this one is judged too.
            update, names, values = _set_predictions(predictions)
            if PART in record:
                update += " REMOVE #verdict"
                names["#verdict"] = VERDICT
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(record)}},
                UpdateExpression="SET expiration = :until" + update,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":until": until, **values},
            )

    def predict(self, claim: str, record: str, part: str | None, prediction: Prediction) -> None:
        """Keep what the report delivered under our `claim` predicted about `part` of its job
        (None: the whole job), for the claim's confirm to write on `record`."""
        if claim in self._owners:
            self._predictions.setdefault(claim, (record, {}))[1][part] = prediction

    def prediction(self, record: str) -> Prediction | None:
        """What the confirmed record says the guardrail predicted, its parts merged; None
        when there is no live record; UNRECORDED when it holds no prediction at all (claimed,
        never confirmed)."""
        answer = self.dynamodb.get_item(TableName=self.table, Key={"id": {"S": _key(record)}})
        item = answer.get("Item")
        if not item or float(item.get("expiration", {}).get("N", "inf")) <= time.time():
            return None
        found = _parts(item, PREDICTION)
        if not found:
            return Prediction(UNRECORDED, (), stopped=False)
        parts = []
        for value in found.values():
            try:
                parts.append(Prediction.from_item(dict(value)))
            except (KeyError, TypeError):
                continue  # not a record this code wrote: nothing known
        return Prediction.merged(parts)

    def judge_once(self, record: str, verdict: str) -> bool:
        """Write the verdict on the record unless one is there: False for a repeat (SageMaker
        may send several events for one state change, and the catch-up Describes overlap),
        so each job (each deployment of an endpoint config) counts once. The record's
        expiration is left as it is."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(record)}},
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

    def unjudge(self, record: str) -> None:
        """Forget the verdict whose report could not be delivered: the retry judges again."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"id": {"S": _key(record)}},
            UpdateExpression="REMOVE #verdict",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeNames={"#verdict": VERDICT},
        )


def _skipped(predictions: Iterable[Prediction]) -> bool:
    return any(p.outcome == SKIPPED for p in predictions)


def _skipped_item(value: Any) -> bool:
    """Whether a record's whole-job prediction attribute says the job was skipped."""
    try:
        return bool(value) and Prediction.from_item(dict(value)).outcome == SKIPPED
    except (KeyError, TypeError):
        return False


def _parts(item: dict[str, Any], name: str) -> dict[str | None, Any]:
    """The item's attributes `name` (the whole job: None) and `name#<part>`, by part."""
    prefix = name + PART
    found: dict[str | None, Any] = {}
    for attribute, value in item.items():
        if attribute == name:
            found[None] = value
        elif attribute.startswith(prefix):
            found[attribute[len(prefix) :]] = value
    return found


def _set_predictions(
    predictions: dict[str | None, Prediction],
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`, #p0 = :p0, ...` with its names and values: each part's prediction attribute."""
    update, names, values = "", {}, {}
    for index, (part, prediction) in enumerate(predictions.items()):
        update += f", #p{index} = :p{index}"
        names[f"#p{index}"] = _attribute(PREDICTION, part)
        values[f":p{index}"] = prediction.item()
    return update, names, values


class MemoryCheckedJobs:
    """The same contract in memory, for the CLI and tests that run without a table."""

    def __init__(self) -> None:
        self._arns: dict[str, str] = {}  # claim key -> trigger
        self._pending: dict[str, tuple[str, dict[str | None, Prediction]]] = {}  # by claim
        self._predictions: dict[str, dict[str | None, Prediction]] = {}  # by record
        self._verdicts: dict[str, str] = {}  # by record
        self._lock = threading.Lock()

    def seen(self, job_arns: Iterable[str]) -> set[str]:
        with self._lock:
            return {a for a in job_arns if a in self._arns or a in self._predictions}

    def claim(self, job_arn: str, trigger: str) -> bool:
        with self._lock:
            if job_arn in self._arns:
                return False
            self._arns[job_arn] = trigger
            return True

    def release(self, job_arn: str) -> None:
        with self._lock:
            self._arns.pop(job_arn, None)
            self._pending.pop(job_arn, None)

    def confirm(self, job_arn: str) -> None:
        """Nothing lapses in memory; the claim's predictions go on their record."""
        with self._lock:
            record, predictions = self._pending.pop(job_arn, (job_arn, {}))
            if predictions:
                self._predictions.setdefault(record, {}).update(predictions)
                if record != job_arn and PART in record:
                    self._verdicts.pop(record, None)  # an endpoint config deployed again

    def predict(self, claim: str, record: str, part: str | None, prediction: Prediction) -> None:
        with self._lock:
            if claim in self._arns:
                self._pending.setdefault(claim, (record, {}))[1][part] = prediction

    def prediction(self, record: str) -> Prediction | None:
        with self._lock:
            parts = self._predictions.get(record, {})
            if not parts and record in self._arns:
                return Prediction(UNRECORDED, (), stopped=False)
            return Prediction.merged(parts.values())

    def unjudged(self, job_arns: Iterable[str]) -> set[str]:
        with self._lock:
            return {
                a
                for a in job_arns
                if (a in self._arns or a in self._predictions)
                and a not in self._verdicts
                and not _skipped(self._predictions.get(a, {}).values())
            }

    def judge_once(self, record: str, verdict: str) -> bool:
        with self._lock:
            known = record in self._arns or record in self._predictions
            if not known or record in self._verdicts:
                return False
            self._verdicts[record] = verdict
            return True

    def unjudge(self, record: str) -> None:
        with self._lock:
            self._verdicts.pop(record, None)
