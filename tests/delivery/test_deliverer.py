"""The deliverer on its own, against moto: built as the handler builds it at cold start,
with no handler loaded. What a user sees: the SNS message (once), the job's record, the
log lines and the metrics."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics
from botocore.exceptions import ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery import notify
from ir_vpc_guard.delivery.deliverer import RETURN_LIMIT_BYTES, Deliverer, make_deliverer
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Finding, Outcome, Severity
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.records import DynamoCheckedJobs
from tests.conftest import REGION
from tests.integration.calls import _Http
from tests.lambda_context import Inbox, create_table, emf_blobs, log_lines

ACCOUNT = "123456789012"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-recommendations-job/demo-ir-job"
JOB_KEY = {"id": {"S": f"job#{JOB_ARN}"}}


def report(outcome: Outcome = Outcome.FAIL, **evidence: Any) -> Report:
    missing = Finding(
        "S3_ENDPOINT_MISSING",
        Severity.HIGH,
        "No S3 gateway endpoint",
        "The job's route tables have no route to S3.",
        resources=("vpc-0123456789abcdef0",),
        evidence=evidence,
    )
    return Report(
        event_id=str(uuid.uuid4()),
        account=ACCOUNT,
        region=REGION,
        outcome=outcome,
        job={"name": "demo-ir-job", "arn": JOB_ARN, "vpc": "vpc-0123456789abcdef0"},
        findings=[missing] if outcome is Outcome.FAIL else [],
    )


@dataclass
class Delivery:
    """A deliverer and what it reaches: the topic's inbox, the table, its logs and metrics."""

    deliverer: Deliverer
    clients_for: Callable[[str], AwsClients]
    inbox: Inbox
    session: Any
    table: str
    logs: io.StringIO
    metrics: Metrics

    def lines(self) -> list[dict[str, Any]]:
        return log_lines(self.logs.getvalue())

    def messages(self) -> list[str]:
        return [line["message"] for line in self.lines()]

    def counts(self) -> dict[str, float]:
        return {name: sum(m["Value"]) for name, m in self.metrics.metric_set.items()}

    def job_items(self) -> list[dict[str, Any]]:
        items = self.session.client("dynamodb").scan(TableName=self.table)["Items"]
        return [item for item in items if item["id"] == JOB_KEY["id"]]

    def on(self, client: Any, operation: str, answer: Any) -> None:
        """Answer (or refuse, when `answer` raises) every call to `operation`."""
        service = client.meta.service_model.service_name
        client.meta.events.register(f"before-call.{service}.{operation}", answer)


@pytest.fixture
def powertools_metrics() -> Iterator[Metrics]:
    """Powertools' metrics are shared by every Metrics instance: start and end empty."""
    metrics = Metrics(namespace="IrVpcGuard", service="ir-vpc-guard")
    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def make(aws: Any, metrics: Metrics, **settings: Any) -> Delivery:
    inbox, table, logs = Inbox(aws), create_table(aws), io.StringIO()
    logger = Logger(
        service=f"deliverer-test-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(logs)
    )
    clients: dict[str, AwsClients] = {}  # one set per region, as the handler keeps them

    def clients_for(region: str) -> AwsClients:
        return clients.setdefault(region, AwsClients(region, session=aws))

    deliverer = make_deliverer(
        Settings(topic_arn=inbox.topic_arn, **settings),
        records=DynamoCheckedJobs(aws.client("dynamodb"), table),
        clients_for=clients_for,
        logger=logger,
        metrics=metrics,
    )
    return Delivery(deliverer, clients_for, inbox, aws, table, logs, metrics)


@pytest.fixture
def delivery(aws: Any, powertools_metrics: Metrics) -> Delivery:
    return make(aws, powertools_metrics)


def refuse(code: str) -> Any:
    def answer(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code, "Message": "no"}}, "Call")

    return answer


def test_a_failing_report_is_published_once_and_its_job_recorded(delivery: Delivery) -> None:
    sent = report()
    returned = delivery.deliverer.deliver(sent)
    assert returned == sent.to_dict()
    [envelope] = delivery.inbox.envelopes()
    assert envelope["Subject"] == f"IR VPC Guard FAIL: demo-ir-job in {ACCOUNT}"
    [record] = delivery.job_items()
    assert record["trigger"] == {"S": "event"} and "expiration" in record  # confirmed
    [line] = [line for line in delivery.lines() if line["message"] == "report"]
    assert (line["outcome"], line["checkIds"], line["vpc"]) == (
        "FAIL",
        ["S3_ENDPOINT_MISSING"],
        "vpc-0123456789abcdef0",
    )
    assert "evidence" not in json.dumps(line)
    counts = delivery.counts()
    assert counts[names.PUBLISHED] == 1 and counts["Outcome_FAIL"] == 1
    assert counts["Finding_S3_ENDPOINT_MISSING"] == 1


