"""Lambda handler: wires settings, clients and the engine's stages; nothing else.

Two triggers reach it: the EventBridge rule on CreateInferenceRecommendationsJob CloudTrail
records (returns the job's report) and the catch-up schedule (returns a sweep summary).
An event the engine cannot use is skipped with a logged reason and never raises; a report
that cannot be published raises, so Lambda retries the invocation and then sends it to the
DLQ. Settings are read once, at cold start: a bad setting fails the function loudly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery import mutes, notify, securityhub
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.intake.event import member
from ir_vpc_guard.intake.request import ACCOUNT_PATTERN, JOB_NAME, REGION_PATTERN
from ir_vpc_guard.observability import make_tracer
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import DynamoVpcLock, VpcLock
from ir_vpc_guard.state.records import CheckedJobs, DynamoCheckedJobs, MemoryCheckedJobs
from ir_vpc_guard.sweep import SweepResult, run_sweep

SERVICE = "ir-vpc-guard"
SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE = "aws.events", "Scheduled Event"
# A duplicate CloudTrail delivery or an EventBridge retry arrives within its 24 hours.
IDEMPOTENCY_SECONDS = 24 * 3600
MUTE_LIST_MAX_AGE = 300  # seconds a read mute list is reused: an edit applies within minutes
RETURN_LIMIT_BYTES = 256 * 1024  # what the handler returns, and what idempotency stores
MAX_CORRELATION_ID = 128


logger = Logger(service=SERVICE)
tracer = make_tracer(SERVICE)  # X-Ray only with EnableTracing (observability.py)
metrics = Metrics(service=SERVICE)

# Cold start. A SettingsError here is intended: a misconfigured function must not run.
SETTINGS = Settings.from_env()
SESSION = boto3.session.Session()
HOME_REGION = os.environ.get("AWS_REGION") or SESSION.region_name or "us-east-1"
_CLIENTS: dict[str, AwsClients] = {}


def clients_for(region: str) -> AwsClients:
    """One set of clients per region for the life of the container (one session)."""
    if region not in _CLIENTS:
        _CLIENTS[region] = AwsClients(region, session=SESSION)
    return _CLIENTS[region]


HOME = clients_for(HOME_REGION)
# Clients the handler itself uses are made now, on the one thread there is.
SNS = clients_for(SETTINGS.topic_arn.split(":")[3]).client("sns") if SETTINGS.topic_arn else None
RECORDS: CheckedJobs = (
    DynamoCheckedJobs(HOME.client("dynamodb"), SETTINGS.idempotency_table)
    if SETTINGS.idempotency_table
    else MemoryCheckedJobs()  # local runs: remembered for the life of the process only
)
# Writes are serialized per VPC in the table's region, whatever region an event names.
LOCK: VpcLock | None = (
    DynamoVpcLock(HOME.client("dynamodb"), SETTINGS.idempotency_table)
    if SETTINGS.idempotency_table
    else None
)
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="detail.eventID", expires_after_seconds=IDEMPOTENCY_SECONDS
)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    if _is_schedule(event):
        _bind_log_keys(event, job="sweep")
        return _sweep(event, context)
    _bind_log_keys(event, job=_job_name(event))
    state: dict[str, bool] = {}
    if _process_once is not None and _has_event_id(event):
        IDEMPOTENCY.register_lambda_context(context)
        result: dict[str, Any] = _process_once(event=event, context=context, state=state)
    else:  # no table (local runs), or no event id to key on
        result = _process(event=event, context=context, state=state)
    if not state.get("ran"):
        logger.info("event already processed: returned the stored report, published nothing")
        metrics.add_metric(name=names.REPLAYS, unit=MetricUnit.Count, value=1)
    return result


def _process(*, event: Any, context: LambdaContext, state: dict[str, bool]) -> dict[str, Any]:
    """Check the job the event describes (or skip the event), then deliver the report."""
    state["ran"] = True
    report = handle_event(
        event,
        SETTINGS,
        clients_for,
        Budget.of_lambda(context),
        home_account=_home_account(context),
        lock=LOCK,
        mute_list=_mute_list(),
    )
    return _deliver(report, claim=True)


def _mute_list() -> mutes.MuteList:
    """The SSM mute list (Powertools caches it): read per invocation, so edits apply."""
    if SETTINGS.mute_list_parameter is None:
        return mutes.EMPTY
    found = mutes.load_parameter(
        SETTINGS.mute_list_parameter, parameters.get_parameter, MUTE_LIST_MAX_AGE
    )
    if found.problem is not None:
        logger.warning("mute list unusable: nothing is muted", extra={"problem": found.problem})
    return found


_process_once: Callable[..., dict[str, Any]] | None = (
    idempotent_function(
        data_keyword_argument="event",
        config=IDEMPOTENCY,
        persistence_store=DynamoDBPersistenceLayer(
            table_name=SETTINGS.idempotency_table, boto3_client=HOME.client("dynamodb")
        ),
        key_prefix="event",
    )(_process)
    if SETTINGS.idempotency_table
    else None
)


@tracer.capture_method(capture_response=False)
def _deliver(report: Report, *, claim: bool) -> dict[str, Any]:
    """Log, count, record, export and publish one report; raise if the publish fails.

    The job is recorded as checked before publishing, so the sweep leaves it alone; if the
    publish fails the record is released, so the retried invocation checks it again.
    """
    arn = report.job.get("arn")
    checked = report.outcome.value != "SKIPPED"
    claimed = bool(claim and arn and checked and RECORDS.claim(arn, "event"))
    if claim and arn and checked and not claimed:
        # The sweep or an event with another ID reported this job (or is reporting it):
        # published all the same, marked, so a reader knows it is not a new job.
        report.repeat = True
        logger.info("job already reported (sweep or an earlier event): published as a repeat")
    data = report.to_dict()
    _log_report(data)
    for name, value in names.report_counts(data).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    try:
        _export_to_security_hub(data)
        _publish(data)
    except BaseException:
        if claimed and arn:
            RECORDS.release(arn)
        raise
    if claimed and arn:
        try:
            RECORDS.confirm(arn)
        except (ClientError, BotoCoreError) as error:
            # Published, not recorded: the claim lapses and a sweep may report the job once
            # more. Failing now would make Lambda retry and publish it again at once.
            logger.warning("job record not confirmed", extra=_why(error))
    return _bounded(data)


def _publish(data: dict[str, Any]) -> None:
    if SNS is None or SETTINGS.topic_arn is None:
        logger.warning("TOPIC_ARN is not set: the report is only logged and returned")
        return
    if not notify.should_publish(data, SETTINGS.notify_on):
        logger.info("not published", extra={"notifyOn": SETTINGS.notify_on})
        return
    try:
        sent = notify.publish(SNS, SETTINGS.topic_arn, data)
    except Exception as error:
        logger.error("publish failed: the invocation fails so it is retried", extra=_why(error))
        raise
    metrics.add_metric(name=names.PUBLISHED, unit=MetricUnit.Count, value=1)
    logger.info(
        "published",
        extra={"messageId": sent.message_id, "bytes": sent.size, "trimmed": sent.trimmed},
    )


def _export_to_security_hub(data: dict[str, Any]) -> None:
    """Optional and secondary: a failure is logged and counted, never raised (SNS is the
    delivery that must not be lost, and a retry would publish the SNS message twice)."""
    if not SETTINGS.security_hub or data["outcome"] == "SKIPPED":
        return
    try:
        result = securityhub.export(clients_for(data["region"]).client("securityhub"), data)
    except Exception as error:
        logger.error("Security Hub export failed", extra=_why(error))
        metrics.add_metric(name=names.SECURITY_HUB_FAILURES, unit=MetricUnit.Count, value=1)
        return
    if result.failed:
        codes = sorted({str(f.get("ErrorCode")) for f in result.failed})
        logger.error(
            "Security Hub refused findings", extra={"failed": len(result.failed), "codes": codes}
        )
        metrics.add_metric(
            name=names.SECURITY_HUB_FAILURES, unit=MetricUnit.Count, value=len(result.failed)
        )
    logger.info("exported to Security Hub", extra={"imported": result.imported})


def _sweep(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The catch-up schedule: check the running jobs whose CloudTrail event never came."""
    region = event.get("region")
    if not (isinstance(region, str) and REGION_PATTERN.fullmatch(region)):
        region = HOME_REGION

    def deliver(report: Report) -> None:
        # A failed publish propagates: the sweep releases its claim and re-raises, the
        # invocation fails (Lambda retries it, then the DLQ), the next run checks the job.
        logger.append_keys(job=report.job.get("name") or "unknown")
        try:
            _deliver(report, claim=False)  # the sweep claimed the job itself
        finally:
            logger.append_keys(job="sweep")

    result = run_sweep(
        clients_for(region),
        SETTINGS,
        _home_account(context),
        RECORDS,
        deliver,
        max_jobs=SETTINGS.sweep_max_jobs,
        lookback=timedelta(minutes=SETTINGS.sweep_lookback_minutes) or None,
        budget=Budget.of_lambda(context),
        mute_list=_mute_list(),
    )
    metrics.add_metric(
        name=names.SWEEP_FOUND_JOBS, unit=MetricUnit.Count, value=len(result.checked)
    )
    summary = _sweep_summary(result, region)
    logger.info("sweep done", extra=summary)
    return summary


