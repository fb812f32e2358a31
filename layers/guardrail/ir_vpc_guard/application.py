"""The function, built once per container from its settings: one session and a set of
clients per region, the one VPC lock, the one job-records store, the mute-list reader, the
deliverer and the once-per-event path. The handler module holds one `App`; tests build
theirs the same way, with `cold_start` or `build_app`.

A deployment imports only what its settings use: the idempotency layer only with a table,
the sweep only when the schedule fires, Security Hub only with SECURITY_HUB
(delivery/channels/security_hub.py), the executor only when a fix is approved
(remediation/stage.py), the outcome package only for a state-change event or the sweep's
comparison (routing is intake/invocation.is_state_change).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger, Metrics

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.delivery import mutes
from ir_vpc_guard.delivery.deliverer import Deliverer, make_deliverer
from ir_vpc_guard.intake import invocation
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER
from ir_vpc_guard.intake.workloads import enabled
from ir_vpc_guard.observability import make_tracer
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.remediation.stopping import stoppable_checks
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.false_alarms import DynamoFalseAlarms, FalseAlarms, MemoryFalseAlarms
from ir_vpc_guard.state.lock import DynamoVpcLock, LocalVpcLock, VpcLock
from ir_vpc_guard.state.records import CheckedJobs, DynamoCheckedJobs, MemoryCheckedJobs

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from ir_vpc_guard.outcomes.compare import Outcomes

SERVICE = "ir-vpc-guard"
# A duplicate CloudTrail delivery or an EventBridge retry arrives within its 24 hours.
IDEMPOTENCY_SECONDS = 24 * 3600
# What the invocation returns of each report when an event has several.
SUMMARY_KEYS = ("eventId", "outcome", "job", "summary", "reason")
MUTE_LIST_MAX_AGE = 300  # seconds a read mute list is reused: an edit applies within minutes

Result = dict[str, Any]
Process = Callable[..., Result]


class Regions:
    """One AwsClients per region for the life of the container, all on one session."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.session = session
        self._clients: dict[str, AwsClients] = {}

    def __call__(self, region: str) -> AwsClients:
        if region not in self._clients:
            self._clients[region] = AwsClients(region, session=self.session)
        return self._clients[region]


def vpc_lock(settings: Settings, home: AwsClients) -> VpcLock:
    """The one place the VPC lock is made. With a table: a lease in it, in the table's
    region whatever region a job is in, so the event path and the sweep of every region
    serialize on it; without (the CLI in report mode, local runs): a process-local lock."""
    if settings.idempotency_table:
        return DynamoVpcLock(home.dynamodb, settings.idempotency_table)
    return LocalVpcLock()


def job_records(settings: Settings, home: AwsClients) -> CheckedJobs:
    """The table's job records, or (local runs) records for the life of the process."""
    if settings.idempotency_table:
        return DynamoCheckedJobs(home.dynamodb, settings.idempotency_table)
    return MemoryCheckedJobs()


def false_alarm_memory(settings: Settings, home: AwsClients) -> FalseAlarms:
    """The checks' false alarms in the table, or (local runs) for the life of the process."""
    if settings.idempotency_table:
        return DynamoFalseAlarms(home.dynamodb, settings.idempotency_table)
    return MemoryFalseAlarms()