def test_a_failed_publish_raises_and_releases_the_claim(delivery: Delivery) -> None:
    sns, down = delivery.clients_for(REGION).sns, refuse("InternalError")
    assert sns is not None
    sns.meta.events.register("before-call.sns.Publish", down)
    with pytest.raises(ClientError, match="InternalError"):
        delivery.deliverer.deliver(report())
    assert delivery.inbox.envelopes() == [] and delivery.job_items() == []
    [failed] = [line for line in delivery.lines() if line["level"] == "ERROR"]
    assert failed["message"] == "publish failed: the invocation fails so it is retried"
    assert failed["errorCode"] == "InternalError"
    assert names.PUBLISHED not in delivery.counts()

    sns.meta.events.unregister("before-call.sns.Publish", down)  # the retry goes through
    delivery.deliverer.deliver(report())
    assert len(delivery.inbox.envelopes()) == 1 and len(delivery.job_items()) == 1


def test_a_job_reported_before_is_published_as_a_repeat(delivery: Delivery) -> None:
    records = delivery.deliverer.records
    assert records.claim(JOB_ARN, "sweep")  # the sweep reported the job first
    records.confirm(JOB_ARN)
    returned = delivery.deliverer.deliver(report())
    assert returned["repeat"] is True
    [envelope] = delivery.inbox.envelopes()
    assert envelope["Subject"] == f"IR VPC Guard FAIL (repeat): demo-ir-job in {ACCOUNT}"
    assert envelope["MessageAttributes"]["repeat"]["Value"] == "true"
    assert "job already reported (sweep or an earlier event): published as a repeat" in (
        delivery.messages()
    )
    [line] = [line for line in delivery.lines() if line["message"] == "report"]
    assert line["repeat"] is True
    [record] = delivery.job_items()
    assert record["trigger"] == {"S": "sweep"}  # the sweep's record, untouched


def test_a_repeat_whose_publish_fails_leaves_the_other_record_alone(delivery: Delivery) -> None:
    records = delivery.deliverer.records
    assert records.claim(JOB_ARN, "sweep")
    records.confirm(JOB_ARN)
    delivery.on(delivery.clients_for(REGION).sns, "Publish", refuse("InternalError"))
    with pytest.raises(ClientError):
        delivery.deliverer.deliver(report())
    [record] = delivery.job_items()
    assert record["trigger"] == {"S": "sweep"}


def test_a_record_that_cannot_be_confirmed_is_logged_not_raised(delivery: Delivery) -> None:
    dynamodb = delivery.deliverer.records.dynamodb  # type: ignore[attr-defined]
    delivery.on(dynamodb, "UpdateItem", refuse("InternalServerError"))
    returned = delivery.deliverer.deliver(report())
    assert returned["outcome"] == "FAIL"
    assert len(delivery.inbox.envelopes()) == 1  # published once: no retry to publish again
    [warning] = [line for line in delivery.lines() if line["level"] == "WARNING"]
    assert warning["message"] == "job record not confirmed"
    assert (warning["error"], warning["errorCode"]) == ("ClientError", "InternalServerError")


def test_a_skipped_report_is_delivered_without_a_claim(
    aws: Any, powertools_metrics: Metrics
) -> None:
    delivery = make(aws, powertools_metrics, notify_on="all")
    skipped = replace(report(Outcome.SKIPPED), reason="the job has no VPC configuration")
    returned = delivery.deliverer.deliver(skipped)
    assert returned["outcome"] == "SKIPPED" and "repeat" not in returned
    assert len(delivery.inbox.envelopes()) == 1 and delivery.job_items() == []


def test_a_huge_report_is_returned_trimmed_as_for_sns(delivery: Delivery) -> None:
    huge = report(routes=["x" * 1000] * 400)  # about 400 KB of evidence
    assert len(json.dumps(huge.to_dict()).encode()) > RETURN_LIMIT_BYTES
    returned = delivery.deliverer.deliver(huge)
    assert len(json.dumps(returned).encode()) <= RETURN_LIMIT_BYTES
    assert returned["findings"][0]["evidence"] == notify.TRIMMED_EVIDENCE
    [envelope] = delivery.inbox.envelopes()
    published = json.loads(envelope["Message"])
    assert published["findings"][0]["evidence"] == notify.TRIMMED_EVIDENCE
    [line] = [line for line in delivery.lines() if line["message"] == "published"]
    assert line["trimmed"] is True


def test_a_security_hub_failure_is_logged_and_counted_not_raised(
    aws: Any, powertools_metrics: Metrics
) -> None:
    delivery = make(aws, powertools_metrics, security_hub=True)
    hub = delivery.clients_for(REGION).securityhub
    delivery.on(hub, "BatchImportFindings", refuse("AccessDeniedException"))
    assert delivery.deliverer.deliver(report())["outcome"] == "FAIL"
    assert len(delivery.inbox.envelopes()) == 1  # SNS is the delivery that must not be lost
    [error] = [line for line in delivery.lines() if line["level"] == "ERROR"]
    assert error["message"] == "Security Hub export failed"
    assert error["errorCode"] == "AccessDeniedException"
    assert delivery.counts()[names.SECURITY_HUB_FAILURES] == 1


