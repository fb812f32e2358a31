"""The stack's CloudWatch dashboard, built from the metric names the code emits and the check
catalogue, and written into template.yaml by `make docs`: a new check or metric is plotted
without anyone drawing it by hand (tests/template/test_dashboard.py fails when it is stale).

The body is a Fn::Sub string: the region, the function's name and the dead-letter queue's
name are the stack's own. The namespace and the `service` dimension are the function's
Powertools settings in the same template; nothing else is a dimension of the guardrail's
metrics (delivery/metrics.py) but JobsCheckedByWorkload's `Workload` and `Outcome`, plotted
for every registered workload and checked outcome, and the verdicts' (outcomes/
verdict_metrics.py) `Verdict`, plotted for every verdict, and `Verdict` with `CheckId` for
the checks a confirmed, missed or false-alarm verdict can name (check_verdicts), so every
line here is one series CloudWatch holds.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from cfnlint.decode import decode  # type: ignore[import-untyped]

from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.delivery import metrics as names
from ir_vpc_guard.delivery.report import CERTAIN_FAIL
from ir_vpc_guard.findings import CHECK_ERROR, MUTE_LIST_INVALID, Severity
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.outcomes import verdict_metrics
from ir_vpc_guard.outcomes.failure_reasons import PATTERNS, ReasonClass
from ir_vpc_guard.outcomes.verdict import Verdict

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
RESOURCE = "Dashboard"
FUNCTION = "GuardrailFunction"
QUEUE = "DeadLetterQueue"
START, END = "      # dashboard-body:start\n", "      # dashboard-body:end\n"
PERIOD = 3600  # jobs are few: hourly counts over the week the dashboard opens on
WIDTH = 92  # a JSON line fits in 100 columns once indented in the template
# CloudWatch's own palette for the outcomes an operator reads at a glance.
OUTCOME_COLOURS = {
    "PASS": "#2ca02c",
    "WARN": "#ff7f0e",
    "FAIL": "#d62728",
    "REMEDIATED": "#1f77b4",
    "PARTIAL": "#9467bd",
    "SKIPPED": "#7f7f7f",
    "ERROR": "#8c564b",
}
# The verdicts that say whether the guardrail was right, and how each is drawn.
RIGHT_OR_WRONG = {
    Verdict.CONFIRMED: ("confirmed: HIGH, failed for it", "#2ca02c"),
    Verdict.MISSED: ("missed: no HIGH, network failure", "#ff7f0e"),
    Verdict.FALSE_ALARM: ("false alarm: HIGH, yet completed", "#d62728"),
}
OTHER_VERDICTS = {
    Verdict.CONSISTENT: "consistent: no HIGH, no network failure",
    Verdict.INCONCLUSIVE: "inconclusive (reason unknown or other)",
    Verdict.STOPPED: "stopped: no outcome to compare",
    Verdict.NOT_CHECKED: "not checked: its event was missed",
}
VERDICTS_TEXT = (
    "## Was the guardrail right?\n"
    "Each checked job's end against its report. Precision = confirmed / (confirmed + false "
    "alarms); recall = confirmed / (confirmed + missed). Inference Recommender's verdicts come "
    "with the catch-up schedule. Empty with ConfirmOutcomes=false."
)
INTRO = (
    "## IR VPC Guard in ${AWS::Region}\n"
    "Every SageMaker job created in a VPC by a covered workload (docs/workloads.md), checked. "
    "Act on any message "
    "in the dead-letter queue, function error or failed fix (docs/operations.md says how); "
    "findings are by the check IDs of the README's catalogue."
)


def template() -> dict[str, Any]:
    data, matches = decode(str(TEMPLATE))
    if matches or data is None:
        raise ValueError(f"{TEMPLATE} does not parse: {matches}")
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    return loaded


def check_ids() -> list[str]:
    """Every check ID a finding can carry, in the README catalogue's order."""
    checks = sorted(CATALOGUE.values(), key=lambda c: c.requirement)
    return [c.check_id for c in checks] + [CHECK_ERROR, MUTE_LIST_INVALID]


def finding_severities() -> list[Severity]:
    """The severities findings carry: their checks', and MEDIUM for an undetermined answer
    or the guardrail's own finding (CHECK_ERROR, MUTE_LIST_INVALID); most severe first."""
    found = {c.severity for c in CATALOGUE.values()} | {Severity.MEDIUM}
    return sorted(found, key=lambda s: s.rank, reverse=True)


def check_verdicts() -> list[tuple[str, Verdict]]:
    """The (check, verdict) pairs a job's verdict can count (outcomes/verdict.py), in the
    catalogue's order: a false alarm names the certain checks (a check whose findings can be
    HIGH), a miss the checks a network FailureReason points to (failure_reasons.PATTERNS),
    a confirmation a check that is both."""
    certain = {c.check_id for c in CATALOGUE.values() if c.severity in CERTAIN_FAIL}
    pointed = {c for p in PATTERNS if p.kind is ReasonClass.NETWORK for c in p.checks}
    possible = {
        Verdict.CONFIRMED: certain & pointed,
        Verdict.MISSED: pointed,
        Verdict.FALSE_ALARM: certain,
    }
    return [(c, v) for c in check_ids() for v in RIGHT_OR_WRONG if c in possible[v]]


