"""Which findings carry their check's false alarms, and how a person reads it: the e-mail
and text views and Security Hub show the sentence as they show the detail."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import pytest

from ir_vpc_guard.delivery import render
from ir_vpc_guard.delivery.false_alarm_evidence import annotate
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.delivery.securityhub import asff_findings
from ir_vpc_guard.findings import CHECK_ERROR, Finding, Mute, Outcome, Severity
from ir_vpc_guard.state.false_alarms import FalseAlarm, MemoryFalseAlarms, UnreadError

ACCOUNT = "123456789012"
EARLIER = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/earlier-job"
SAID = "This check predicted a failure that did not happen in this account 1 time(s)"


class Recorded(MemoryFalseAlarms):
    """The in-memory memory, its reads recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[list[str]] = []

    def recall(self, account: str, check_ids: Iterable[str]) -> dict[str, FalseAlarm]:
        wanted = list(check_ids)
        self.reads.append(wanted)
        return super().recall(account, wanted)


def found(check_id: str, severity: Severity = Severity.HIGH, muted: Mute | None = None) -> Finding:
    return Finding(check_id, severity, check_id, f"{check_id} fails.", ("vpc-1",), muted=muted)


@pytest.fixture
def memory() -> Recorded:
    memory = Recorded()
    for check in ("S3_ENDPOINT_MISSING", "SG_EGRESS_S3_MISSING", "NACL_BLOCKS_S3", CHECK_ERROR):
        memory.record(ACCOUNT, check, EARLIER)
    return memory


def test_only_unmuted_certain_findings_are_read_and_carry_it(memory: Recorded) -> None:
    findings = [
        found("S3_ENDPOINT_MISSING"),
        found("SG_EGRESS_S3_MISSING", Severity.MEDIUM),  # undetermined: no certainty to doubt
        found("NACL_BLOCKS_S3", muted=Mute("accepted", "2099-01-01")),
        found(CHECK_ERROR, Severity.HIGH),
    ]
    out = annotate(findings, memory, ACCOUNT)
    assert memory.reads == [["S3_ENDPOINT_MISSING"]]
    assert [("falseAlarms" in f.evidence, SAID in f.detail) for f in out] == [
        (True, True),
        (False, False),
        (False, False),
        (False, False),
    ]


def test_no_certain_finding_reads_nothing(memory: Recorded) -> None:
    findings = [found("SG_EGRESS_S3_MISSING", Severity.MEDIUM)]
    assert annotate(findings, memory, ACCOUNT) is findings
    assert memory.reads == []


def test_a_read_left_unprocessed_is_a_warning_and_the_findings_as_they_were(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Throttled(MemoryFalseAlarms):
        def recall(self, account: str, check_ids: Iterable[str]) -> dict[str, FalseAlarm]:
            raise UnreadError("false alarms: keys left unprocessed")

    findings = [found("S3_ENDPOINT_MISSING")]
    with caplog.at_level(logging.WARNING):
        assert annotate(findings, Throttled(), ACCOUNT) is findings
    assert "false alarms of S3_ENDPOINT_MISSING not read (UnreadError)" in caplog.text


def test_the_email_text_and_security_hub_say_it(memory: Recorded) -> None:
    [finding] = annotate([found("S3_ENDPOINT_MISSING")], memory, ACCOUNT)
    report = Report(
        event_id="e",
        account=ACCOUNT,
        region="us-east-1",
        outcome=Outcome.FAIL,
        job={"name": "next-job", "arn": EARLIER.replace("earlier", "next"), "workload": "training"},
        findings=[finding],
        checks={"passed": [], "failed": ["S3_ENDPOINT_MISSING"], "errored": []},
    )
    said = f"{SAID}, last for job {EARLIER} on "
    assert said in render.text(report)
    [asff] = asff_findings(report)
    assert said in asff["Description"]
