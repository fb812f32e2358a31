"""SNS delivery rules: the subject, the attributes, the policy, and SNS's 256 KB limit
(moto refuses a longer message with "Message too long", as SNS does)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from ir_vpc_guard.delivery import notify
from ir_vpc_guard.delivery.report import Report, skipped_report
from ir_vpc_guard.findings import (
    ActionName,
    Finding,
    Mode,
    Outcome,
    Remediation,
    RemediationStatus,
    Severity,
)
from ir_vpc_guard.intake.event import Skipped, parse_event
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import build_world
from tests.conftest import REGION, ROOT, load_event
from tests.integration.test_training import training_event
from tests.lambda_context import Inbox, deploy
from tests.report_schema import validate_report

FINDING = Finding(
    "SG_EGRESS_S3_MISSING",
    Severity.HIGH,
    "The job's security groups do not allow HTTPS to S3",
    "No egress rule of sg-0123456789abcdef0 allows TCP 443 to pl-63a5400a.",
    resources=("sg-0123456789abcdef0",),
    evidence={"rules": []},
    remediation=Remediation(
        ActionName.ADD_S3_EGRESS_RULE,
        RemediationStatus.PLANNED,
        "Add an egress rule to the S3 prefix list on TCP 443.",
        "aws ec2 authorize-security-group-egress --group-id sg-0123456789abcdef0",
    ),
)
REPORT = Report(
    event_id="0d2a43d4-5c1e-4f0b-9a53-1e2f3a4b5c6d",
    account="123456789012",
    region="us-east-1",
    outcome=Outcome.FAIL,
    job={
        "name": "demo-ir-job",
        "arn": "arn:aws:sagemaker:us-east-1:123456789012:inference-recommendations-job/demo-ir-job",
        "subnets": ["subnet-0123456789abcdef0"],
        "securityGroups": ["sg-0123456789abcdef0"],
        "vpc": "vpc-0123456789abcdef0",
    },
    findings=[FINDING],
    checks={"passed": [], "failed": ["SG_EGRESS_S3_MISSING"]},
    generated_at="2026-11-24T12:00:00+00:00",
)


def report_with(findings: int, evidence_bytes: int) -> Report:
    return replace(
        REPORT,
        findings=[
            replace(
                FINDING,
                detail=f"Finding {n}: " + FINDING.detail,
                evidence={"rules": ["x" * 64] * (evidence_bytes // 64)},
            )
            for n in range(findings)
        ],
    )


@pytest.mark.parametrize(
    ("outcome", "findings_policy", "all_policy"),
    [
        ("PASS", False, True),
        ("SKIPPED", False, True),
        ("FAIL", True, True),
        ("ERROR", True, True),
        ("REMEDIATED", True, True),
        ("PARTIAL", True, True),
    ],
)
def test_notify_policy(outcome: str, findings_policy: bool, all_policy: bool) -> None:
    report = replace(REPORT, outcome=Outcome(outcome), findings=[])
    assert notify.should_publish(report, "findings") is findings_policy
    assert notify.should_publish(report, "all") is all_policy


def test_a_pass_with_a_low_finding_is_published() -> None:
    """A LOW finding (e.g. S3 reached through a NAT, at a cost) does not fail the job but
    is worth a person's look, so NOTIFY_ON=findings publishes it."""
    low = replace(FINDING, severity=Severity.LOW)
    assert notify.should_publish(replace(REPORT, outcome=Outcome.PASS, findings=[low]), "findings")


def test_a_pass_with_only_a_quiet_advisory_is_not_published() -> None:
    """ROLE_ENI_ATTRIBUTE_NOT_ALLOWED: AWS's own AmazonSageMakerFullAccess carries it."""
    quiet = replace(FINDING, check_id="ROLE_ENI_ATTRIBUTE_NOT_ALLOWED")
    low = replace(FINDING, severity=Severity.LOW)
    passing = replace(REPORT, outcome=Outcome.PASS)
    assert not notify.should_publish(replace(passing, findings=[quiet]), "findings")
    assert notify.should_publish(replace(passing, findings=[quiet, low]), "findings")
    assert notify.should_publish(replace(passing, findings=[quiet]), "all")


