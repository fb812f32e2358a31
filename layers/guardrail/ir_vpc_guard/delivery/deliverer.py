"""Where a report goes once it is made: one log line, the metrics, then each enabled channel
(delivery/channels/: Security Hub, best effort, then SNS, required). A required channel that
fails raises, so Lambda retries the invocation and then sends it to the DLQ; a best-effort
one logs and counts its failure.

Built once at cold start from what it needs; it keeps nothing between reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery import notify
from ir_vpc_guard.delivery.channels import Channel, enabled_channels, why
from ir_vpc_guard.delivery.prediction import prediction_of
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Outcome
from ir_vpc_guard.intake.workloads.endpoint import endpoint_scope
from ir_vpc_guard.state.claims import job_claim
from ir_vpc_guard.state.records import CheckedJobs

if TYPE_CHECKING:  # types only: Powertools is imported by the handler
    from aws_lambda_powertools import Logger, Metrics

    from ir_vpc_guard.aws import AwsClients
    from ir_vpc_guard.settings import Settings

RETURN_LIMIT_BYTES = 256 * 1024  # what the handler returns, and what idempotency stores
SWEEP_JOB = "sweep"  # the `job` log key of a sweep's own lines


class Deliverer:
    """Delivers the reports of one function: the event path's and the sweep's."""

    def __init__(
        self,
        *,
        channels: Sequence[Channel],
        records: CheckedJobs,
        logger: Logger,
        metrics: Metrics,
    ) -> None:
        self.channels = tuple(channels)
        self.records = records
        self.logger = logger
        self.metrics = metrics

    def deliver(self, report: Report) -> dict[str, Any]:
        """The event path: deliver the report under the job's claim; return it, bounded.

        The job is claimed (`claim_key`) before publishing, so the sweep leaves it alone; if
        the publish fails the claim is released (the retried invocation checks it again) and
        the error propagates. A job the sweep or an event with another ID reported (or is reporting)
        is published all the same, marked, so a reader knows it is not a new job.
        """
        key = claim_key(report.job, report.event_id)
        if key is None or report.outcome is Outcome.SKIPPED:
            return bounded(report, self._send(report, claim=None))
        with job_claim(self.records, key, "event") as claim:
            if not claim.taken:
                report = replace(report, repeat=True)
                self.logger.info(
                    "job already reported (sweep or an earlier event): published as a repeat"
                )
            data = self._send(report, claim=key)
        if claim.unconfirmed is not None:
            # Published, not recorded: the claim lapses and a sweep may report the job once
            # more. Failing now would make Lambda retry and publish it again at once.
            self.logger.warning("job record not confirmed", extra=why(claim.unconfirmed))
        return bounded(report, data)

    def deliver_swept(self, report: Report) -> None:
        """The sweep's delivery (the sweep holds the job's claim): the log lines name the
        job while it is delivered. A failed publish propagates to the sweep."""
        self.logger.append_keys(job=report.job.get("name") or "unknown")
        try:
            self._send(report, claim=str(report.job["arn"]) if report.job.get("arn") else None)
        finally:
            self.logger.append_keys(job=SWEEP_JOB)

    def sweep_done(self, summary: dict[str, Any]) -> None:
        """The sweep's own line and count, from its summary (`SweepResult.summary`)."""
        self.metrics.add_metric(
            name=names.SWEEP_FOUND_JOBS, unit=MetricUnit.Count, value=len(summary["checked"])
        )
        self.logger.info("sweep done", extra=summary)

    def replayed(self) -> None:
        """The idempotency layer answered with the stored report: nothing was delivered."""
        self.logger.info("event already processed: returned the stored report, published nothing")
        self.metrics.add_metric(name=names.REPLAYS, unit=MetricUnit.Count, value=1)

    def _send(self, report: Report, *, claim: str | None) -> dict[str, Any]:
        """Log, count and send one report to every channel; raise if a required one fails.
        What it predicts is kept under the job's `claim`. Returns the report's JSON."""
        data = report.to_dict()
        self.logger.info("report", extra=log_line(report))
        self.logger.debug("full report", extra={"report": data})
        for name, value in names.report_counts(report).items():
            self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        self._count_by_workload(report)
        if claim is not None and report.outcome is not Outcome.SKIPPED:
            # Kept with the job's record when its claim is confirmed (outcomes/ compares it).
            definition = report.job.get("definition")
            self.records.predict(
                claim,
                record_key(report.job),
                str(definition) if definition else None,
                prediction_of(report),
            )
        for channel in self.channels:
            channel.send(report)
        return data

    def _count_by_workload(self, report: Report) -> None:
        """JobsCheckedByWorkload, printed now in its own EMF document: the function's other
        metrics keep their one `service` dimension (delivery/metrics.py)."""
        dimensions = names.workload_dimensions(report)
        if dimensions is None:
            return
        with single_metric(
            name=names.JOBS_CHECKED_BY_WORKLOAD,
            unit=MetricUnit.Count,
            value=1,
            namespace=self.metrics.namespace,
            default_dimensions={"service": str(self.metrics.service), **dimensions},
        ):
            pass  # printed when the block ends


