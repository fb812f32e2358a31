"""Lambda handler: wires settings, clients and the engine's stages; nothing else.

Two triggers reach it: the EventBridge rule on CreateInferenceRecommendationsJob CloudTrail
records (returns the job's report) and the catch-up schedule (returns a sweep summary).
An event the engine cannot use is skipped with a logged reason and never raises; a report
that cannot be published raises, so Lambda retries the invocation and then sends it to the
DLQ. Settings are read once, at cold start: a bad setting fails the function loudly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.delivery import mutes
from ir_vpc_guard.delivery.deliverer import make_deliverer
from ir_vpc_guard.intake import invocation
from ir_vpc_guard.observability import make_tracer
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.remediation.stopping import stoppable_checks
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import DynamoVpcLock, VpcLock
from ir_vpc_guard.state.records import CheckedJobs, DynamoCheckedJobs, MemoryCheckedJobs
from ir_vpc_guard.sweep import run_sweep

SERVICE = "ir-vpc-guard"
# A duplicate CloudTrail delivery or an EventBridge retry arrives within its 24 hours.
IDEMPOTENCY_SECONDS = 24 * 3600
MUTE_LIST_MAX_AGE = 300  # seconds a read mute list is reused: an edit applies within minutes


logger = Logger(service=SERVICE)
tracer = make_tracer(SERVICE)  # X-Ray only with EnableTracing (observability.py)
metrics = Metrics(service=SERVICE)

# Cold start. A SettingsError here is intended: a misconfigured function must not run.
SETTINGS = Settings.from_env()
stoppable_checks(SETTINGS)  # STOP_ON_CHECKS names only checks that may stop a job
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
SNS = clients_for(SETTINGS.topic_arn.split(":")[3]).sns if SETTINGS.topic_arn else None
RECORDS: CheckedJobs = (
    DynamoCheckedJobs(HOME.dynamodb, SETTINGS.idempotency_table)
    if SETTINGS.idempotency_table
    else MemoryCheckedJobs()  # local runs: remembered for the life of the process only
)
# Writes are serialized per VPC in the table's region, whatever region an event names.
LOCK: VpcLock | None = (
    DynamoVpcLock(HOME.dynamodb, SETTINGS.idempotency_table) if SETTINGS.idempotency_table else None
)
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="detail.eventID", expires_after_seconds=IDEMPOTENCY_SECONDS
)
READ_MUTE_LIST = mutes.parameter_reader(SETTINGS.mute_list_parameter, MUTE_LIST_MAX_AGE)
DELIVERY = make_deliverer(  # its SNS channel publishes with the SNS client above
    SETTINGS, records=RECORDS, clients_for=clients_for, logger=logger, metrics=metrics
)
# One X-Ray subsegment per delivered report (with EnableTracing).
deliver = tracer.capture_method(capture_response=False)(DELIVERY.deliver)
deliver_swept = tracer.capture_method(capture_response=False)(DELIVERY.deliver_swept)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    schedule = invocation.is_schedule(event)
    logger.set_correlation_id(invocation.correlation_id(event))
    logger.append_keys(job="sweep" if schedule else invocation.job_name(event))
    return _sweep(event, context) if schedule else _check_event(event, context)


def _check_event(event: Any, context: LambdaContext) -> dict[str, Any]:
    """The CloudTrail record: once per event ID (a replay returns the stored report)."""
    state: dict[str, bool] = {}
    if _process_once is not None and invocation.has_event_id(event):
        IDEMPOTENCY.register_lambda_context(context)
        result: dict[str, Any] = _process_once(event=event, context=context, state=state)
    else:  # no table (local runs), or no event id to key on
        result = _process(event=event, context=context, state=state)
    if not state.get("ran"):
        DELIVERY.replayed()
    return result


def _process(*, event: Any, context: LambdaContext, state: dict[str, bool]) -> dict[str, Any]:
    """Check the job the event describes (or skip the event), then deliver the report."""
    state["ran"] = True
    report = handle_event(
        event,
        SETTINGS,
        clients_for,
        Budget.of_lambda(context),
        home_account=invocation.home_account(context),
        lock=LOCK,
        mute_list=_mute_list(),
    )
    return deliver(report)


_process_once: Callable[..., dict[str, Any]] | None = (
    idempotent_function(
        data_keyword_argument="event",
        config=IDEMPOTENCY,
        persistence_store=DynamoDBPersistenceLayer(
            table_name=SETTINGS.idempotency_table, boto3_client=HOME.dynamodb
        ),
        key_prefix="event",
    )(_process)
    if SETTINGS.idempotency_table
    else None
)


def _sweep(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The catch-up schedule: check the running jobs whose CloudTrail event never came.

    A failed publish propagates: the sweep releases its claim and re-raises, the invocation
    fails (Lambda retries it, then the DLQ), the next run checks the job.
    """
    region = invocation.sweep_region(event, HOME_REGION)
    result = run_sweep(
        clients_for(region),
        SETTINGS,
        invocation.home_account(context),
        RECORDS,
        deliver_swept,
        max_jobs=SETTINGS.sweep_max_jobs,
        lookback=timedelta(minutes=SETTINGS.sweep_lookback_minutes) or None,
        budget=Budget.of_lambda(context),
        mute_list=_mute_list(),
    )
    summary = result.summary(region)
    DELIVERY.sweep_done(summary)
    return summary


def _mute_list() -> mutes.MuteList:
    """Read per invocation, so edits apply; a list that cannot be used mutes nothing."""
    found = READ_MUTE_LIST()
    if found.problem is not None:
        logger.warning("mute list unusable: nothing is muted", extra={"problem": found.problem})
    return found
