"""Plain-text views of a report, for people: the CLI summary and the e-mail body."""

from __future__ import annotations

import textwrap
from typing import Any


def headline(report: dict[str, Any]) -> str:
    job = report.get("job", {})
    name = job.get("name") or "unknown job"
    return f"{report['outcome']}: {name} in {report['account']}/{report['region']}"


def text(report: dict[str, Any]) -> str:
    """A summary a person understands without opening JSON: one line per finding."""
    lines = [headline(report), *_about(report)]
    findings = report.get("findings", [])
    if findings:
        lines += ["", f"{len(findings)} finding(s):"]
    for finding in findings:
        lines += _finding(finding)
    lines += [_action(action) for action in report.get("actions", [])]
    lines += [_expired(lapsed) for lapsed in report.get("expiredMutes", [])]
    not_evaluated = report.get("summary", {}).get("checks", {}).get("notEvaluated", {})
    if not_evaluated:
        lines.append("")
        lines.append("Not evaluated: " + "; ".join(f"{k} ({v})" for k, v in not_evaluated.items()))
    return "\n".join(lines)


def _about(report: dict[str, Any]) -> list[str]:
    """The reason (a skipped event), the job's network and the mode."""
    job = report.get("job", {})
    lines = []
    if report.get("reason"):
        lines.append(f"Reason: {report['reason']}")
    if job.get("vpc") or job.get("subnets"):
        lines.append(
            f"VPC {job.get('vpc') or '?'}; subnets {', '.join(job.get('subnets', [])) or '-'};"
            f" groups {', '.join(job.get('securityGroups', [])) or '-'}"
        )
    lines.append(f"Mode: {report['mode']}; event {report['eventId']}")
    return lines


def _finding(finding: dict[str, Any]) -> list[str]:
    """One finding: its line, what to do (wrapped) and the command, if there is one."""
    remediation = finding.get("remediation", {})
    muted = finding.get("muted")
    mark = f"[MUTED until {muted.get('expires')}: {muted.get('reason')}] " if muted else ""
    lines = [f"- {mark}[{finding['severity']}] {finding['checkId']}: {finding['detail']}"]
    todo = remediation.get("reason", "")
    status = remediation.get("status", "")
    lines.extend(
        textwrap.wrap(
            f"{status}: {todo}", width=100, initial_indent="    ", subsequent_indent="    "
        )
    )
    if remediation.get("command"):
        lines.append(f"    $ {remediation['command']}")
    partial = finding.get("partiallyMuted")
    if partial:
        lines.append(
            f"    Not muted: the mute list covers only {', '.join(partial.get('covers', []))}"
            f" ({partial.get('reason')})"
        )
    return lines


def _action(action: dict[str, Any]) -> str:
    return f"* {action['status']} {action['action']} on {action['resource']}" + (
        f" ({action['reason']})" if action.get("reason") else ""
    )


def _expired(lapsed: dict[str, Any]) -> str:
    return (
        f"! Mute of {lapsed.get('checkId')} expired {lapsed.get('expires')}"
        f" ({lapsed.get('reason')}): it mutes nothing now"
    )