# Resources deployed again and again under one ARN: an endpoint (CreateEndpoint, each
# UpdateEndpoint, its name reused after DeleteEndpoint). Each call is a deployment of its own.
REDEPLOYED = frozenset({"endpoint"})


def claim_key(job: Mapping[str, Any], event_id: str) -> str | None:
    """The record a job's report is claimed under: its ARN, and for a job that is one part of
    its request (a tuning job's training definition, an endpoint's config and VPC config) the
    ARN and that part, so an event's second part is not a repeat of its first; an endpoint's
    also the event's, so a later deployment of the same config is no repeat either. None when
    the job has no ARN (nothing to claim)."""
    arn = job.get("arn")
    if not arn:
        return None
    definition = job.get("definition")
    key = f"{arn}#{definition}" if definition else str(arn)
    return f"{key}#{event_id}" if job.get("workload") in REDEPLOYED else key


def record_key(job: Mapping[str, Any]) -> str:
    """The record the job's end is judged on (outcomes/): the job's ARN; for an endpoint, the
    ARN and the endpoint config its state change names."""
    arn = str(job["arn"])
    definition = job.get("definition")
    if job.get("workload") in REDEPLOYED and definition:
        return f"{arn}#{endpoint_scope(str(definition))}"
    return arn


def make_deliverer(
    settings: Settings,
    *,
    records: CheckedJobs,
    clients_for: Callable[[str], AwsClients],
    logger: Logger,
    metrics: Metrics,
) -> Deliverer:
    """The deliverer of a function with these settings: its enabled channels, built now."""
    channels = enabled_channels(settings, clients_for, logger, metrics)
    return Deliverer(channels=channels, records=records, logger=logger, metrics=metrics)


def log_line(report: Report) -> dict[str, Any]:
    """The one INFO line per report: outcome, counts and check IDs; never policies,
    evidence or the event's request parameters (DEBUG has the whole report)."""
    statuses = sorted({a.status.value for a in report.actions})
    line: dict[str, Any] = {
        "outcome": report.outcome.value,
        "trigger": report.trigger,
        "mode": report.mode,
        "account": report.account,
        "region": report.region,
        "vpc": report.job.get("vpc"),
        "findings": len(report.findings),
        "maxSeverity": report.max_severity,
        "bySeverity": report.by_severity,
        "checkIds": sorted({f.check_id for f in report.findings}),
        "erroredChecks": report.checks.get("errored", []),
        "actions": {s: sum(1 for a in report.actions if a.status.value == s) for s in statuses},
    }
    if report.reason:
        line["reason"] = report.reason
    if report.repeat:
        line["repeat"] = True
    return line


def bounded(report: Report, data: dict[str, Any]) -> dict[str, Any]:
    """The report to return (and store for idempotency), `data` its JSON: trimmed as for
    SNS when huge."""
    if len(json.dumps(data).encode()) <= RETURN_LIMIT_BYTES:
        return data
    return notify.fit(report).to_dict()
