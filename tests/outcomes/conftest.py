"""The comparison's world on moto: the records table, the topic with its inbox, the
deliverer that records each job's prediction, and the comparison built beside it as the
function builds them (the same records, the same channels)."""

from __future__ import annotations

import io
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery.deliverer import Deliverer, make_deliverer
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Finding, Outcome, Severity
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER
from ir_vpc_guard.outcomes.compare import Outcomes
from ir_vpc_guard.outcomes.state_change import KINDS
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.false_alarms import DynamoFalseAlarms
from ir_vpc_guard.state.records import DynamoCheckedJobs
from tests.conftest import REGION
from tests.lambda_context import Inbox, create_table, emf_blobs, log_lines

ACCOUNT = "123456789012"
# Every workload with an end to compare, whether or not this branch registers it yet.
EVERY_WORKLOAD = frozenset({kind.workload for kind in KINDS.values()} | {INFERENCE_RECOMMENDER})
TRAINING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/demo-training-job"


def job_report(
    arn: str = TRAINING_ARN,
    *findings: Finding,
    outcome: Outcome | None = None,
    name: str = "demo-training-job",
    workload: str = "training",
    definition: str | None = None,
    part_of_several: bool = False,
) -> Report:
    """A job's report as the pipeline makes it: FAIL with a certain HIGH, else PASS; a part
    of its job (a tuning definition, an endpoint config) names it in `definition`."""
    certain = any(f.severity is Severity.HIGH and f.muted is None for f in findings)
    job: dict[str, Any] = {
        "name": name,
        "arn": arn,
        "workload": workload,
        "vpc": "vpc-0123456789abcdef0",
    }
    if definition is not None:
        job["definition"] = definition
    if part_of_several:
        job["partOfSeveral"] = True
    return Report(
        event_id=str(uuid.uuid4()),
        account=ACCOUNT,
        region=REGION,
        outcome=outcome or (Outcome.FAIL if certain else Outcome.PASS),
        job=job,
        findings=list(findings),
    )


def high(check_id: str = "S3_ENDPOINT_MISSING") -> Finding:
    return Finding(check_id, Severity.HIGH, check_id, "certain", resources=("vpc-1",))


@dataclass
class Loop:
    """What a user sees of the loop: the topic's messages, the log lines, the metrics, the
    table's records."""

    deliverer: Deliverer
    outcomes: Outcomes
    records: DynamoCheckedJobs
    false_alarms: DynamoFalseAlarms
    inbox: Inbox
    logs: io.StringIO
    session: Any
    table: str
    capsys: pytest.CaptureFixture[str]

    def lines(self) -> list[dict[str, Any]]:
        return log_lines(self.logs.getvalue())

    def verdict_metrics(self) -> list[dict[str, str]]:
        """The dimensions of every `Verdicts` count printed (EMF, one per line)."""
        out = []
        for blob in emf_blobs(self.capsys.readouterr().out):
            [directive] = blob["_aws"]["CloudWatchMetrics"]
            if directive["Metrics"][0]["Name"] == "Verdicts":
                out.append({d: blob[d] for d in directive["Dimensions"][0]})
        return out

    def item(self, arn: str) -> dict[str, Any]:
        answer = self.session.client("dynamodb").get_item(
            TableName=self.table, Key={"id": {"S": f"job#{arn}"}}
        )
        return dict(answer.get("Item", {}))


@pytest.fixture
def loop(aws: Any, capsys: pytest.CaptureFixture[str]) -> Loop:
    inbox, table, logs = Inbox(aws), create_table(aws), io.StringIO()
    logger = Logger(
        service=f"outcomes-test-{uuid.uuid4().hex}", logger_handler=logging.StreamHandler(logs)
    )
    metrics = Metrics(namespace="IrVpcGuard", service="ir-vpc-guard")
    metrics.clear_metrics()
    records = DynamoCheckedJobs(aws.client("dynamodb"), table)
    clients: dict[str, AwsClients] = {}

    def clients_for(region: str) -> AwsClients:
        return clients.setdefault(region, AwsClients(region, session=aws))

    deliverer = make_deliverer(
        Settings(topic_arn=inbox.topic_arn),
        records=records,
        clients_for=clients_for,
        logger=logger,
        metrics=metrics,
    )
    false_alarms = DynamoFalseAlarms(records.dynamodb, table)  # one client, as deployed
    outcomes = Outcomes(
        records, deliverer.channels, logger, metrics, EVERY_WORKLOAD, false_alarms=false_alarms
    )
    return Loop(deliverer, outcomes, records, false_alarms, inbox, logs, aws, table, capsys)