def test_findings_security_hub_refuses_are_counted(aws: Any, powertools_metrics: Metrics) -> None:
    delivery = make(aws, powertools_metrics, security_hub=True)
    hub = delivery.clients_for(REGION).securityhub
    refused = [{"Id": "a", "ErrorCode": "InvalidInput", "ErrorMessage": "no"}] * 2
    delivery.on(
        hub,
        "BatchImportFindings",
        lambda **_: (_Http(), {"SuccessCount": 0, "FailedCount": 2, "FailedFindings": refused}),
    )
    delivery.deliverer.deliver(report())
    [error] = [line for line in delivery.lines() if line["level"] == "ERROR"]
    assert (error["message"], error["failed"], error["codes"]) == (
        "Security Hub refused findings",
        2,
        ["InvalidInput"],
    )
    assert delivery.counts()[names.SECURITY_HUB_FAILURES] == 2
    assert len(delivery.inbox.envelopes()) == 1


def test_security_hub_is_not_written_unless_turned_on(delivery: Delivery) -> None:
    hub = delivery.clients_for(REGION).securityhub
    delivery.on(hub, "BatchImportFindings", refuse("AccessDeniedException"))
    delivery.deliverer.deliver(report())
    assert "Security Hub" not in " ".join(delivery.messages())


def test_the_sweep_delivers_under_the_job_name_then_its_own(delivery: Delivery) -> None:
    delivery.deliverer.logger.append_keys(job="sweep")
    delivery.deliverer.deliver_swept(report())
    [line] = [line for line in delivery.lines() if line["message"] == "report"]
    assert line["job"] == "demo-ir-job"
    assert delivery.job_items() == []  # the sweep holds the claim, not the deliverer
    delivery.deliverer.sweep_done({"trigger": "sweep", "checked": [{"job": "demo-ir-job"}]})
    done = delivery.lines()[-1]
    assert (done["message"], done["job"]) == ("sweep done", "sweep")
    assert delivery.counts()[names.SWEEP_FOUND_JOBS] == 1


def test_a_replay_is_said_and_counted(delivery: Delivery) -> None:
    delivery.deliverer.replayed()
    assert delivery.messages() == [
        "event already processed: returned the stored report, published nothing"
    ]
    assert delivery.counts() == {names.REPLAYS: 1}


def test_without_a_topic_each_report_is_only_logged_and_says_so(
    aws: Any, powertools_metrics: Metrics
) -> None:
    """Local runs: SNS is the required channel, and without TOPIC_ARN nothing is published."""
    delivery = make(aws, powertools_metrics)
    unset = make_deliverer(
        Settings(),
        records=delivery.deliverer.records,
        clients_for=delivery.clients_for,
        logger=delivery.deliverer.logger,
        metrics=powertools_metrics,
    )
    assert unset.deliver(report())["outcome"] == "FAIL"
    assert delivery.inbox.envelopes() == []
    [warning] = [line for line in delivery.lines() if line["level"] == "WARNING"]
    assert warning["message"] == "TOPIC_ARN is not set: the report is only logged and returned"
    assert names.PUBLISHED not in delivery.counts()


def test_a_checked_job_is_counted_by_workload_in_a_document_of_its_own(
    delivery: Delivery, capsys: pytest.CaptureFixture[str]
) -> None:
    """The new series carries Workload and Outcome; the existing ones keep `service` alone
    (another dimension set would be another metric, and their alarms would go dark)."""
    training = report()
    training = replace(training, job={**training.job, "workload": "training"})
    capsys.readouterr()
    delivery.deliverer.deliver(training)
    delivery.deliverer.deliver(replace(report(Outcome.SKIPPED), event_id="skipped"))
    delivery.metrics.flush_metrics()
    blobs = emf_blobs(capsys.readouterr().out)
    by_workload = [b for b in blobs if "JobsCheckedByWorkload" in b]
    [counted] = by_workload  # the skipped event counts no job
    [directive] = counted["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "IrVpcGuard"
    assert directive["Dimensions"] == [["service", "Workload", "Outcome"]]
    assert directive["Metrics"] == [{"Name": "JobsCheckedByWorkload", "Unit": "Count"}]
    assert (counted["service"], counted["Workload"], counted["Outcome"]) == (
        "ir-vpc-guard",
        "training",
        "FAIL",
    )
    assert counted["JobsCheckedByWorkload"] == [1.0]
    [main] = [b for b in blobs if b not in by_workload]
    [directive] = main["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["service"]]
    assert {"Reports", "Outcome_FAIL", "Outcome_SKIPPED"} <= {
        m["Name"] for m in directive["Metrics"]
    }
    assert "Workload" not in main and "JobsCheckedByWorkload" not in main
