"""The mute list: validation, matching by every field, globs, expiry, and what a muted
finding no longer counts toward (outcome, publish decision, metrics, Security Hub)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from ir_vpc_guard.delivery import metrics, mutes, notify, securityhub
from ir_vpc_guard.delivery.report import Report, outcome_of
from ir_vpc_guard.findings import (
    MUTE_LIST_INVALID,
    Finding,
    Mute,
    Outcome,
    Remediation,
    RemediationStatus,
    Severity,
)
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.test_training import training_event

TODAY = date(2026, 12, 2)
# The pipeline marks with the real date: an entry that lives through the test run.
SOON = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
CONTEXT = mutes.Context(
    account="123456789012",
    region="us-east-1",
    vpc="vpc-0123456789abcdef0",
    job="team-a-bert-42",
    subnets=("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"),
    security_groups=("sg-0cccccccccccccccc",),
)


def finding(
    check_id: str = "S3_ENDPOINT_MISSING",
    severity: Severity = Severity.HIGH,
    resources: tuple[str, ...] = ("vpc-0123456789abcdef0",),
) -> Finding:
    return Finding(
        check_id=check_id,
        severity=severity,
        title="t",
        detail="d",
        resources=resources,
        remediation=Remediation("create-s3-gateway-endpoint", RemediationStatus.PLANNED, "fix"),
    )


def mute_list(*entries: dict[str, str]) -> mutes.MuteList:
    return mutes.parse(json.dumps({"mutes": list(entries)}), "test", TODAY)


def entry(**fields: str) -> dict[str, str]:
    base = {"checkId": "S3_ENDPOINT_MISSING", "reason": "NAT kept on purpose"}
    return base | {"expires": "2027-06-30"} | fields


def marked(mutes_: mutes.MuteList, *found: Finding) -> list[Finding]:
    return mutes.mark(mutes_, list(found), CONTEXT, TODAY)


def test_a_matching_entry_mutes_with_reason_and_expiry_and_skips_the_fix() -> None:
    (muted,) = marked(mute_list(entry()), finding())
    assert muted.muted == Mute("NAT kept on purpose", "2027-06-30")
    assert muted.to_dict()["muted"] == {"reason": "NAT kept on purpose", "expires": "2027-06-30"}
    assert muted.remediation is not None
    assert muted.remediation.status is RemediationStatus.SKIPPED
    assert muted.remediation.reason.startswith("Muted (NAT kept on purpose)")


def test_another_check_is_not_muted() -> None:
    (kept,) = marked(mute_list(entry()), finding("VPC_DNS_SUPPORT_DISABLED"))
    assert kept.muted is None and "muted" not in kept.to_dict()


@pytest.mark.parametrize(
    ("field", "hit", "miss"),
    [
        ("account", CONTEXT.account, "210987654321"),
        ("region", CONTEXT.region, "eu-west-1"),
        ("vpc", CONTEXT.vpc, "vpc-0fffffffffffffff0"),
        ("securityGroup", CONTEXT.security_groups[0], "sg-0eeeeeeeeeeeeeee0"),
        ("job", CONTEXT.job, "team-b-bert-42"),
        ("workload", "inference-recommender", "training"),
    ],
)
def test_each_field_must_match(field: str, hit: str, miss: str) -> None:
    assert marked(mute_list(entry(**{field: hit})), finding())[0].muted is not None
    assert marked(mute_list(entry(**{field: miss})), finding())[0].muted is None


def test_an_entry_without_a_workload_mutes_every_workloads_finding() -> None:
    """Mute lists written before workloads keep muting what they muted, training included."""
    training = replace(CONTEXT, workload="training")
    assert mutes.mark(mute_list(entry()), [finding()], training, TODAY)[0].muted is not None
    scoped = mute_list(entry(workload="training"))
    assert mutes.mark(scoped, [finding()], training, TODAY)[0].muted is not None
    assert marked(scoped, finding())[0].muted is None  # CONTEXT: Inference Recommender


def test_an_expired_workload_entry_is_listed_with_its_workload() -> None:
    lapsed = mute_list(entry(workload="training", expires="2026-12-01"))
    training = replace(CONTEXT, workload="training")
    assert mutes.lapsed(lapsed, [finding()], training, TODAY) == [
        {
            "checkId": "S3_ENDPOINT_MISSING",
            "workload": "training",
            "reason": "NAT kept on purpose",
            "expires": "2026-12-01",
        }
    ]
    assert mutes.lapsed(lapsed, [finding()], CONTEXT, TODAY) == []


def test_a_finding_about_the_whole_job_needs_every_subnet_muted() -> None:
    """S3_ENDPOINT_MISSING names the VPC: it is about every job subnet."""
    one = entry(subnet=CONTEXT.subnets[1])
    (kept,) = marked(mute_list(one), finding())
    assert kept.muted is None
    assert kept.to_dict()["partiallyMuted"] == {
        "reason": "NAT kept on purpose",
        "expires": "2027-06-30",
        "covers": [CONTEXT.subnets[1]],
    }
    both = mute_list(one, entry(subnet=CONTEXT.subnets[0], expires="2027-01-31"))
    (muted,) = marked(both, finding())
    assert muted.muted == Mute("NAT kept on purpose", "2027-01-31")  # the first to lapse
    assert muted.partially_muted is None


def test_a_mute_of_some_subnets_leaves_the_others_reported() -> None:
    """The README's example: a finding on two subnets and a mute naming one of them."""
    capacity = finding("SUBNET_IP_CAPACITY", resources=CONTEXT.subnets)
    one = entry(checkId="SUBNET_IP_CAPACITY", subnet=CONTEXT.subnets[0])
    (kept,) = marked(mute_list(one), capacity)
    assert kept.muted is None and kept.partially_muted is not None
    assert kept.partially_muted.covers == (CONTEXT.subnets[0],)
    assert outcome_of([kept]) is Outcome.FAIL  # what the mute does not cover still counts
    assert kept.remediation is not None and kept.remediation.status is RemediationStatus.PLANNED


