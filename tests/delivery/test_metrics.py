"""The metrics one report yields, on their own. The names are a public contract (alarms and
dashboards key on them), so every test asserts them spelled out, never built."""

from __future__ import annotations

from typing import Any

import pytest

from ir_vpc_guard.delivery import metrics
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import (
    ActionName,
    Finding,
    Mute,
    Outcome,
    RemediationStatus,
    Severity,
)
from ir_vpc_guard.remediation.actions import Action

NO_ACTIONS = {"RemediationsApplied": 0, "RemediationsFailed": 0, "JobsStopped": 0}


def finding(check_id: str, severity: Severity, muted: Mute | None = None) -> Finding:
    return Finding(check_id, severity, "title", "detail", muted=muted)


def action(name: ActionName, status: RemediationStatus) -> Action:
    return Action(name, "S3_ENDPOINT_MISSING", "vpc-1", "vpc-1").settle(status, "")


def counts(outcome: Outcome, **fields: Any) -> dict[str, int]:
    report = Report("evt-1", "123456789012", "us-east-1", outcome, **fields)
    return dict(metrics.report_counts(report))


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_report_counts_itself_and_its_outcome(outcome: Outcome) -> None:
    assert counts(outcome)["Reports"] == 1
    assert counts(outcome)[f"Outcome_{outcome.value}"] == 1


def test_the_outcome_names_are_the_seven_outcomes() -> None:
    assert metrics.OUTCOMES == ("PASS", "WARN", "FAIL", "REMEDIATED", "PARTIAL", "SKIPPED", "ERROR")
    assert set(metrics.OUTCOMES) == {o.value for o in Outcome}


def test_a_skipped_report_counts_nothing_else() -> None:
    assert counts(Outcome.SKIPPED) == {"Reports": 1, "Outcome_SKIPPED": 1}


@pytest.mark.parametrize(
    ("outcome", "findings", "expected"),
    [
        pytest.param(
            Outcome.PASS,
            [],
            {"Reports": 1, "Outcome_PASS": 1, "MutedFindings": 0, "Findings": 0},
            id="a pass counts zero findings and zero fixes",
        ),
        pytest.param(
            Outcome.FAIL,
            [
                finding("S3_ENDPOINT_MISSING", Severity.HIGH),
                finding("SG_EGRESS_S3_MISSING", Severity.HIGH),
                finding("SG_EGRESS_S3_MISSING", Severity.HIGH),
                finding("ROLE_S3_ACCESS", Severity.MEDIUM),
            ],
            {
                "Reports": 1,
                "Outcome_FAIL": 1,
                "MutedFindings": 0,
                "Findings": 4,
                "Finding_S3_ENDPOINT_MISSING": 1,
                "Finding_SG_EGRESS_S3_MISSING": 2,
                "Finding_ROLE_S3_ACCESS": 1,
                "Severity_HIGH": 3,
                "Severity_MEDIUM": 1,
            },
            id="findings are counted by check and by severity",
        ),
        pytest.param(
            Outcome.WARN,
            [
                finding("S3_ENDPOINT_MISSING", Severity.HIGH, muted=Mute("accepted", "2099-12-31")),
                finding("DNS_DISABLED", Severity.MEDIUM),
            ],
            {
                "Reports": 1,
                "Outcome_WARN": 1,
                "MutedFindings": 1,
                "Findings": 1,
                "Finding_DNS_DISABLED": 1,
                "Severity_MEDIUM": 1,
            },
            id="muted findings are counted apart and raise no check or severity",
        ),
    ],
)
def test_a_report_without_fixes_counts_its_findings(
    outcome: Outcome, findings: list[Finding], expected: dict[str, int]
) -> None:
    assert counts(outcome, findings=findings) == {**expected, **NO_ACTIONS}


def test_fixes_applied_and_failed_and_jobs_stopped_are_counted_apart() -> None:
    actions = [
        action(ActionName.CREATE_S3_GATEWAY_ENDPOINT, RemediationStatus.APPLIED),
        action(ActionName.ADD_S3_EGRESS_RULE, RemediationStatus.APPLIED),
        action(ActionName.ADD_ENDPOINT_ROUTE_TABLES, RemediationStatus.FAILED),
        action(ActionName.ADD_SUBNET_EGRESS_RULES, RemediationStatus.PLANNED),
        action(ActionName.STOP_JOB, RemediationStatus.APPLIED),
    ]
    got = counts(Outcome.PARTIAL, actions=actions)
    assert {k: got[k] for k in NO_ACTIONS} == {
        "RemediationsApplied": 2,
        "RemediationsFailed": 1,
        "JobsStopped": 1,
    }


@pytest.mark.parametrize(
    "status", [RemediationStatus.PLANNED, RemediationStatus.FAILED, RemediationStatus.SKIPPED]
)
def test_a_stop_not_made_counts_no_stopped_job_and_no_fix(status: RemediationStatus) -> None:
    got = counts(Outcome.FAIL, actions=[action(ActionName.STOP_JOB, status)])
    assert {k: got[k] for k in NO_ACTIONS} == NO_ACTIONS


def test_the_names_the_deliverer_counts_outside_a_report() -> None:
    assert (
        metrics.PUBLISHED,
        metrics.SECURITY_HUB_FAILURES,
        metrics.SWEEP_FOUND_JOBS,
        metrics.REPLAYS,
    ) == ("ReportsPublished", "SecurityHubExportFailures", "SweepFoundJobs", "EventReplays")
    assert metrics.outcome_metric("FAIL") == "Outcome_FAIL"
    assert metrics.finding_metric("S3_ENDPOINT_MISSING") == "Finding_S3_ENDPOINT_MISSING"
    assert metrics.severity_metric("HIGH") == "Severity_HIGH"


@pytest.mark.parametrize(
    ("job", "workload"),
    [
        pytest.param({"name": "ir-job"}, "inference-recommender", id="Inference Recommender"),
        pytest.param({"name": "t", "workload": "training"}, "training", id="training"),
    ],
)
def test_a_checked_job_is_counted_under_its_workload_and_outcome(
    job: dict[str, str], workload: str
) -> None:
    report = Report("evt-1", "123456789012", "us-east-1", Outcome.WARN, job=job)
    assert metrics.workload_dimensions(report) == {"Workload": workload, "Outcome": "WARN"}
    assert metrics.JOBS_CHECKED_BY_WORKLOAD == "JobsCheckedByWorkload"
    assert "JobsCheckedByWorkload" not in metrics.report_counts(report)  # a series of its own


def test_a_skipped_event_is_no_checked_job_of_any_workload() -> None:
    job = {"name": "t", "workload": "training"}
    report = Report("evt-1", "123456789012", "us-east-1", Outcome.SKIPPED, job=job)
    assert metrics.workload_dimensions(report) is None
    assert metrics.CHECKED_OUTCOMES == ("PASS", "WARN", "FAIL", "REMEDIATED", "PARTIAL", "ERROR")
