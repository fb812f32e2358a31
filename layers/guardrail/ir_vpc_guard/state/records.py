"""Which jobs were already checked, keyed by job ARN, so the event path and the sweep
never check one job twice. Backed by the idempotency table (one item per job, with a TTL).

A job reported in parts (a tuning job's training definitions, an endpoint's configs) is
claimed per part, and each part's prediction is kept on the job's own record too
(`prediction#<part>`): the job's end names the job, not the part, and the sweep, which lists
jobs, finds the job recorded once any part of it was reported."""

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
PART = "#"  # `prediction#<part>`, `verdict#<scope>`: a part's prediction, a scope's verdict
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


def in_scope(part: str | None, scope: str | None) -> bool:
    """Whether a part's prediction is about the end judged: every part when the end names
    no scope; else the scope's own part and its sub-parts (`<scope>, subnets ...`)."""
    if scope is None:
        return True
    return part is not None and (part == scope or part.startswith(scope + ", "))


def _attribute(name: str, part: str | None) -> str:
    return name if part is None else f"{name}{PART}{part}"


class CheckedJobs(Protocol):
    def seen(self, job_arns: Iterable[str]) -> set[str]: ...

    def claim(self, job_arn: str, trigger: str) -> bool: ...

    def release(self, job_arn: str) -> None: ...

    def confirm(self, job_arn: str) -> None: ...

    def predict(self, job_arn: str, part: str | None, prediction: Prediction) -> None: ...

    def prediction(self, job_arn: str, scope: str | None = None) -> Prediction | None: ...

    def judge_once(self, job_arn: str, verdict: str, scope: str | None = None) -> bool: ...

    def unjudged(self, job_arns: Iterable[str]) -> set[str]: ...

    def unjudge(self, job_arn: str, scope: str | None = None) -> None: ...


def _key(job_arn: str) -> str:
    return f"job#{job_arn}"


class DynamoCheckedJobs:
    """Records in the DynamoDB table the idempotency layer uses (partition key `id`)."""

    def __init__(self, dynamodb: DynamoDBClient, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self._owners: dict[str, str] = {}  # our open claims: claim key -> owner token
        # What our reports predicted (by part), written with the confirm of their claim.
        self._predictions: dict[str, dict[str | None, Prediction]] = {}

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
        what the report predicted (`predict`) in the same write. `job_arn` is the claim's
        key: for a part (`<arn>#<part>`) its prediction goes on the job's own record."""
        owner = self._owners.pop(job_arn, None)
        predictions = self._predictions.pop(job_arn, {})
        if not owner:
            return
        arn = job_arn.partition(PART)[0]
        until = {"N": str(int(time.time()) + RETENTION_SECONDS)}
        on_claim = predictions if arn == job_arn else {}
        update, names, values = _set_predictions(on_claim)
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
        if arn != job_arn and predictions:
            # A part's report is out: its job's record says so too (the sweep lists jobs,
            # and the job's end names the job), with the part's prediction beside the others.
            update, names, values = _set_predictions(predictions)
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(arn)}},
                UpdateExpression="SET expiration = :until" + update,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={":until": until, **values},
            )

    def predict(self, job_arn: str, part: str | None, prediction: Prediction) -> None:
        """Keep what the report about our claimed job (or part of it) predicted, for its
        confirm to write. The claim held is the part's (event path) or the job's (sweep)."""
        key = _held(self._owners, job_arn, part)
        if key is not None:
            self._predictions.setdefault(key, {})[part] = prediction

    def prediction(self, job_arn: str, scope: str | None = None) -> Prediction | None:
        """What the confirmed record of the job says the guardrail predicted, its parts in
        `scope` merged; None when the job has no live record or no part in scope; UNRECORDED
        when its record holds no prediction at all (claimed, never confirmed)."""
        answer = self.dynamodb.get_item(TableName=self.table, Key={"id": {"S": _key(job_arn)}})
        item = answer.get("Item")
        if not item or float(item.get("expiration", {}).get("N", "inf")) <= time.time():
            return None
        found = _parts(item, PREDICTION)
        if not found:
            return Prediction(UNRECORDED, (), stopped=False)
        parts = []
        for part, value in found.items():
            if not in_scope(part, scope):
                continue
            try:
                parts.append(Prediction.from_item(dict(value)))
            except (KeyError, TypeError):
                continue  # not a record this code wrote: nothing known
        return Prediction.merged(parts)

    def judge_once(self, job_arn: str, verdict: str, scope: str | None = None) -> bool:
        """Write the verdict on the job's record unless one is there: False for a repeat
        (SageMaker may send several events for one state change, and the catch-up Describes
        overlap), so each job counts once; an endpoint once per config (`scope`). The record's
        expiration is left as it is."""
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"id": {"S": _key(job_arn)}},
                UpdateExpression="SET #verdict = :verdict",
                ConditionExpression="attribute_exists(id) AND attribute_not_exists(#verdict)",
                ExpressionAttributeNames={"#verdict": _attribute(VERDICT, scope)},
                ExpressionAttributeValues={":verdict": {"S": verdict}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == leases.TAKEN:
                return False
            raise
        return True

    def unjudge(self, job_arn: str, scope: str | None = None) -> None:
        """Forget the verdict whose report could not be delivered: the retry judges again."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key={"id": {"S": _key(job_arn)}},
            UpdateExpression="REMOVE #verdict",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeNames={"#verdict": _attribute(VERDICT, scope)},
        )


def _held(owners: Iterable[str], job_arn: str, part: str | None) -> str | None:
    """The claim we hold on this job's report: its part's, else the whole job's."""
    held = set(owners)
    if part is not None and f"{job_arn}{PART}{part}" in held:
        return f"{job_arn}{PART}{part}"
    return job_arn if job_arn in held else None


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
        self._predictions: dict[str, dict[str | None, Prediction]] = {}  # job ARN -> parts
        self._verdicts: dict[tuple[str, str | None], str] = {}
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
            arn, _, part = job_arn.partition(PART)
            if part:
                self._predictions.get(arn, {}).pop(part, None)
            else:
                self._predictions.pop(arn, None)

    def confirm(self, job_arn: str) -> None:
        """In memory nothing lapses: the claim already stands for the process's life."""

    def predict(self, job_arn: str, part: str | None, prediction: Prediction) -> None:
        with self._lock:
            if _held(self._arns, job_arn, part) is not None:
                self._predictions.setdefault(job_arn, {})[part] = prediction

    def prediction(self, job_arn: str, scope: str | None = None) -> Prediction | None:
        with self._lock:
            parts = self._predictions.get(job_arn, {})
            if not parts and job_arn in self._arns:
                return Prediction(UNRECORDED, (), stopped=False)
            return Prediction.merged(p for part, p in parts.items() if in_scope(part, scope))

    def unjudged(self, job_arns: Iterable[str]) -> set[str]:
        with self._lock:
            return {
                a
                for a in job_arns
                if (a in self._arns or a in self._predictions) and (a, None) not in self._verdicts
            }

    def judge_once(self, job_arn: str, verdict: str, scope: str | None = None) -> bool:
        with self._lock:
            known = job_arn in self._arns or job_arn in self._predictions
            if not known or (job_arn, scope) in self._verdicts:
                return False
            self._verdicts[job_arn, scope] = verdict
            return True

    def unjudge(self, job_arn: str, scope: str | None = None) -> None:
        with self._lock:
            self._verdicts.pop((job_arn, scope), None)
