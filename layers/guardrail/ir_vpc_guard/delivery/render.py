"""Plain-text views of a report, for people: the CLI summary and the e-mail body."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ir_vpc_guard.delivery.report import Report
    from ir_vpc_guard.findings import Finding
    from ir_vpc_guard.remediation.actions import Action


def headline(report: Report) -> str:
    name = report.job.get("name") or "unknown job"
    return f"{report.outcome.value}: {name} in {report.account}/{report.region}"


def text(report: Report) -> str:
    """A summary a person understands without opening JSON: one line per finding."""
    lines = [headline(report), *_about(report)]
    if report.findings:
        lines += ["", f"{len(report.findings)} finding(s):"]
    for finding in report.findings:
        lines += _finding(finding)
    lines += [_action(action) for action in report.actions]
    lines += [_expired(lapsed) for lapsed in report.expired_mutes]
    not_evaluated = report.checks.get("notEvaluated", {})
    if not_evaluated:
        lines.append("")
        lines.append("Not evaluated: " + "; ".join(f"{k} ({v})" for k, v in not_evaluated.items()))
    return "\n".join(lines)


def _about(report: Report) -> list[str]:
    """The reason (a skipped event), the workload (but Inference Recommender's, whose text
    keeps its shape), the job's network and the mode."""
    job = report.job
    lines = []
    if report.reason:
        lines.append(f"Reason: {report.reason}")
    if job.get("workload"):
        lines.append(f"Workload: {job['workload']}")
    if job.get("vpc") or job.get("subnets"):
        lines.append(
            f"VPC {job.get('vpc') or '?'}; subnets {', '.join(job.get('subnets', [])) or '-'};"
            f" groups {', '.join(job.get('securityGroups', [])) or '-'}"
        )
    lines.append(f"Mode: {report.mode}; event {report.event_id}")
    return lines


def _finding(finding: Finding) -> list[str]:
    """One finding: its line, what to do (wrapped) and the command, if there is one."""
    remediation, muted = finding.remediation, finding.muted
    mark = f"[MUTED until {muted.expires}: {muted.reason}] " if muted else ""
    lines = [f"- {mark}[{finding.severity.value}] {finding.check_id}: {finding.detail}"]
    todo = remediation.reason if remediation else ""
    status = remediation.status.value if remediation else ""
    lines.extend(
        textwrap.wrap(
            f"{status}: {todo}", width=100, initial_indent="    ", subsequent_indent="    "
        )
    )
    if remediation and remediation.command:
        lines.append(f"    $ {remediation.command}")
    partial = finding.partially_muted
    if partial:
        lines.append(
            f"    Not muted: the mute list covers only {', '.join(partial.covers)}"
            f" ({partial.reason})"
        )
    return lines


def _action(action: Action) -> str:
    return f"* {action.status.value} {action.name} on {action.resource}" + (
        f" ({action.reason})" if action.reason else ""
    )


def _expired(lapsed: dict[str, str]) -> str:
    return (
        f"! Mute of {lapsed.get('checkId')} expired {lapsed.get('expires')}"
        f" ({lapsed.get('reason')}): it mutes nothing now"
    )