def _sweep_summary(result: SweepResult, region: str) -> dict[str, Any]:
    return {
        "trigger": "sweep",
        "region": region,
        "listed": result.listed,
        "alreadyChecked": result.already_checked,
        "checked": [{"job": r.job.get("name"), "outcome": r.outcome.value} for r in result.checked],
        "skipped": [{"job": r.job.get("name"), "reason": r.reason} for r in result.skipped],
        "leftForNextRun": result.left_for_next_run,
        "stoppedForDeadline": result.stopped_for_deadline,
        "unreadable": result.unreadable,
        "unconfirmed": result.unconfirmed,
    }


def _log_report(data: dict[str, Any]) -> None:
    """One INFO line per report: outcome, counts and check IDs; never policies, evidence or
    the event's request parameters (DEBUG has the whole report)."""
    checks = data["summary"].get("checks") or {}
    line: dict[str, Any] = {
        "outcome": data["outcome"],
        "trigger": data.get("trigger"),
        "mode": data.get("mode"),
        "account": data.get("account"),
        "region": data.get("region"),
        "vpc": (data.get("job") or {}).get("vpc"),
        "findings": data["summary"]["findings"],
        "maxSeverity": data["summary"]["maxSeverity"],
        "bySeverity": data["summary"]["bySeverity"],
        "checkIds": sorted({str(f["checkId"]) for f in data["findings"]}),
        "erroredChecks": checks.get("errored", []),
        "actions": {
            status: sum(1 for a in data.get("actions", []) if a.get("status") == status)
            for status in sorted({str(a.get("status")) for a in data.get("actions", [])})
        },
    }
    if data.get("reason"):
        line["reason"] = data["reason"]
    if data.get("repeat"):
        line["repeat"] = True
    logger.info("report", extra=line)
    logger.debug("full report", extra={"report": data})