@pytest.mark.parametrize(
    "name",
    [
        "demo-ir-job",
        "a" * 63,
        "jöb-ünïcode-名前-\u202e-\x00-\n-tab\there",
        "\n  leading-space",
        None,
    ],
)
@pytest.mark.parametrize("outcome", ["REMEDIATED", "SKIPPED", "FAIL"])
def test_subject_is_short_printable_ascii(name: str | None, outcome: str) -> None:
    report = replace(REPORT, outcome=Outcome(outcome), job={"name": name})
    subject = notify.subject(report)
    assert len(subject) < 100
    assert subject.isascii() and subject.isprintable() and "\n" not in subject
    assert subject[0].isalnum()
    assert outcome in subject and "123456789012" in subject
    if name == "demo-ir-job":
        assert subject == f"IR VPC Guard {outcome}: demo-ir-job in 123456789012"
    if name and len(name) == 63:  # the longest job name: whole when it fits, else cut
        whole = name in subject
        assert whole or subject.endswith("... in 123456789012")
        assert whole is (outcome == "FAIL")


def test_attributes_route_by_outcome_severity_and_account() -> None:
    assert notify.attributes(REPORT) == {
        "outcome": {"DataType": "String", "StringValue": "FAIL"},
        "maxSeverity": {"DataType": "String", "StringValue": "HIGH"},
        "account": {"DataType": "String", "StringValue": "123456789012"},
        "trigger": {"DataType": "String", "StringValue": "event"},
    }


TRAINING_REPORT = replace(
    REPORT,
    job={"name": "demo-training-job", "workload": "training", "vpc": "vpc-0123456789abcdef0"},
)


def test_a_report_that_names_its_workload_says_it_in_an_attribute() -> None:
    attributes = notify.attributes(TRAINING_REPORT)
    assert attributes["workload"] == {"DataType": "String", "StringValue": "training"}
    assert {k: v for k, v in attributes.items() if k != "workload"} == notify.attributes(REPORT)


def test_a_subscription_filters_reports_by_workload(aws: Any) -> None:
    """SNS applies the filter policy (moto does too): one queue gets training reports only,
    the other those naming no workload (Inference Recommender's, whose job keeps its shape)."""
    sns = aws.client("sns")
    training, others = Inbox(aws), Inbox(aws, "others")
    for inbox, policy in ((training, ["training"]), (others, [{"exists": False}])):
        [sub] = sns.list_subscriptions_by_topic(TopicArn=inbox.topic_arn)["Subscriptions"]
        sns.set_subscription_attributes(
            SubscriptionArn=sub["SubscriptionArn"],
            AttributeName="FilterPolicy",
            AttributeValue=json.dumps({"workload": policy}),
        )
        notify.publish(sns, inbox.topic_arn, REPORT)
        notify.publish(sns, inbox.topic_arn, TRAINING_REPORT)
    names = {
        label: [json.loads(e["Message"])["job"]["name"] for e in inbox.envelopes()]
        for label, inbox in (("training", training), ("others", others))
    }
    assert names == {"training": ["demo-training-job"], "others": ["demo-ir-job"]}


def test_email_text_says_what_to_do_in_one_line_per_finding() -> None:
    text = notify.email_text(notify.fit(report_with(3, 0)))
    assert text.splitlines()[0] == "FAIL: demo-ir-job in 123456789012/us-east-1"
    assert "does not meet every requirement" in text
    assert len([line for line in text.splitlines() if line.startswith("- [HIGH]")]) == 3
    assert "authorize-security-group-egress" in text
    assert REPORT.job["arn"] in text


def test_small_report_is_sent_whole(aws: Any) -> None:
    inbox = Inbox(aws)
    sent = notify.publish(aws.client("sns"), inbox.topic_arn, REPORT)
    [envelope] = inbox.envelopes()
    assert not sent.trimmed and sent.message_id == envelope["MessageId"]
    assert json.loads(envelope["Message"]) == REPORT.to_dict()


def test_huge_evidence_is_trimmed_to_fit_and_the_text_says_so(aws: Any) -> None:
    inbox = Inbox(aws)
    report = report_with(5, 60_000)  # ~300 kB of evidence, sent three times over
    with pytest.raises(Exception, match="too long"):  # what SNS (and moto) do untrimmed
        aws.client("sns").publish(
            TopicArn=inbox.topic_arn,
            Message=notify.message(notify.Fitted(report)),
            MessageStructure="json",
        )
    sent = notify.publish(aws.client("sns"), inbox.topic_arn, report)
    assert sent.trimmed and sent.size <= notify.MESSAGE_BUDGET_BYTES
    [envelope] = inbox.envelopes()
    delivered = json.loads(envelope["Message"])
    validate_report(delivered)
    assert len(delivered["findings"]) == 5  # every finding kept, only the evidence went
    assert all("trimmed" in f["evidence"] for f in delivered["findings"])
    assert delivered["trimmed"] == {"evidence": True, "findingsOmitted": 0}
    assert delivered["summary"] == report.to_dict()["summary"]
    text = json.loads(notify.message(notify.fit(report)))["email"]
    assert "too large for SNS" in text and "evidence was removed" in text
    assert report.findings[0].evidence["rules"]  # the caller's report is untouched


