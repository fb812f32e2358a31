"""The plain-text summary on its own (CLI output and e-mail body): what a person reads
without opening the JSON: the outcome, every check ID and severity, the commands to run,
which findings are muted and why."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ir_vpc_guard.delivery import render
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import (
    ActionName,
    Mode,
    Mute,
    Outcome,
    PartialMute,
    RemediationStatus,
    Severity,
)
from ir_vpc_guard.remediation.actions import Action
from tests.delivery.samples import ACCOUNT, REGION, VPC, manual

GROUP = "sg-0123456789abcdef0"
COMMAND = (
    f"aws ec2 authorize-security-group-egress --group-id {GROUP}"
    " --ip-permissions IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=pl-1}]"
)
JOB = {
    "name": "demo-ir-job",
    "subnets": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
    "securityGroups": [GROUP],
    "vpc": VPC,
}


def text_of(report: Report) -> str:
    return render.text(report)


def report(outcome: Outcome = Outcome.FAIL, **fields: Any) -> Report:
    return Report("evt-1", ACCOUNT, REGION, outcome, **{"job": JOB, **fields})


def test_the_first_line_names_the_outcome_the_job_and_where() -> None:
    lines = text_of(report(Outcome.WARN)).splitlines()
    assert lines[0] == f"WARN: demo-ir-job in {ACCOUNT}/{REGION}"
    assert lines[1] == (
        "VPC vpc-0123456789abcdef0; subnets subnet-0123456789abcdef0, subnet-0fedcba9876543210;"
        " groups sg-0123456789abcdef0"
    )
    assert lines[2] == "Mode: report; event evt-1"


def test_a_workload_other_than_inference_recommender_is_named_under_the_first_line() -> None:
    """An e-mail reader learns what kind of job it is (Inference Recommender's text, above,
    keeps its lines)."""
    lines = text_of(report(job={**JOB, "name": "nightly", "workload": "training"})).splitlines()
    assert lines[:2] == [f"FAIL: nightly in {ACCOUNT}/{REGION}", "Workload: training"]
    skipped = report(Outcome.SKIPPED, job={"name": "nightly", "workload": "training"})
    assert text_of(replace(skipped, reason="no VPC")).splitlines()[1:3] == [
        "Reason: no VPC",
        "Workload: training",
    ]


def test_a_report_without_a_job_name_says_unknown_job() -> None:
    text = text_of(Report("evt-1", ACCOUNT, REGION, Outcome.ERROR))
    assert text.splitlines()[0] == f"ERROR: unknown job in {ACCOUNT}/{REGION}"


def test_a_skipped_report_says_why_and_lists_no_findings() -> None:
    skipped = Report(
        "evt-1", ACCOUNT, REGION, Outcome.SKIPPED, mode=Mode.APPLY, reason="not a VPC job"
    )
    assert text_of(skipped).splitlines() == [
        f"SKIPPED: unknown job in {ACCOUNT}/{REGION}",
        "Reason: not a VPC job",
        "Mode: apply; event evt-1",
    ]


def test_each_finding_names_its_severity_check_id_and_detail() -> None:
    findings = [
        manual("S3_ENDPOINT_MISSING", Severity.HIGH),
        manual("ROLE_S3_ACCESS", Severity.MEDIUM),
        manual("S3_VIA_NAT", Severity.LOW),
    ]
    text = text_of(report(findings=findings))
    assert "3 finding(s):" in text.splitlines()
    for check_id, severity in [
        ("S3_ENDPOINT_MISSING", "HIGH"),
        ("ROLE_S3_ACCESS", "MEDIUM"),
        ("S3_VIA_NAT", "LOW"),
    ]:
        assert f"- [{severity}] {check_id}: {check_id} detail" in text.splitlines()


def test_what_to_do_follows_each_finding_with_its_command_whole() -> None:
    text = text_of(
        report(findings=[manual("SG_EGRESS_S3_MISSING", Severity.HIGH, command=COMMAND)])
    )
    lines = text.splitlines()
    at = lines.index("- [HIGH] SG_EGRESS_S3_MISSING: SG_EGRESS_S3_MISSING detail")
    assert lines[at + 1] == "    MANUAL: Fix it by hand."
    assert lines[at + 2] == f"    $ {COMMAND}"


def test_a_finding_without_a_command_shows_no_command_line() -> None:
    text = text_of(report(findings=[manual("DNS_DISABLED", Severity.MEDIUM)]))
    assert "$ " not in text


def test_a_long_reason_is_wrapped_and_indented_under_its_finding() -> None:
    reason = " ".join(["word"] * 60)
    text = text_of(report(findings=[manual("DNS_DISABLED", Severity.MEDIUM, reason=reason)]))
    wrapped = [line for line in text.splitlines() if line.startswith("    ")]
    assert len(wrapped) > 1
    assert all(len(line) <= 100 for line in wrapped)
    assert " ".join(line.strip() for line in wrapped) == f"MANUAL: {reason}"


def test_a_muted_finding_is_marked_with_its_reason_and_expiry() -> None:
    mute = Mute("accepted by the network team", "2099-12-31")
    findings = [
        manual("S3_ENDPOINT_MISSING", Severity.HIGH, muted=mute),
        manual("DNS_DISABLED", Severity.MEDIUM),
    ]
    lines = text_of(report(Outcome.WARN, findings=findings)).splitlines()
    assert (
        "- [MUTED until 2099-12-31: accepted by the network team] [HIGH] S3_ENDPOINT_MISSING:"
        " S3_ENDPOINT_MISSING detail"
    ) in lines
    assert "- [MEDIUM] DNS_DISABLED: DNS_DISABLED detail" in lines


def test_a_partly_muted_finding_says_what_the_mute_list_covers() -> None:
    partial = PartialMute("accepted for one subnet", "2099-12-31", ("subnet-0123456789abcdef0",))
    findings = [manual("SUBNET_IP_CAPACITY", Severity.HIGH, partially_muted=partial)]
    lines = text_of(report(findings=findings)).splitlines()
    assert "- [HIGH] SUBNET_IP_CAPACITY: SUBNET_IP_CAPACITY detail" in lines  # not muted
    assert (
        "    Not muted: the mute list covers only subnet-0123456789abcdef0"
        " (accepted for one subnet)"
    ) in lines


def test_actions_and_expired_mutes_are_listed() -> None:
    endpoint = Action(ActionName.CREATE_S3_GATEWAY_ENDPOINT, "S3_ENDPOINT_MISSING", VPC, VPC)
    rule = Action(ActionName.ADD_S3_EGRESS_RULE, "SG_EGRESS_S3_MISSING", VPC, GROUP)
    failed = endpoint.settle(RemediationStatus.FAILED, "AccessDenied")
    applied = rule.settle(RemediationStatus.APPLIED, "")
    lapsed = {"checkId": "DNS_DISABLED", "reason": "trial", "expires": "2020-01-01"}
    lines = text_of(
        report(Outcome.PARTIAL, actions=[failed, applied], expired_mutes=[lapsed])
    ).splitlines()
    assert "* FAILED create-s3-gateway-endpoint on vpc-0123456789abcdef0 (AccessDenied)" in lines
    assert "* APPLIED add-s3-egress-rule on sg-0123456789abcdef0" in lines
    assert "! Mute of DNS_DISABLED expired 2020-01-01 (trial): it mutes nothing now" in lines


def test_checks_not_evaluated_are_named_with_why() -> None:
    checks = {"notEvaluated": {"ROUTE_TO_S3": "no route tables read", "DNS_SUPPORT": "denied"}}
    lines = text_of(report(Outcome.PASS, checks=checks)).splitlines()
    assert lines[-1] == "Not evaluated: ROUTE_TO_S3 (no route tables read); DNS_SUPPORT (denied)"
