"""Delivery on SNS: one message per job, readable in an e-mail and routable as JSON.

`MessageStructure=json` gives each protocol its own body: e-mail and default subscribers
get a text a person understands without opening JSON; SQS, Lambda and HTTPS subscribers
get the JSON report. Message attributes let subscription filter policies route by outcome,
severity and account. A failed publish raises (the ClientError is not caught), so Lambda
retries the invocation and then sends it to its DLQ: a finding is never lost silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ir_vpc_guard import __version__
from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.delivery import render
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import RemediationStatus
from ir_vpc_guard.remediation.fixes import STOP_NAMES

if TYPE_CHECKING:  # boto3-stubs is dev-only
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# SNS counts the message and its attributes against 256 KiB; keep room for the request's
# other fields so a report that fits here is never refused as "Message too long".
SNS_LIMIT_BYTES = 256 * 1024
MESSAGE_BUDGET_BYTES = SNS_LIMIT_BYTES - 4 * 1024
TEXT_BUDGET_BYTES = 32 * 1024  # each text copy (default and email)
SUBJECT_LIMIT = 99  # SNS: "Subject must be less than 100 characters"
SUBJECT_PREFIX = "IR VPC Guard"
QUIET_OUTCOMES = frozenset({"PASS", "SKIPPED"})  # not published under NOTIFY_ON=findings
JSON_PROTOCOLS = ("sqs", "lambda", "https")
TEXT_PROTOCOLS = ("default", "email")
TRIMMED_EVIDENCE = {
    "trimmed": "evidence removed to fit the SNS message limit; replay the event with "
    "`ir-vpc-guard replay` for the full evidence"
}

MEANING = {
    "PASS": "The job's VPC meets every requirement the guardrail checks.",
    "FAIL": "The job's VPC does not meet every requirement: the job may fail after it is"
    " billed. Fix the findings below (commands included), then run the job again.",
    "WARN": "Nothing certain blocks the job, but some requirements could not be decided"
    " (or are advisories): confirm the MEDIUM findings below with the commands given.",
    "REMEDIATED": "The guardrail fixed what it is allowed to fix (see the actions);"
    " nothing blocking is left.",
    "PARTIAL": "The guardrail fixed part of the problems; the findings below still need a person.",
    "ERROR": "Some requirements could not be checked (see CHECK_ERROR): grant the"
    " missing read access, or check the job again.",
    "SKIPPED": "The event was not checked (see the reason).",
}
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def should_publish(report: Report, notify_on: str) -> bool:
    """`findings`: only when something is wrong or was changed (a PASS with a LOW finding
    included: it does not fail the job, but it is worth a person's look; a muted finding
    is accepted, and a quiet advisory is one AWS's own policies carry, so neither alone
    publishes); `all`: always."""
    if notify_on == "all":
        return True
    worth_a_look = [f for f in report.findings if f.muted is None and not _quiet(f.check_id)]
    return report.outcome.value not in QUIET_OUTCOMES or bool(worth_a_look)


def _quiet(check_id: str) -> bool:
    check = CATALOGUE.get(check_id)
    return check is not None and check.quiet


def subject(report: Report) -> str:
    """`IR VPC Guard FAIL: <job> in <account>`, printable ASCII, under 100 characters;
    `IR VPC Guard FAIL (repeat): ...` when the job was already reported, so a mail rule
    can tell it from a new job without opening it.

    SNS refuses subjects with control characters or non-ASCII text, so the job name (which
    may come from anywhere in a skipped event) is reduced to printable ASCII and shortened.
    """
    outcome = _ascii(report.outcome.value)[:12]
    account = _ascii(report.account)[:12]
    name = _ascii(str(report.job.get("name") or "unknown job"))
    repeat = " (repeat)" if report.repeat else ""
    head, tail = f"{SUBJECT_PREFIX} {outcome}{repeat}: ", f" in {account}"
    room = SUBJECT_LIMIT - len(head) - len(tail)
    if len(name) > room:
        name = name[: room - 3].rstrip() + "..."
    return f"{head}{name}{tail}"


def attributes(report: Report) -> dict[str, MessageAttributeValueTypeDef]:
    """Message attributes for subscription filter policies."""
    values = {
        "outcome": report.outcome.value,
        "maxSeverity": report.max_severity,
        "account": report.account,
        "trigger": report.trigger,
        "repeat": "true" if report.repeat else None,  # filter: {"exists": false}
        # Named by every report but Inference Recommender's (whose job section has kept its
        # shape): filter {"workload": ["training"]}, or {"exists": false} for those.
        "workload": report.job.get("workload"),
    }
    return {
        name: {"DataType": "String", "StringValue": _ascii(str(value))[:256] or "unknown"}
        for name, value in values.items()
        if value is not None
    }


@dataclass(frozen=True, eq=False, repr=False)
class Fitted:
    """A report as SNS carries it: whole, or trimmed to fit when `omitted` is not None.

    Trimmed, every finding's evidence is replaced by a note and the last `omitted` findings
    (the least severe) are left out; the summary keeps the true counts.
    """

    report: Report
    omitted: int | None = None

    @property
    def trimmed(self) -> bool:
        return self.omitted is not None

    @property
    def shown(self) -> Report:
        """The report a reader sees: the findings kept, each without its evidence."""
        if self.omitted is None:
            return self.report
        kept = self.report.findings[: len(self.report.findings) - self.omitted]
        return replace(
            self.report, findings=[replace(f, evidence=dict(TRIMMED_EVIDENCE)) for f in kept]
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON report sent (and returned): the report's, with `trimmed` when trimmed."""
        data = self.report.to_dict()
        if self.omitted is None:
            return data
        data["findings"] = [f.to_dict() for f in self.shown.findings]
        for action in data.get("actions", []):
            action.pop("target", None)
        data["trimmed"] = {"evidence": True, "findingsOmitted": self.omitted}
        return data