def test_route_tables_and_groups_are_muted_only_in_every_combination() -> None:
    """A finding naming two tables and a group: entries must cover each table (a group-only
    entry covers every table; a table entry of another check covers nothing)."""
    tables = ("rtb-0aaaaaaaaaaaaaaaa", "rtb-0bbbbbbbbbbbbbbbb")
    route = finding("S3_ENDPOINT_ROUTE_MISSING", resources=("vpce-0123456789abcdef0", *tables))
    first = entry(checkId="S3_ENDPOINT_ROUTE_MISSING", routeTable=tables[0])
    assert marked(mute_list(first), route)[0].muted is None
    second = entry(checkId="S3_ENDPOINT_ROUTE_MISSING", routeTable=tables[1])
    assert marked(mute_list(first, second), route)[0].muted is not None
    group = entry(checkId="S3_ENDPOINT_ROUTE_MISSING", securityGroup=CONTEXT.security_groups[0])
    assert marked(mute_list(group), route)[0].muted is not None
    # A table entry never mutes a finding that names no table.
    assert marked(mute_list(entry(routeTable=tables[0])), finding())[0].muted is None


def test_every_named_field_must_match() -> None:
    both = entry(account="123456789012", region="eu-west-1")
    assert marked(mute_list(both), finding())[0].muted is None


def test_subnet_and_group_follow_the_resources_a_finding_names() -> None:
    capacity = finding("SUBNET_IP_CAPACITY", resources=("subnet-0aaaaaaaaaaaaaaaa",))
    other = entry(checkId="SUBNET_IP_CAPACITY", subnet="subnet-0bbbbbbbbbbbbbbbb")
    same = entry(checkId="SUBNET_IP_CAPACITY", subnet="subnet-0aaaaaaaaaaaaaaaa")
    assert marked(mute_list(other), capacity)[0].muted is None  # the job's, but not this one
    assert marked(mute_list(same), capacity)[0].muted is not None


@pytest.mark.parametrize(
    ("pattern", "muted"),
    [("team-a-*", True), ("team-?-bert-42", True), ("*bert*", True), ("team-b-*", False)],
)
def test_job_is_a_glob(pattern: str, muted: bool) -> None:
    assert (marked(mute_list(entry(job=pattern)), finding())[0].muted is not None) is muted


def test_an_expired_entry_mutes_nothing_and_is_listed() -> None:
    lapsed = entry(expires="2026-12-01")
    found = marked(mute_list(lapsed), finding())
    assert found[0].muted is None
    assert mutes.lapsed(mute_list(lapsed), found, CONTEXT, TODAY) == [lapsed]
    still = entry(expires="2026-12-02")  # the last day it mutes
    assert marked(mute_list(still), finding())[0].muted is not None
    assert mutes.lapsed(mute_list(still), found, CONTEXT, TODAY) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"mute": []}', "expected a JSON object"),
        (json.dumps({"mutes": [{"reason": "r", "expires": "2027-01-01"}]}), "no checkId"),
        (json.dumps({"mutes": [{"checkId": "X", "expires": "2027-01-01"}]}), "no reason"),
        (json.dumps({"mutes": [{"checkId": "X", "reason": "r"}]}), "no expires"),
        (json.dumps({"mutes": [entry(expires="someday")]}), "not an ISO date"),
        (json.dumps({"mutes": [entry(expires="2028-01-01")]}), "more than one year ahead"),
        (json.dumps({"mutes": [entry(vpcId="vpc-1")]}), "unknown fields ['vpcId']"),
        (json.dumps({"mutes": [entry(reason=" ")]}), "non-empty string"),
        (
            json.dumps({"mutes": [entry(workload="Training")]}),
            "mutes[0].workload 'Training' is not a workload (known: inference-recommender,",
        ),
    ],
)
def test_an_invalid_list_mutes_nothing_and_says_why(text: str, problem: str) -> None:
    invalid = mutes.parse(text, "/ir-vpc-guard/mutes", TODAY)
    assert invalid.problem is not None and problem in invalid.problem
    found = marked(invalid, finding())
    assert found[0].muted is None
    assert found[1].check_id == MUTE_LIST_INVALID and found[1].severity is Severity.MEDIUM
    assert problem in found[1].detail and "/ir-vpc-guard/mutes" in found[1].detail