def check_bars(guard: _Guard, top: int) -> dict[str, Any]:
    """Confirmed, missed and false-alarm verdicts per check: where a check is wrong."""
    bars = [
        guard.by_verdict(
            verdict, f"{check} {verdict.value}", check, color=RIGHT_OR_WRONG[verdict][1]
        )
        for check, verdict in check_verdicts()
    ]
    return _graph("Verdicts by check (total over the time range)",
                  (12, top, 12, bar_height(len(bars))), view="bar", setPeriodToTimeRange=True,
                  metrics=bars)  # fmt: skip


def bar_height(bars: int) -> int:
    """Grid rows for a bar chart: its title, then two bars per row, so the checks and
    workloads added later fit without a hand."""
    return 2 + math.ceil(bars / 2)


def workload_bars(guard: _Guard, top: int) -> dict[str, Any]:
    """Jobs checked per registered workload and outcome, one bar each, under the rest: two
    bars per grid row below its title, so a workload added later fits without a hand."""
    bars = [
        guard.by_workload(workload, outcome, color=OUTCOME_COLOURS[outcome])
        for workload in WORKLOADS
        for outcome in names.CHECKED_OUTCOMES
    ]
    return _graph("Jobs checked by workload (total over the time range)",
                  (0, top, 12, bar_height(len(bars))), view="bar", setPeriodToTimeRange=True,
                  metrics=bars)  # fmt: skip


def body(source: dict[str, Any] | None = None) -> dict[str, Any]:
    """The dashboard: health of the guardrail's work above, of the function below."""
    function = (source or template())["Resources"][FUNCTION]["Properties"]
    env = function["Environment"]["Variables"]
    guard = _Guard(env["POWERTOOLS_METRICS_NAMESPACE"], env["POWERTOOLS_SERVICE_NAME"])
    function_name = ("FunctionName", f"${{{FUNCTION}}}")
    queue_name = ("QueueName", f"${{{QUEUE}.QueueName}}")
    checks = check_ids()
    checks_height = bar_height(len(checks))
    below = 14 + checks_height  # the function's row, under the findings by check
    widgets = [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
         "properties": {"markdown": INTRO}},
        _graph("Jobs checked, by outcome", (0, 2, 8, 6), stacked=True, metrics=[
            guard.metric(names.outcome_metric(o), o, color=OUTCOME_COLOURS[o])
            for o in names.OUTCOMES
        ]),
        _graph("Fixes applied and failed, jobs stopped", (8, 2, 8, 6), metrics=[
            guard.metric(names.REMEDIATIONS_APPLIED, "fixes applied", color="#2ca02c"),
            guard.metric(names.REMEDIATIONS_FAILED, "fixes failed", color="#d62728"),
            guard.metric(names.JOBS_STOPPED, "jobs stopped", color="#ff7f0e"),
        ]),
        _graph("Jobs only the sweep found", (16, 2, 8, 6), metrics=[
            guard.metric(names.SWEEP_FOUND_JOBS, "jobs no event announced"),
        ]),
        _graph("Verdicts: confirmed, missed, false alarms", (0, 8, 9, 6),
               metrics=[guard.by_verdict(v, label, color=colour)
                        for v, (label, colour) in RIGHT_OR_WRONG.items()]),
        _graph("Other ended jobs", (9, 8, 9, 6), metrics=[
            *(guard.by_verdict(v, label) for v, label in OTHER_VERDICTS.items()),
            guard.metric(verdict_metrics.STATE_CHANGES, "state changes received"),
        ]),
        {"type": "text", "x": 18, "y": 8, "width": 6, "height": 6,
         "properties": {"markdown": VERDICTS_TEXT}},
        _graph("Findings by check (total over the time range)", (0, 14, 12, checks_height),
               view="bar", setPeriodToTimeRange=True,
               metrics=[guard.metric(names.finding_metric(c), c) for c in checks]),
        _graph("Findings by severity (muted ones apart)", (12, 14, 12, 6), metrics=[
            *(guard.metric(names.severity_metric(s), s.value) for s in finding_severities()),
            guard.metric(names.FINDINGS, "all findings (not muted)"),
            guard.metric(names.MUTED_FINDINGS, "muted findings"),
        ]),
        _graph("Reports made and delivered", (12, 20, 12, below - 20), metrics=[
            guard.metric(names.REPORTS, "reports"),
            guard.metric(names.PUBLISHED, "published to SNS"),
            guard.metric(names.REPLAYS, "event replays (not published again)"),
            guard.metric(names.SECURITY_HUB_FAILURES, "Security Hub export failures"),
        ]),
        _graph("Dead-letter queue: messages waiting", (0, below, 8, 6), stat="Maximum", metrics=[
            _series("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue_name, label="messages"),
        ]),
        _graph("Function errors", (8, below, 8, 6), metrics=[
            _series("AWS/Lambda", "Errors", function_name, label="errors", color="#d62728"),
        ]),
        _graph("Function duration", (16, below, 8, 6), stat="Average",
               annotations={"horizontal": [
                   {"label": f"timeout ({function['Timeout']} s)",
                    "value": int(function["Timeout"]) * 1000}
               ]},
               metrics=[
                   _series("AWS/Lambda", "Duration", function_name, label="average (ms)"),
                   _series("AWS/Lambda", "Duration", function_name, label="maximum (ms)",
                           stat="Maximum"),
               ]),
        workload_bars(guard, below + 6),
        check_bars(guard, below + 6),
    ]  # fmt: skip
    # "inherit": each widget keeps its period, the one its picture states.
    return {"start": "-P7D", "periodOverride": "inherit", "widgets": widgets}


