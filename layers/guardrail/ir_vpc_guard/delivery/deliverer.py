"""Where a report goes once it is made: one log line, the metrics, Security Hub (optional)
and SNS. A publish that fails raises, so Lambda retries the invocation and then sends it to
the DLQ; a Security Hub export that fails is logged and counted, never raised (SNS is the
delivery that must not be lost, and a retry would publish the SNS message twice).

Built once at cold start from what it needs; it keeps nothing between reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery import notify
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.claims import job_claim
from ir_vpc_guard.state.records import CheckedJobs

if TYPE_CHECKING:  # types only: Powertools is imported by the handler, boto3-stubs is dev-only
    from aws_lambda_powertools import Logger, Metrics
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient

    from ir_vpc_guard.delivery.securityhub import ExportResult

    Export = Callable[[SecurityHubClient, dict[str, Any]], ExportResult]

RETURN_LIMIT_BYTES = 256 * 1024  # what the handler returns, and what idempotency stores
SWEEP_JOB = "sweep"  # the `job` log key of a sweep's own lines


class Deliverer:
    """Delivers the reports of one function: the event path's and the sweep's."""

    def __init__(
        self,
        settings: Settings,
        *,
        sns: SNSClient | None,
        records: CheckedJobs,
        clients_for: Callable[[str], AwsClients],
        logger: Logger,
        metrics: Metrics,
    ) -> None:
        self.settings = settings
        self.sns = sns
        self.records = records
        self.clients_for = clients_for  # Security Hub is written in the report's region
        self.logger = logger
        self.metrics = metrics
        self._export: Export | None = _security_hub_export() if settings.security_hub else None

    def deliver(self, report: Report) -> dict[str, Any]:
        """The event path: deliver the report under the job's claim; return it, bounded.

        The job is claimed before publishing, so the sweep leaves it alone; if the publish
        fails the claim is released (the retried invocation checks it again) and the error
        propagates. A job the sweep or an event with another ID reported (or is reporting)
        is published all the same, marked, so a reader knows it is not a new job.
        """
        arn = report.job.get("arn")
        if not arn or report.outcome.value == "SKIPPED":
            return bounded(self._send(report))
        with job_claim(self.records, str(arn), "event") as claim:
            if not claim.taken:
                report = replace(report, repeat=True)
                self.logger.info(
                    "job already reported (sweep or an earlier event): published as a repeat"
                )
            data = self._send(report)
        if claim.unconfirmed is not None:
            # Published, not recorded: the claim lapses and a sweep may report the job once
            # more. Failing now would make Lambda retry and publish it again at once.
            self.logger.warning("job record not confirmed", extra=why(claim.unconfirmed))
        return bounded(data)

    def deliver_swept(self, report: Report) -> None:
        """The sweep's delivery (the sweep holds the job's claim): the log lines name the
        job while it is delivered. A failed publish propagates to the sweep."""
        self.logger.append_keys(job=report.job.get("name") or "unknown")
        try:
            self._send(report)
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

    def _send(self, report: Report) -> dict[str, Any]:
        """Log, count, export and publish one report; raise if the publish fails."""
        data = report.to_dict()
        self.logger.info("report", extra=log_line(data))
        self.logger.debug("full report", extra={"report": data})
        for name, value in names.report_counts(data).items():
            self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        self._export_to_security_hub(data)
        self._publish(data)
        return data

    def _publish(self, data: dict[str, Any]) -> None:
        if self.sns is None or self.settings.topic_arn is None:
            self.logger.warning("TOPIC_ARN is not set: the report is only logged and returned")
            return
        if not notify.should_publish(data, self.settings.notify_on):
            self.logger.info("not published", extra={"notifyOn": self.settings.notify_on})
            return
        try:
            sent = notify.publish(self.sns, self.settings.topic_arn, data)
        except Exception as error:
            self.logger.error(
                "publish failed: the invocation fails so it is retried", extra=why(error)
            )
            raise
        self.metrics.add_metric(name=names.PUBLISHED, unit=MetricUnit.Count, value=1)
        self.logger.info(
            "published",
            extra={"messageId": sent.message_id, "bytes": sent.size, "trimmed": sent.trimmed},
        )

    def _export_to_security_hub(self, data: dict[str, Any]) -> None:
        """Optional and secondary: a failure is logged and counted, never raised."""
        if self._export is None or data["outcome"] == "SKIPPED":
            return
        try:
            result = self._export(self.clients_for(data["region"]).securityhub, data)
        except Exception as error:
            self.logger.error("Security Hub export failed", extra=why(error))
            self._count_security_hub_failures(1)
            return
        if result.failed:
            codes = sorted({str(f.get("ErrorCode")) for f in result.failed})
            self.logger.error(
                "Security Hub refused findings",
                extra={"failed": len(result.failed), "codes": codes},
            )
            self._count_security_hub_failures(len(result.failed))
        self.logger.info("exported to Security Hub", extra={"imported": result.imported})

    def _count_security_hub_failures(self, count: int) -> None:
        self.metrics.add_metric(
            name=names.SECURITY_HUB_FAILURES, unit=MetricUnit.Count, value=count
        )


def log_line(data: dict[str, Any]) -> dict[str, Any]:
    """The one INFO line per report: outcome, counts and check IDs; never policies,
    evidence or the event's request parameters (DEBUG has the whole report)."""
    summary = data["summary"]
    actions = data.get("actions", [])
    statuses = sorted({str(a.get("status")) for a in actions})
    line: dict[str, Any] = {
        "outcome": data["outcome"],
        "trigger": data.get("trigger"),
        "mode": data.get("mode"),
        "account": data.get("account"),
        "region": data.get("region"),
        "vpc": (data.get("job") or {}).get("vpc"),
        "findings": summary["findings"],
        "maxSeverity": summary["maxSeverity"],
        "bySeverity": summary["bySeverity"],
        "checkIds": sorted({str(f["checkId"]) for f in data["findings"]}),
        "erroredChecks": (summary.get("checks") or {}).get("errored", []),
        "actions": {s: sum(1 for a in actions if a.get("status") == s) for s in statuses},
    }
    if data.get("reason"):
        line["reason"] = data["reason"]
    if data.get("repeat"):
        line["repeat"] = True
    return line


def bounded(data: dict[str, Any]) -> dict[str, Any]:
    """The report to return (and store for idempotency): trimmed as for SNS when huge."""
    if len(json.dumps(data).encode()) <= RETURN_LIMIT_BYTES:
        return data
    return notify.fit(data)


def why(error: BaseException) -> dict[str, str]:
    """The log fields of a failure: its type and, for an AWS error, its code."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return {"error": type(error).__name__, "errorCode": str(code or "")}


def _security_hub_export() -> Export:
    # Imported only with SECURITY_HUB on: the default deployment's cold start skips it.
    from ir_vpc_guard.delivery import securityhub  # noqa: PLC0415

    return securityhub.export