def _bounded(data: dict[str, Any]) -> dict[str, Any]:
    """The report to return (and store for idempotency): trimmed as for SNS when huge."""
    if len(json.dumps(data).encode()) <= RETURN_LIMIT_BYTES:
        return data
    return notify.fit(data)


def _is_schedule(event: Any) -> bool:
    # Plain keys, not Powertools' EventBridgeEvent: importing its package loads every event
    # class (about 58 ms of cold start, benchmarks/RESULTS.md) for two lookups.
    return (
        isinstance(event, dict)
        and event.get("source") == SCHEDULE_SOURCE
        and event.get("detail-type") == SCHEDULE_DETAIL_TYPE
    )


def _bind_log_keys(event: Any, *, job: str) -> None:
    """Correlation id = the CloudTrail eventID (the schedule's event id for a sweep)."""
    candidates: list[object] = []
    if isinstance(event, dict):
        candidates = [member(event.get("detail"), "eventID"), event.get("id")]
    correlation = next((c for c in candidates if _printable(c)), "unknown")
    logger.set_correlation_id(str(correlation))
    logger.append_keys(job=job)


def _has_event_id(event: Any) -> bool:
    """Whether `detail.eventID` (the idempotency key) is there: else nothing to key on."""
    detail = event.get("detail") if isinstance(event, dict) else None
    key = detail.get("eventID") if isinstance(detail, dict) else None
    return key is not None and key not in ("", [], {})


def _job_name(event: Any) -> str:
    detail = event.get("detail") if isinstance(event, dict) else None
    name = member(member(detail, "requestParameters"), "jobName")
    return name if isinstance(name, str) and JOB_NAME.fullmatch(name) else "unknown"


def _home_account(context: LambdaContext) -> str:
    """The function's own account, field 4 of its ARN."""
    parts = str(getattr(context, "invoked_function_arn", "")).split(":")
    if len(parts) < 5 or not ACCOUNT_PATTERN.fullmatch(parts[4]):
        raise RuntimeError("cannot read the function's account from invoked_function_arn")
    return parts[4]


def _printable(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_CORRELATION_ID
        and value.isascii()
        and value.isprintable()
    )


def _why(error: BaseException) -> dict[str, str]:
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return {"error": type(error).__name__, "errorCode": str(code or "")}