class _Guard:
    """A metric of the function's own: its namespace, its one `service` dimension."""

    def __init__(self, namespace: str, service: str) -> None:
        self.namespace, self.service = namespace, service

    def metric(self, name: str, label: str, **rendering: str) -> list[Any]:
        return _series(self.namespace, name, ("service", self.service), label=label, **rendering)

    def by_verdict(
        self, verdict: Verdict, label: str, check: str | None = None, **rendering: str
    ) -> list[Any]:
        """Verdicts of one verdict (outcomes/verdict_metrics.py): all checks together, or
        those about `check`."""
        dimensions: tuple[str, ...] = ("service", self.service, "Verdict", verdict.value)
        if check is not None:
            dimensions += ("CheckId", check)
        return _series(
            self.namespace, verdict_metrics.VERDICTS, dimensions, label=label, **rendering
        )

    def by_workload(self, workload: str, outcome: str, **rendering: str) -> list[Any]:
        """JobsCheckedByWorkload of one workload and outcome (delivery/metrics.py)."""
        pairs = zip(names.WORKLOAD_DIMENSIONS, (workload, outcome), strict=True)
        dimensions = ("service", self.service, *(part for pair in pairs for part in pair))
        return _series(
            self.namespace,
            names.JOBS_CHECKED_BY_WORKLOAD,
            dimensions,
            label=f"{workload} {outcome}",
            **rendering,
        )


def _series(namespace: str, name: str, dimensions: tuple[str, ...], **rendering: str) -> list[Any]:
    """One metric of a widget: namespace, name, its dimensions (name, value, ...), how it is
    drawn."""
    return [namespace, name, *dimensions, rendering]


def _graph(
    title: str, box: tuple[int, int, int, int], *, metrics: list[list[Any]], **properties: Any
) -> dict[str, Any]:
    x, y, width, height = box
    return {
        "type": "metric", "x": x, "y": y, "width": width, "height": height,
        "properties": {
            "title": title, "region": "${AWS::Region}", "view": "timeSeries", "stacked": False,
            "stat": "Sum", "period": PERIOD, **properties, "metrics": metrics,
        },
    }  # fmt: skip


def pretty(value: Any, indent: int = 0) -> str:
    """JSON that reads as a table: a metric (a list of scalars and flat options) on one line,
    an object's scalar members packed onto lines, its nested members one per line."""
    if not isinstance(value, dict | list) or _row(value) or not value:
        return json.dumps(value, ensure_ascii=False)
    pad = " " * (indent + 2)
    if isinstance(value, list):
        lines = [pretty(item, indent + 2) for item in value]
    else:
        scalars = [_member(k, v) for k, v in value.items() if not isinstance(v, dict | list)]
        lines = _packed(scalars, WIDTH - len(pad)) + [
            f"{json.dumps(k)}: {pretty(v, indent + 2)}"
            for k, v in value.items()
            if isinstance(v, dict | list)
        ]
    opening, closing = ("[", "]") if isinstance(value, list) else ("{", "}")
    return f"{opening}\n{pad}" + f",\n{pad}".join(lines) + f"\n{' ' * indent}{closing}"


def _row(value: Any) -> bool:
    """A list of scalars and objects of scalars, or an object of scalars: one line."""
    items = value if isinstance(value, list) else [value]
    flat = (v for item in items for v in (item.values() if isinstance(item, dict) else [item]))
    return not isinstance(value, dict) and all(not isinstance(v, dict | list) for v in flat)


def _member(key: str, value: Any) -> str:
    return f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"


def _packed(members: list[str], width: int) -> list[str]:
    lines: list[str] = []
    for member in members:
        if lines and len(lines[-1]) + 2 + len(member) <= width:
            lines[-1] += ", " + member
        else:
            lines.append(member)
    return lines


def template_block(dashboard: dict[str, Any]) -> str:
    """The DashboardBody property as it stands in template.yaml, between the markers."""
    lines = pretty(dashboard).splitlines()
    return "      DashboardBody: !Sub |\n" + "".join(f"        {line}\n" for line in lines)


def main() -> None:
    text = TEMPLATE.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"{TEMPLATE} has no dashboard-body markers")
    block = START + template_block(body()) + END
    TEMPLATE.write_text(pattern.sub(lambda _: block, text))


if __name__ == "__main__":
    main()
