"""The report on its own: the outcome a subscriber reads, and the JSON every consumer parses
(validated against report.schema.json, with the public field names)."""

from __future__ import annotations

import dataclasses
from typing import Any

import jsonschema
import pytest

from ir_vpc_guard.checks import CheckRun
from ir_vpc_guard.delivery.report import (
    Report,
    checked_report,
    load_schema,
    outcome_of,
    skipped_report,
)
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import (
    CHECK_ERROR,
    MUTE_LIST_INVALID,
    ActionName,
    Finding,
    Mode,
    Mute,
    Outcome,
    RemediationStatus,
    Severity,
)
from ir_vpc_guard.intake.event import Skipped, parse_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.remediation.actions import Action
from tests.conftest import load_event
from tests.delivery.samples import ACCOUNT, REGION, finding

OWNER = "210987654321"
JOB = JobRequest(
    job_name="demo-ir-job",
    account=ACCOUNT,
    region=REGION,
    event_id="0d2a43d4-5c1e-4f0b-9a53-1e2f3a4b5c6d",
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    job_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-recommendations-job/demo-ir-job",
    role_arn=f"arn:aws:iam::{ACCOUNT}:role/ir-job",
    model_name="demo-model",
)
SNAPSHOT = Snapshot(job=JOB, vpc_id="vpc-0123456789abcdef0", vpc_owner=ACCOUNT)
VALIDATOR = jsonschema.Draft202012Validator(
    load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
MUTE = Mute(reason="accepted by the network team", expires="2099-12-31")


def validate(report: dict[str, Any]) -> None:
    """Raise with every schema violation, formats (date, date-time) included."""
    errors = [error.message for error in VALIDATOR.iter_errors(report)]
    assert errors == []


@pytest.mark.parametrize("severity", [Severity.HIGH, Severity.CRITICAL])
def test_a_certain_high_finding_fails_the_job(severity: Severity) -> None:
    assert outcome_of([finding(severity=severity)]) is Outcome.FAIL
    assert outcome_of([finding(severity=Severity.MEDIUM), finding(severity=severity)]) is (
        Outcome.FAIL
    )


def test_a_failed_read_is_an_error_unless_a_certain_finding_already_fails() -> None:
    error = finding(CHECK_ERROR, Severity.MEDIUM)
    assert outcome_of([error]) is Outcome.ERROR
    assert outcome_of([error, finding("DNS_DISABLED", Severity.MEDIUM)]) is Outcome.ERROR
    assert outcome_of([error, finding(severity=Severity.HIGH)]) is Outcome.FAIL


def test_only_medium_or_undetermined_findings_warn() -> None:
    undetermined = finding(
        "ROLE_S3_ACCESS",
        Severity.MEDIUM,
        evidence={"undetermined": "the bucket policy of another account"},
    )
    assert outcome_of([undetermined]) is Outcome.WARN
    assert outcome_of([undetermined, finding(severity=Severity.LOW)]) is Outcome.WARN


@pytest.mark.parametrize("severities", [[], [Severity.LOW], [Severity.INFORMATIONAL, Severity.LOW]])
def test_no_finding_at_medium_or_above_passes(severities: list[Severity]) -> None:
    assert outcome_of([finding(severity=s) for s in severities]) is Outcome.PASS


def test_muted_findings_do_not_drive_the_outcome() -> None:
    assert outcome_of([finding(severity=Severity.HIGH, muted=MUTE)]) is Outcome.PASS
    assert outcome_of([finding(CHECK_ERROR, Severity.MEDIUM, muted=MUTE)]) is Outcome.PASS
    mixed = [finding(muted=MUTE), finding("DNS_DISABLED", Severity.MEDIUM)]
    assert outcome_of(mixed) is Outcome.WARN


@pytest.mark.parametrize(
    ("left", "outcome"),
    [
        ([], Outcome.REMEDIATED),
        ([finding(severity=Severity.LOW)], Outcome.REMEDIATED),
        ([finding(severity=Severity.HIGH, muted=MUTE)], Outcome.REMEDIATED),
        ([finding(severity=Severity.MEDIUM)], Outcome.PARTIAL),
        ([finding(severity=Severity.LOW, status=RemediationStatus.FAILED)], Outcome.PARTIAL),
        ([finding(severity=Severity.LOW, status=RemediationStatus.APPLIED)], Outcome.PARTIAL),
        ([finding(CHECK_ERROR, Severity.MEDIUM)], Outcome.PARTIAL),
    ],
)
def test_after_a_change_only_a_clean_recheck_is_remediated(
    left: list[Finding], outcome: Outcome
) -> None:
    assert outcome_of(left, changed=True) is outcome


def test_a_skipped_event_gets_a_skipped_report_that_says_why() -> None:
    skipped = Skipped("not a VPC job", "evt-1", ACCOUNT, REGION, job_name="demo-ir-job")
    report = skipped_report(skipped, Mode.APPLY).to_dict()
    validate(report)
    assert report["outcome"] == "SKIPPED"
    assert report["reason"] == "not a VPC job"
    assert report["mode"] == "apply"
    assert (report["eventId"], report["account"], report["region"]) == ("evt-1", ACCOUNT, REGION)
    assert report["job"] == {"name": "demo-ir-job"}
    assert report["findings"] == []
    assert report["summary"]["maxSeverity"] == "NONE"


def test_a_skipped_event_without_a_job_name_has_an_empty_job() -> None:
    report = skipped_report(Skipped("unparseable event"), Mode.REPORT).to_dict()
    validate(report)
    assert report["job"] == {}
    assert report["eventId"] == "unknown"


def skipped_event(name: str, **detail: Any) -> dict[str, Any]:
    """The report of a sample event changed by `detail` (e.g. a failed call), skipped."""
    event = load_event(name)
    event["detail"].update(detail)
    skipped = parse_event(event)
    assert isinstance(skipped, Skipped)
    report = skipped_report(skipped, Mode.REPORT).to_dict()
    validate(report)
    return report


@pytest.mark.parametrize(
    "detail",
    [
        pytest.param({"errorCode": "ValidationException"}, id="a failed call"),
        pytest.param({"requestParameters": {"trainingJobName": "demo-training-job"}}, id="no VPC"),
    ],
)
def test_a_skipped_training_event_names_its_workload(detail: dict[str, Any]) -> None:
    report = skipped_event("training_job", **detail)
    assert report["job"] == {"name": "demo-training-job", "workload": "training"}


def test_a_skipped_event_of_the_training_workload_left_out_names_it() -> None:
    skipped = parse_event(load_event("training_job"), workloads={"inference-recommender"})
    assert isinstance(skipped, Skipped)
    report = skipped_report(skipped, Mode.REPORT).to_dict()
    assert report["job"] == {"name": "demo-training-job", "workload": "training"}
    assert report["reason"].startswith("the training workload is not checked here")


def test_skipped_inference_recommender_and_unknown_events_name_no_workload() -> None:
    """Inference Recommender's skipped reports keep their shape; an event no workload
    answers has none to name."""
    assert skipped_event("failed_call")["job"] == {"name": "demo-ir-job"}
    assert skipped_event("no_vpc_config")["job"].keys() == {"name"}
    assert "workload" not in skipped_event("unrelated_event")["job"]


def test_a_checked_report_lists_findings_most_severe_first_and_each_check_once() -> None:
    run = CheckRun(
        findings=[
            finding("ROLE_S3_ACCESS", Severity.MEDIUM),
            finding(CHECK_ERROR, Severity.MEDIUM),
            finding("SG_EGRESS_S3_MISSING", Severity.HIGH),
            finding(MUTE_LIST_INVALID, Severity.LOW),
            finding("S3_ENDPOINT_MISSING", Severity.HIGH),
        ],
        passed=["DNS_SUPPORT", "ACL_EGRESS"],
        not_evaluated={"ROUTE_TO_S3": "no route tables read"},
        errored=["SUBNETS_EXIST"],
    )
    report = checked_report(JOB, SNAPSHOT, run, Mode.REPORT).to_dict()
    validate(report)
    assert report["outcome"] == "FAIL"
    assert [(f["severity"], f["checkId"]) for f in report["findings"]] == [
        ("HIGH", "S3_ENDPOINT_MISSING"),
        ("HIGH", "SG_EGRESS_S3_MISSING"),
        ("MEDIUM", CHECK_ERROR),
        ("MEDIUM", "ROLE_S3_ACCESS"),
        ("LOW", MUTE_LIST_INVALID),
    ]
    assert report["summary"]["checks"] == {
        "passed": ["ACL_EGRESS", "DNS_SUPPORT"],
        "failed": ["ROLE_S3_ACCESS", "S3_ENDPOINT_MISSING", "SG_EGRESS_S3_MISSING"],
        "errored": ["SUBNETS_EXIST"],
        "notEvaluated": {"ROUTE_TO_S3": "no route tables read"},
    }


def test_the_job_section_names_the_vpc_owner_only_when_the_vpc_is_shared() -> None:
    own = checked_report(JOB, SNAPSHOT, CheckRun(), Mode.REPORT).to_dict()
    assert own["job"] == {
        "name": "demo-ir-job",
        "arn": JOB.job_arn,
        "type": "Default",
        "role": JOB.role_arn,
        "modelPackageArn": None,
        "modelName": "demo-model",
        "subnets": ["subnet-0123456789abcdef0"],
        "securityGroups": ["sg-0123456789abcdef0"],
        "vpc": "vpc-0123456789abcdef0",
    }
    assert own["outcome"] == "PASS"
    shared_snapshot = Snapshot(
        job=JOB, vpc_id="vpc-0123456789abcdef0", vpc_owner=OWNER, reader_account=ACCOUNT
    )
    shared = checked_report(JOB, shared_snapshot, CheckRun(), Mode.REPORT).to_dict()
    validate(shared)
    assert shared["job"]["vpcOwner"] == OWNER


def test_to_dict_validates_against_the_schema_with_the_public_field_names() -> None:
    fix = Action(
        ActionName.ADD_S3_EGRESS_RULE,
        "SG_EGRESS_S3_MISSING",
        "vpc-0123456789abcdef0",
        "sg-0123456789abcdef0",
        prefix_list_id="pl-63a5400a",
    ).settle(RemediationStatus.APPLIED, "rule added", ruleId="sgr-1")
    report = Report(
        event_id="evt-1",
        account=ACCOUNT,
        region=REGION,
        outcome=Outcome.PARTIAL,
        mode=Mode.APPLY,
        trigger="sweep",
        job={"name": "demo-ir-job"},
        findings=[
            finding(severity=Severity.HIGH, muted=MUTE),
            finding(
                "ROLE_S3_ACCESS", Severity.MEDIUM, evidence={"undetermined": "cross-account bucket"}
            ),
            finding("DNS_DISABLED", Severity.MEDIUM),
        ],
        reason="re-checked after a fix",
        actions=[fix],
        repeat=True,
        expired_mutes=[{"checkId": "DNS_DISABLED", "reason": "old", "expires": "2020-01-01"}],
    )
    data = report.to_dict()
    validate(data)
    assert set(data) == {
        "schemaVersion",
        "guardrailVersion",
        "generatedAt",
        "eventId",
        "account",
        "region",
        "trigger",
        "mode",
        "outcome",
        "job",
        "summary",
        "findings",
        "actions",
        "reason",
        "repeat",
        "expiredMutes",
    }
    assert data["schemaVersion"] == "1.0"
    assert (data["trigger"], data["mode"], data["outcome"]) == ("sweep", "apply", "PARTIAL")
    assert data["summary"] == {
        "findings": 3,
        "maxSeverity": "HIGH",
        "bySeverity": {"HIGH": 1, "MEDIUM": 2},
        "muted": 1,
        "checks": {},
    }
    assert data["findings"][0]["muted"] == {"reason": MUTE.reason, "expires": "2099-12-31"}
    assert data["findings"][1]["evidence"] == {"undetermined": "cross-account bucket"}
    assert data["actions"] == [
        {
            "action": "add-s3-egress-rule",
            "checkId": "SG_EGRESS_S3_MISSING",
            "status": "APPLIED",
            "resource": "sg-0123456789abcdef0",
            "reason": "rule added",
            "target": {"prefixListId": "pl-63a5400a"},
            "details": {"ruleId": "sgr-1"},
        }
    ]


def test_optional_fields_are_left_out_when_they_say_nothing() -> None:
    data = Report("evt-1", ACCOUNT, REGION, Outcome.PASS).to_dict()
    validate(data)
    assert not {"actions", "reason", "repeat", "expiredMutes"} & set(data)
    assert data["summary"]["muted"] == 0


def test_a_report_is_complete_when_built_and_cannot_be_changed_after() -> None:
    """Every channel sees the same report: the fixes, the stop and the expired mutes are
    given to checked_report, and a changed view (a repeat) is a copy."""
    stop = Action(ActionName.STOP_JOB, "S3_ENDPOINT_MISSING", "vpc-0123456789abcdef0", "job")
    lapsed = {"checkId": "VPC_CUSTOM_DNS", "expires": "2025-01-01", "reason": "old"}
    report = checked_report(
        JOB, SNAPSHOT, CheckRun(), Mode.APPLY, actions=[stop], expired_mutes=[lapsed]
    )
    data = report.to_dict()
    assert [a["action"] for a in data["actions"]] == ["stop-job"]
    assert data["expiredMutes"] == [lapsed]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.repeat = True  # type: ignore[misc]
    assert dataclasses.replace(report, repeat=True).to_dict()["repeat"] is True
    assert "repeat" not in report.to_dict()