def email_text(fitted: Fitted) -> str:
    """render.text with what the outcome means, the job ARN and any trimming said aloud."""
    report = fitted.shown
    first, _, rest = render.text(report).partition("\n")
    lines = [first, *_stopped(report), MEANING.get(report.outcome.value, "")]
    if report.repeat:
        lines.append(
            "Repeat: this job was already reported (by the catch-up sweep or an earlier"
            " event); this message gives its state now."
        )
    if rest:
        lines.append(rest)
    lines.append("")
    if report.job.get("arn"):
        lines.append(f"Job: {report.job['arn']}")
    lines.append(
        f"Found through: {report.trigger}; checked at "
        f"{report.generated_at} by IR VPC Guard {__version__}"
    )
    if fitted.omitted is not None:
        lines.append(
            "NOTE: the report was too large for SNS (256 KB): the findings' evidence was"
            " removed"
            + (f" and {fitted.omitted} finding(s) were left out" if fitted.omitted else "")
            + ". Replay the event with `ir-vpc-guard replay` for everything."
        )
    lines.append(
        "The JSON report goes to the topic's SQS, Lambda and HTTPS subscribers;"
        " filter on the message attributes outcome, maxSeverity and account."
    )
    return _bounded_text(_CONTROL.sub("?", "\n".join(lines)), TEXT_BUDGET_BYTES)


def _stopped(report: Report) -> list[str]:
    """First thing a reader sees when the guardrail stopped the job: that, why, and how to
    run it again once fixed."""
    for action in report.actions:
        if action.name in STOP_NAMES and action.status is RemediationStatus.APPLIED:
            details = action.details
            checks = ", ".join(details.get("blockingChecks", [])) or action.check_id
            return [
                "THE JOB WAS STOPPED by IR VPC Guard (STOP_DOOMED_JOBS): certain to fail"
                f" because of {checks}.",
                "Once the findings below are fixed, start it again: "
                + str(details.get("restartCommand")),
            ]
    return []


def message(fitted: Fitted) -> str:
    """The `MessageStructure=json` body: text for people, the JSON report for machines."""
    text = email_text(fitted)
    data = json.dumps(fitted.to_dict(), separators=(",", ":"), sort_keys=False)
    bodies = {protocol: text for protocol in TEXT_PROTOCOLS}
    bodies.update({protocol: data for protocol in JSON_PROTOCOLS})
    return json.dumps(bodies)


def fit(report: Report, budget: int = MESSAGE_BUDGET_BYTES) -> Fitted:
    """The report whole when its message fits in `budget` bytes, else trimmed.

    First every finding's evidence is replaced by a note; if that is not enough, the least
    severe findings are left out (the summary keeps the true counts). `trimmed` says what
    was done, and the e-mail text says it too.
    """
    whole = Fitted(report)
    if _size(whole) <= budget:
        return whole
    if _size(Fitted(report, 0)) <= budget:
        return Fitted(report, 0)
    total = len(report.findings)
    low, high = 0, total  # the most findings (in severity order) that still fit
    while low < high:
        middle = (low + high + 1) // 2
        if _size(Fitted(report, total - middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return Fitted(report, total - low)


@dataclass(frozen=True, eq=False, repr=False)
class Publication:
    """What was sent: the SNS message id, the subject and whether the report was trimmed."""

    message_id: str
    subject: str
    trimmed: bool
    size: int


def publish(sns: SNSClient, topic_arn: str, report: Report) -> Publication:
    """Publish one message for one report. A ClientError propagates: the caller must fail."""
    fitted = fit(report)
    body = message(fitted)
    title = subject(report)
    answer = sns.publish(
        TopicArn=topic_arn,
        Subject=title,
        Message=body,
        MessageStructure="json",
        MessageAttributes=attributes(report),
    )
    return Publication(
        message_id=str(answer.get("MessageId", "")),
        subject=title,
        trimmed=fitted.trimmed,
        size=len(body.encode()),
    )


def _size(fitted: Fitted) -> int:
    body = message(fitted)
    attrs = sum(
        len(name) + len(value["DataType"]) + len(value.get("StringValue", ""))
        for name, value in attributes(fitted.report).items()
    )
    return len(body.encode()) + attrs


def _ascii(value: str) -> str:
    """Printable ASCII on one line: SNS subjects and attribute values accept nothing else."""
    return " ".join(_UNPRINTABLE.sub("?", value).split())


def _bounded_text(text: str, limit: int) -> str:
    if len(text.encode()) <= limit:
        return text
    kept: list[str] = []
    used = 0
    lines = text.split("\n")
    for index, line in enumerate(lines):
        size = len(line.encode()) + 1
        if used + size > limit - 200:
            kept.append(
                f"... {len(lines) - index} more line(s): the JSON report has every finding."
            )
            break
        kept.append(line)
        used += size
    return "\n".join(kept)