def test_an_unreadable_file_is_an_invalid_list(tmp_path: Any) -> None:
    assert "cannot read" in str(mutes.load_file(str(tmp_path / "none.json")).problem)


def test_a_parameter_that_cannot_be_read_is_an_invalid_list() -> None:
    def refuse(name: str, max_age: int) -> str:
        raise RuntimeError(f"{name} denied after {max_age}")

    assert "RuntimeError" in str(mutes.load_parameter("/m", refuse).problem)


def test_the_outcome_without_and_with_the_mute() -> None:
    high = finding()
    assert outcome_of([high]) is Outcome.FAIL
    assert outcome_of(marked(mute_list(entry()), high)) is Outcome.PASS
    medium = finding("VPC_CUSTOM_DNS", Severity.MEDIUM)
    both = marked(mute_list(entry()), high, medium)
    assert outcome_of(both) is Outcome.WARN  # the unmuted MEDIUM still counts
    invalid = mutes.parse("[]", "f", TODAY)
    assert outcome_of(marked(invalid, high)) is Outcome.FAIL


def report_of(found: list[Finding]) -> Report:
    job = {"name": CONTEXT.job, "arn": None}
    return Report("e", "123456789012", "us-east-1", outcome_of(found), job=job, findings=found)


def test_a_muted_finding_alone_is_not_published_under_findings() -> None:
    unmuted = report_of([finding(severity=Severity.LOW)])
    muted = report_of(marked(mute_list(entry()), finding(severity=Severity.LOW)))
    assert notify.should_publish(unmuted, "findings")
    assert muted.outcome is Outcome.PASS and muted.to_dict()["summary"]["muted"] == 1
    assert not notify.should_publish(muted, "findings")
    assert notify.should_publish(muted, "all")


def test_metrics_count_muted_findings_apart() -> None:
    counts = metrics.report_counts(report_of(marked(mute_list(entry()), finding())))
    assert counts[metrics.MUTED_FINDINGS] == 1
    assert counts[metrics.FINDINGS] == 0 and counts["Severity_HIGH"] == 0


def test_security_hub_suppresses_a_muted_check_only() -> None:
    found = marked(mute_list(entry()), finding(), finding("VPC_CUSTOM_DNS", Severity.MEDIUM))
    asff = {f["GeneratorId"]: f for f in securityhub.asff_findings(report_of(found))}
    assert asff["ir-vpc-guard/S3_ENDPOINT_MISSING"]["Workflow"] == {"Status": "SUPPRESSED"}
    assert asff["ir-vpc-guard/VPC_CUSTOM_DNS"]["Workflow"] == {"Status": "NEW"}


def test_a_training_scoped_mute_silences_the_training_job_only(aws: Any) -> None:
    """On one moto world without an S3 endpoint: the entry scoped to training mutes the
    training job's finding; the Inference Recommender job's stays and fails it."""
    world = build_world(aws, REGION, with_endpoint=False)
    scoped = mutes.parse(json.dumps({"mutes": [entry(workload="training", expires=SOON)]}), "t")

    def judged(event: dict[str, Any]) -> dict[str, Any]:
        session = boto3.session.Session()
        # moto lacks DescribeSecurityGroupVpcAssociations: its narrow fake (none associated).
        FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
        (report,) = handle_event(
            event, Settings(), clients_factory(session), lock=LocalVpcLock(), mute_list=scoped
        )
        return report.to_dict()

    training = judged(training_event(world))
    [missing] = [f for f in training["findings"] if f["checkId"] == "S3_ENDPOINT_MISSING"]
    assert missing["muted"]["reason"] == "NAT kept on purpose"
    recommender = judged(world.event(load_event("good_job")))
    [missing] = [f for f in recommender["findings"] if f["checkId"] == "S3_ENDPOINT_MISSING"]
    assert "muted" not in missing and recommender["outcome"] == "FAIL"