class App:
    """One function: the parts `build_app` made, and the three entries Lambda reaches."""

    def __init__(
        self,
        settings: Settings,
        clients_for: Regions,
        home_region: str,
        *,
        records: CheckedJobs,
        false_alarms: FalseAlarms,
        lock: VpcLock,
        deliverer: Deliverer,
        read_mute_list: Callable[[], mutes.MuteList],
        logger: Logger,
        metrics: Metrics,
        tracer: Tracer,
    ) -> None:
        self.settings = settings
        self.clients_for = clients_for
        self.session = clients_for.session
        self.home_region = home_region
        self.records = records
        self.false_alarms = false_alarms
        self.lock = lock
        self.deliverer = deliverer
        self.read_mute_list = read_mute_list
        self.logger = logger
        self.metrics = metrics
        self._outcomes: Outcomes | None = None
        # One X-Ray subsegment per delivered report (with EnableTracing).
        traced = tracer.capture_method(capture_response=False)
        self._deliver = traced(deliverer.deliver)
        self._deliver_swept = traced(deliverer.deliver_swept)
        self._once = self._idempotent() if settings.idempotency_table else None
        # What Lambda calls, with (event, context): Powertools' logging, tracing and metrics
        # around the dispatch.
        handler = metrics.log_metrics(capture_cold_start_metric=True)(self.dispatch)
        handler = tracer.capture_lambda_handler(capture_response=False)(handler)
        self.lambda_handler: Callable[..., Result] = logger.inject_lambda_context(clear_state=True)(
            handler
        )

    def dispatch(self, event: Any, context: LambdaContext) -> Result:
        """The schedule's event to the sweep, SageMaker's state-change events to the
        comparison (the CloudTrail path would skip them: not an API call), anything else to
        the event path."""
        schedule = invocation.is_schedule(event)
        self.logger.set_correlation_id(invocation.correlation_id(event))
        if invocation.is_state_change(event):
            self.logger.append_keys(job="outcome")
            return self.compare_outcome(event)
        self.logger.append_keys(job="sweep" if schedule else invocation.job_name(event))
        return self.sweep(event, context) if schedule else self.check_event(event, context)

    def compare_outcome(self, event: Any) -> Result:
        """A job's end against what its report said (CONFIRM_OUTCOMES); no idempotency
        record: the job's own record keeps its verdict, so a repeated event counts once."""
        if not self.settings.confirm_outcomes:
            why = "CONFIRM_OUTCOMES is false"
            self.logger.info("state change not compared", extra={"reason": why})
            return {"skipped": why}
        return self.outcomes().on_event(event)

    def doubted_checks(self) -> FalseAlarms | None:
        """The false-alarm memory the job reports read (their evidence, a held-back stop):
        none with CONFIRM_OUTCOMES=false, which turns the comparison's reads off."""
        return self.false_alarms if self.settings.confirm_outcomes else None

    def outcomes(self) -> Outcomes:
        """The comparison, made on first use: the same records and channels as the reports."""
        if self._outcomes is None:
            from ir_vpc_guard.outcomes.compare import Outcomes  # noqa: PLC0415 (only when used)

            self._outcomes = Outcomes(
                self.records,
                self.deliverer.channels,
                self.logger,
                self.metrics,
                enabled(self.settings),
                self.settings.remediation_mode,
                false_alarms=self.false_alarms,
            )
        return self._outcomes

    def check_event(self, event: Any, context: LambdaContext) -> Result:
        """The CloudTrail record: once per event ID (a replay returns the stored report)."""
        if self._once is not None and invocation.has_event_id(event):
            config, process_once = self._once
            config.register_lambda_context(context)
            return process_once(event=event, context=context)
        return self._process(event=event, context=context)  # no table, or no event ID

    def sweep(self, event: Any, context: LambdaContext) -> Result:
        """The catch-up schedule: check the running jobs whose CloudTrail event never came.

        A failed publish propagates: the sweep releases its claim and re-raises, the
        invocation fails (Lambda retries it, then the DLQ), the next run checks the job.
        """
        from ir_vpc_guard.sweep import run_sweep  # noqa: PLC0415 (the event path never needs it)

        region = invocation.sweep_region(event, self.home_region)
        result = run_sweep(
            self.clients_for(region),
            self.settings,
            invocation.home_account(context),
            self.records,
            self._deliver_swept,
            lock=self.lock,
            max_jobs=self.settings.sweep_max_jobs,
            lookback=timedelta(minutes=self.settings.sweep_lookback_minutes) or None,
            budget=Budget.of_lambda(context),
            mute_list=self.mute_list(),
            false_alarms=self.doubted_checks(),
        )
        summary = result.summary(region)
        if self.settings.confirm_outcomes and INFERENCE_RECOMMENDER in enabled(self.settings):
            summary["outcomes"] = self.recommender_outcomes(region, context)
        self.deliverer.sweep_done(summary)
        return summary

    def recommender_outcomes(self, region: str, context: LambdaContext) -> Result:
        """Inference Recommender jobs send no state-change event: the jobs the guardrail
        recorded that ended in the window, Described and judged (outcomes/recommender.py)."""
        from ir_vpc_guard.outcomes import recommender  # noqa: PLC0415 (only with the sweep)

        return recommender.compare_ended_jobs(
            self.clients_for(region).sagemaker,
            self.outcomes(),
            account=invocation.home_account(context),
            region=region,
            since=datetime.now(UTC) - recommender.WINDOW,
            budget=Budget.of_lambda(context),
        )

    def mute_list(self) -> mutes.MuteList:
        """Read per invocation, so edits apply; a list that cannot be used mutes nothing."""
        found = self.read_mute_list()
        if found.problem is not None:
            self.logger.warning(
                "mute list unusable: nothing is muted", extra={"problem": found.problem}
            )
        return found

    def _process(self, *, event: Any, context: LambdaContext) -> Result:
        """Check the jobs the event describes (or skip the event), then deliver each report:
        the invocation returns the one report, or each report's outcome when there are
        several (a tuning job's definitions), which keeps the stored answer small."""
        reports = handle_event(
            event,
            self.settings,
            self.clients_for,
            Budget.of_lambda(context),
            home_account=invocation.home_account(context),
            lock=self.lock,
            mute_list=self.mute_list(),
            false_alarms=self.doubted_checks(),
        )
        delivered = [self._deliver(report) for report in reports]
        if len(delivered) == 1:
            return delivered[0]
        return {"reports": [{k: d.get(k) for k in SUMMARY_KEYS} for d in delivered]}

    def _idempotent(self) -> tuple[IdempotencyConfig, Process]:
        """`_process` at most once per event ID, its report kept in the table."""
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        config = IdempotencyConfig(
            event_key_jmespath="detail.eventID",
            expires_after_seconds=IDEMPOTENCY_SECONDS,
            response_hook=self._replayed,
        )
        store = DynamoDBPersistenceLayer(
            table_name=str(self.settings.idempotency_table),
            boto3_client=self.clients_for(self.home_region).dynamodb,
        )
        once: Process = idempotent_function(
            data_keyword_argument="event",
            config=config,
            persistence_store=store,
            key_prefix="event",
        )(self._process)
        return config, once

    def _replayed(self, response: Any, idempotent_data: DataRecord) -> Any:
        """Powertools found the event's stored report: return it, having delivered nothing."""
        self.deliverer.replayed()
        return response