def test_too_many_findings_keeps_the_most_severe_that_fit(aws: Any) -> None:
    inbox = Inbox(aws)
    many = report_with(2000, 0)
    report = replace(
        many, findings=[replace(FINDING, severity=Severity.CRITICAL), *many.findings[1:]]
    )
    sent = notify.publish(aws.client("sns"), inbox.topic_arn, report)
    [envelope] = inbox.envelopes()
    delivered = json.loads(envelope["Message"])
    validate_report(delivered)
    kept = len(delivered["findings"])
    assert sent.trimmed and 0 < kept < 2000
    assert delivered["trimmed"]["findingsOmitted"] == 2000 - kept
    assert delivered["findings"][0]["severity"] == "CRITICAL"
    assert delivered["summary"]["findings"] == 2000  # the true count
    text = json.loads(notify.message(notify.fit(report)))["email"]
    assert f"{2000 - kept} finding(s) were left out" in text


def test_only_reports_the_policy_selects_are_published(aws: Any) -> None:
    inbox = Inbox(aws)
    sent = [
        notify.publish(aws.client("sns"), inbox.topic_arn, report)
        for report in (replace(REPORT, outcome=Outcome.PASS, findings=[]), REPORT)
        if notify.should_publish(report, "findings")
    ]
    assert [s.subject for s in sent] == [notify.subject(REPORT)]
    assert len(inbox.envelopes()) == 1


@pytest.mark.parametrize("workload", sorted(set(WORKLOADS) - {"inference-recommender"}))
def test_every_workloads_skipped_report_carries_its_workload_attribute(workload: str) -> None:
    """A failed call of each registered workload's API (a workload added later included):
    the report is skipped, and a subscriber filtering on `workload` still gets it."""
    event = load_event("training_job")
    event["detail"].update(eventName=WORKLOADS[workload].event_names[0], errorCode="Throttling")
    skipped = parse_event(event)
    assert isinstance(skipped, Skipped)
    attributes = notify.attributes(skipped_report(skipped, Mode.REPORT))
    assert attributes["workload"] == {"DataType": "String", "StringValue": workload}


def test_the_handlers_training_reports_checked_or_skipped_carry_the_attribute(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    inbox = Inbox(aws)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, NOTIFY_ON="all")
    checked = training_event(world)
    failed = training_event(world)
    failed["detail"].update(eventID="failed-call", errorCode="ValidationException")
    recommender = world.event(load_event("good_job"))
    for event in (checked, failed, recommender):
        app.lambda_handler(event, FakeContext())
    sent = {
        json.loads(e["Message"])["outcome"] + " " + json.loads(e["Message"])["job"]["name"]: {
            name: value["Value"] for name, value in e["MessageAttributes"].items()
        }.get("workload")
        for e in inbox.envelopes()
    }
    assert sent == {
        "FAIL demo-training-job": "training",
        "SKIPPED demo-training-job": "training",
        "FAIL demo-ir-job": None,
    }


def test_the_operations_guides_filter_policies_route_as_it_says(aws: Any) -> None:
    """docs/operations.md's two subscriptions, on moto's SNS (which applies filter policies):
    the training queue gets failing training reports only, the other Inference
    Recommender's only."""
    guide = (ROOT / "docs" / "operations.md").read_text()
    section = guide.split("## How do I route reports by workload?")[1].split("\n## ")[0]
    policies = [
        json.loads(json.loads(attributes)["FilterPolicy"])
        for attributes in re.findall(r"--attributes '(.*)'", section)
    ]
    assert len(policies) == 2
    sns = aws.client("sns")
    inboxes = [Inbox(aws, f"route-{n}") for n in range(len(policies))]
    passed = replace(TRAINING_REPORT, outcome=Outcome.PASS, findings=[], event_id="pass")
    for inbox, policy in zip(inboxes, policies, strict=True):
        [sub] = sns.list_subscriptions_by_topic(TopicArn=inbox.topic_arn)["Subscriptions"]
        sns.set_subscription_attributes(
            SubscriptionArn=sub["SubscriptionArn"],
            AttributeName="FilterPolicy",
            AttributeValue=json.dumps(policy),
        )
        for sent in (REPORT, TRAINING_REPORT, passed):
            notify.publish(sns, inbox.topic_arn, sent)
    messages = [[json.loads(e["Message"]) for e in inbox.envelopes()] for inbox in inboxes]
    received = [[(m["job"]["name"], m["outcome"]) for m in got] for got in messages]
    assert received == [[("demo-training-job", "FAIL")], [("demo-ir-job", "FAIL")]]
