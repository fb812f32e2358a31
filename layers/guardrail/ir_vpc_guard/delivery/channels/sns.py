"""SNS, the required channel: one message per report (delivery/notify.py says what is in it).

A failed publish raises, so the invocation fails: Lambda retries it and then sends it to the
DLQ, and a finding is never lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery import notify
from ir_vpc_guard.delivery.channels import ChannelSpec, Outlets, why

if TYPE_CHECKING:  # boto3-stubs is dev-only
    from aws_lambda_powertools import Logger, Metrics
    from mypy_boto3_sns import SNSClient

    from ir_vpc_guard.delivery.report import Report

SPEC = ChannelSpec(
    name="sns",
    setting="TOPIC_ARN",
    iam_actions=("sns:Publish",),  # on the topic only
    statement="PublishReports",
    required=True,
    enabled=lambda settings: settings.topic_arn is not None,
)


def build(outlets: Outlets) -> SnsChannel:
    """The client is made now, at cold start, in the topic's region."""
    topic = outlets.settings.topic_arn
    assert topic is not None, "SPEC.enabled: built only with a topic"
    return SnsChannel(
        sns=outlets.clients_for(topic.split(":")[3]).sns,
        topic_arn=topic,
        notify_on=outlets.settings.notify_on,
        logger=outlets.logger,
        metrics=outlets.metrics,
    )


@dataclass(frozen=True, eq=False, repr=False)
class SnsChannel:
    sns: SNSClient
    topic_arn: str
    notify_on: str
    logger: Logger
    metrics: Metrics
    spec: ChannelSpec = SPEC

    def send(self, report: Report) -> None:
        if not notify.should_publish(report, self.notify_on):
            self.logger.info("not published", extra={"notifyOn": self.notify_on})
            return
        try:
            sent = notify.publish(self.sns, self.topic_arn, report)
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
