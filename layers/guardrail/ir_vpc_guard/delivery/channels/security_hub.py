"""Security Hub, best effort (SECURITY_HUB=true): one ASFF finding per (job, check), written
in the report's region (delivery/securityhub.py is the mapping). A failure is logged and
counted (SecurityHubExportFailures), never raised: SNS is the delivery that must not be lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery.channels import ChannelSpec, Outlets, why
from ir_vpc_guard.findings import Outcome

if TYPE_CHECKING:  # boto3-stubs is dev-only
    from aws_lambda_powertools import Logger, Metrics
    from mypy_boto3_securityhub import SecurityHubClient

    from ir_vpc_guard.aws import AwsClients
    from ir_vpc_guard.delivery.report import Report
    from ir_vpc_guard.delivery.securityhub import ExportResult

    Export = Callable[[SecurityHubClient, Report], ExportResult]

SPEC = ChannelSpec(
    name="securityhub",
    setting="SECURITY_HUB",
    iam_actions=("securityhub:BatchImportFindings",),  # on the account's default product
    statement="ImportFindings",
    required=False,
    enabled=lambda settings: settings.security_hub,
)


def build(outlets: Outlets) -> SecurityHubChannel:
    # Imported only with SECURITY_HUB on: the default deployment's cold start skips it.
    from ir_vpc_guard.delivery import securityhub  # noqa: PLC0415

    return SecurityHubChannel(
        export=securityhub.export,
        clients_for=outlets.clients_for,
        logger=outlets.logger,
        metrics=outlets.metrics,
    )


@dataclass(frozen=True, eq=False, repr=False)
class SecurityHubChannel:
    export: Export
    clients_for: Callable[[str], AwsClients]
    logger: Logger
    metrics: Metrics
    spec: ChannelSpec = SPEC

    def send(self, report: Report) -> None:
        if report.outcome is Outcome.SKIPPED:
            return
        try:
            result = self.export(self.clients_for(report.region).securityhub, report)
        except Exception as error:
            self.logger.error("Security Hub export failed", extra=why(error))
            self._count_failures(1)
            return
        if result.failed:
            codes = sorted({str(f.get("ErrorCode")) for f in result.failed})
            self.logger.error(
                "Security Hub refused findings",
                extra={"failed": len(result.failed), "codes": codes},
            )
            self._count_failures(len(result.failed))
        self.logger.info("exported to Security Hub", extra={"imported": result.imported})

    def _count_failures(self, count: int) -> None:
        self.metrics.add_metric(
            name=names.SECURITY_HUB_FAILURES, unit=MetricUnit.Count, value=count
        )