def build_app(
    settings: Settings,
    session: boto3.session.Session,
    *,
    home_region: str | None = None,
    logger: Logger,
    metrics: Metrics,
    tracer: Tracer,
) -> App:
    """Everything the function keeps for the container's life, each part made once here.

    A setting no check may act on (STOP_ON_CHECKS) or naming no workload (WORKLOADS) fails
    here, at cold start.
    """
    stoppable_checks(settings)
    enabled(settings)
    clients_for = Regions(session)
    home_region = home_region or session.region_name or "us-east-1"
    home = clients_for(home_region)
    records = job_records(settings, home)
    # The channels make their clients now, on the one thread there is.
    deliverer = make_deliverer(
        settings, records=records, clients_for=clients_for, logger=logger, metrics=metrics
    )
    return App(
        settings,
        clients_for,
        home_region,
        records=records,
        false_alarms=false_alarm_memory(settings, home),
        lock=vpc_lock(settings, home),
        deliverer=deliverer,
        read_mute_list=mutes.parameter_reader(settings.mute_list_parameter, MUTE_LIST_MAX_AGE),
        logger=logger,
        metrics=metrics,
        tracer=tracer,
    )


def cold_start() -> App:
    """The app as Lambda starts it: settings from the environment (a bad one raises: a
    misconfigured function must not run), the region Lambda names, the stack's tracing."""
    return build_app(
        Settings.from_env(),
        boto3.session.Session(),
        home_region=os.environ.get("AWS_REGION"),
        logger=Logger(service=SERVICE),
        metrics=Metrics(service=SERVICE),
        tracer=make_tracer(SERVICE),
    )
