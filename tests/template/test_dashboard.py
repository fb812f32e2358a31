"""The stack's CloudWatch dashboard plots what the function really emits, all of it, and
the README's picture of it is the dashboard that ships.

A plotted series is (namespace, metric name, dimensions): CloudWatch shows nothing for a
series no one writes, so a misspelt name or one dimension too many is an empty graph that
looks like good news. The series are compared with the code's metric vocabulary and with
the EMF documents the handler prints on a moto world.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.delivery import metrics
from ir_vpc_guard.findings import CHECK_ERROR, MUTE_LIST_INVALID, Outcome, Severity
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.outcomes import verdict_metrics
from ir_vpc_guard.outcomes.failure_reasons import PATTERNS, UNKNOWN, Pattern, Reason, ReasonClass
from ir_vpc_guard.outcomes.verdict import Ending, Verdict, judge
from ir_vpc_guard.state.records import Prediction
from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from ir_vpc_guard_dev.sandbox import build_world
from scripts import dashboard_body, render_dashboard
from tests.conftest import REGION, ROOT, load_event
from tests.integration.fake_recommender import FakeRecommender
from tests.integration.test_training import training_event
from tests.lambda_context import Inbox, create_table, emf_blobs
from tests.lambda_context import deploy as cold_start
from tests.outcomes.test_handler import ended_training
from tests.template.cfn import Stack, load, transformed
from tests.template.test_moto_deploy import STACK_REGION, deploy

Series = tuple[str, str, tuple[tuple[str, str], ...]]
# Powertools' own cold-start count (dimensions function_name and service): the function's
# Lambda metrics already show its invocations, and cold starts are the benchmark's subject.
NOT_PLOTTED = {"ColdStart"}
SCHEDULE = {
    "id": "5e3b1c1a-2f4d-4b8e-9d6a-7c8b9a0f1e2d",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": ACCOUNT,
    "region": REGION,
    "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/ir-vpc-guard-sweep"],
    "detail": {},
}


def body(stack: Stack) -> dict[str, Any]:
    """The dashboard as these parameters deploy it (its Fn::Sub evaluated)."""
    text = stack.resource("Dashboard")["Properties"]["DashboardBody"]
    assert isinstance(text, str)
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def plotted(dashboard: dict[str, Any]) -> list[Series]:
    """Every series the metric widgets plot."""
    out: list[Series] = []
    for widget in dashboard["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            fields = [f for f in metric if not isinstance(f, dict)]
            assert "..." not in fields, "spell each metric out: the tests read them"
            namespace, name, *dimensions = fields
            pairs = tuple(zip(dimensions[::2], dimensions[1::2], strict=True))
            out.append((namespace, name, pairs))
    return out


def guardrail_env(stack: Stack) -> dict[str, str]:
    env: dict[str, str] = stack.resource("GuardrailFunction")["Properties"]["Environment"][
        "Variables"
    ]
    return env


def test_the_template_holds_the_dashboard_generated_from_the_code() -> None:
    generated = dashboard_body.pretty(dashboard_body.body(load())) + "\n"
    shipped = load()["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert shipped == generated, "run `make docs` to regenerate the dashboard"


def test_every_guardrail_metric_the_code_can_emit_is_plotted_and_nothing_else() -> None:
    stack = Stack(transformed())
    env = guardrail_env(stack)
    series = [
        (name, dims)
        for namespace, name, dims in plotted(body(stack))
        if namespace == env["POWERTOOLS_METRICS_NAMESPACE"]
    ]
    service = (("service", env["POWERTOOLS_SERVICE_NAME"]),)
    by_workload = metrics.JOBS_CHECKED_BY_WORKLOAD
    verdicts = verdict_metrics.VERDICTS
    assert {dims for name, dims in series if name not in {by_workload, verdicts}} == {service}
    # The one series with more dimensions: every registered workload, every checked outcome.
    assert {dims for name, dims in series if name == by_workload} == {
        (*service, ("Workload", workload), ("Outcome", outcome))
        for workload in WORKLOADS
        for outcome in ("PASS", "WARN", "FAIL", "REMEDIATED", "PARTIAL", "ERROR")
    }
    # Verdicts: every verdict, all checks together; per check, the verdicts that say a check
    # was right or wrong, for the checks such a verdict can name (test below).
    assert {dims for name, dims in series if name == verdicts and len(dims) == 2} == {
        (*service, ("Verdict", v.value)) for v in Verdict
    }
    per_check = [dict(dims[1:]) for name, dims in series if name == verdicts and len(dims) == 3]
    assert [(d["CheckId"], d["Verdict"]) for d in per_check] == [
        (check, verdict.value) for check, verdict in dashboard_body.check_verdicts()
    ]
    own = {name for name, _ in series}
    check_ids = [*CATALOGUE, CHECK_ERROR, MUTE_LIST_INVALID]
    fixed = {v for k, v in vars(metrics).items() if k.isupper() and isinstance(v, str)}
    fixed |= {verdict_metrics.VERDICTS, verdict_metrics.STATE_CHANGES}
    assert fixed >= {
        "Reports",
        "RemediationsApplied",
        "JobsStopped",
        "SweepFoundJobs",
        "JobsCheckedByWorkload",
    }
    emitted = (
        fixed
        | {metrics.outcome_metric(o) for o in Outcome}
        | {metrics.finding_metric(c) for c in check_ids}
        | {metrics.severity_metric(s) for s in Severity}
    )
    assert set(own) <= emitted, "plotted but never emitted"
    families = fixed | {metrics.outcome_metric(o) for o in Outcome}
    families |= {metrics.finding_metric(c) for c in check_ids}
    assert families <= set(own), "emitted but not plotted"
    # A finding's severity is its check's, or MEDIUM (undetermined, or the guardrail's own).
    severities = {c.severity for c in CATALOGUE.values()} | {Severity.MEDIUM}
    assert {metrics.severity_metric(s) for s in severities} <= set(own)


def test_the_health_series_are_the_ones_the_alarms_watch() -> None:
    """The DLQ depth and the function's errors: the same series as their alarms; the
    duration of the same function; every widget reads the stack's own region."""
    stack = Stack(transformed(), region="ap-southeast-2")
    dashboard = body(stack)
    series = plotted(dashboard)
    for logical_id in ("DeadLetterQueueAlarm", "FunctionErrorsAlarm"):
        alarm = stack.resource(logical_id)["Properties"]
        dims = tuple((d["Name"], d["Value"]) for d in alarm["Dimensions"])
        assert (alarm["Namespace"], alarm["MetricName"], dims) in series, logical_id
    function = (("FunctionName", stack.ref("GuardrailFunction")),)
    assert ("AWS/Lambda", "Duration", function) in series
    foreign = {ns for ns, _, _ in series} - {
        "AWS/Lambda",
        "AWS/SQS",
        guardrail_env(stack)["POWERTOOLS_METRICS_NAMESPACE"],
    }
    assert foreign == set()
    regions = {w["properties"].get("region") for w in dashboard["widgets"] if w["type"] == "metric"}
    assert regions == {"ap-southeast-2"}


def test_what_the_handler_prints_is_what_the_dashboard_plots(
    aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fix applied (the role's LOW advisory left), the same event replayed, an unrelated
    event skipped, a lost event found by the sweep (which also judges the fixed job, ended),
    a training job in the fixed VPC, then its failure for an S3-path reason (a miss): every
    series in the EMF documents is on the dashboard."""
    stack = Stack(transformed())
    env = guardrail_env(stack)
    world = build_world(aws, REGION, with_endpoint=False)
    app = cold_start(
        monkeypatch,
        TOPIC_ARN=Inbox(aws).topic_arn,
        IDEMPOTENCY_TABLE=create_table(aws),
        REMEDIATION_MODE="apply",
        POWERTOOLS_METRICS_NAMESPACE=env["POWERTOOLS_METRICS_NAMESPACE"],
        POWERTOOLS_SERVICE_NAME=env["POWERTOOLS_SERVICE_NAME"],
    )
    fake = FakeRecommender(app.session)
    event = world.event(load_event("good_job"))
    capsys.readouterr()
    assert app.lambda_handler(event, FakeContext())["outcome"] == "REMEDIATED"
    app.lambda_handler(event, FakeContext())  # the same eventID: a replay
    app.lambda_handler(load_event("unrelated_event"), FakeContext())
    fake.add(world, "lost-event-job")
    fake.add(world, event["detail"]["requestParameters"]["jobName"], status="COMPLETED")
    swept = app.lambda_handler(SCHEDULE, FakeContext())
    assert len(swept["checked"]) == 1
    assert [v["verdict"] for v in swept["outcomes"]["verdicts"].values()] == ["consistent"]
    assert app.lambda_handler(training_event(world), FakeContext())["outcome"] == "PASS"
    failed = ended_training(world, "state_change_training_failed")
    assert app.lambda_handler(failed, FakeContext())["verdict"] == "missed"
    printed: set[Series] = set()
    for blob in emf_blobs(capsys.readouterr().out):
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            (dimensions,) = directive["Dimensions"]
            dims = tuple((d, blob[d]) for d in dimensions)
            for metric in directive["Metrics"]:
                if metric["Name"] not in NOT_PLOTTED:
                    printed.add((directive["Namespace"], metric["Name"], dims))
    names = {name for _, name, _ in printed}
    assert names >= {
        "Outcome_REMEDIATED",
        "Outcome_SKIPPED",
        "Finding_ROLE_ENI_ATTRIBUTE_NOT_ALLOWED",
        "Severity_LOW",
        "RemediationsApplied",
        "EventReplays",
        "SweepFoundJobs",
        "JobsCheckedByWorkload",
        "Verdicts",
        "StateChanges",
    }, "each step printed its metrics"
    verdicts = {
        dict(d).get("CheckId", dict(d)["Verdict"]) for _, n, d in printed if n == "Verdicts"
    }
    assert verdicts >= {"consistent", "missed", "S3_ENDPOINT_ROUTE_MISSING"}
    by_workload = {d for _, n, d in printed if n == "JobsCheckedByWorkload"}
    assert {dict(d)["Workload"] for d in by_workload} == {"inference-recommender", "training"}
    assert printed <= set(plotted(body(stack)))


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")  # moto's, as test_moto_deploy
def test_the_deployed_body_is_json_naming_the_stacks_queue_and_function(aws: Any) -> None:
    """moto's CloudFormation evaluates the Fn::Sub and stores the body CloudWatch gets."""
    created, _ = deploy(aws, {})
    cloudwatch = aws.client("cloudwatch", region_name=STACK_REGION)
    name = created["Dashboard"]["PhysicalResourceId"]
    dashboard = json.loads(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    series = plotted(dashboard)
    function = created["GuardrailFunction"]["PhysicalResourceId"]
    queue_url = created["DeadLetterQueue"]["PhysicalResourceId"]
    assert ("AWS/Lambda", "Errors", (("FunctionName", function),)) in series
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible",
            (("QueueName", queue_url.rsplit("/", 1)[-1]),)) in series  # fmt: skip
    assert f"IR VPC Guard in {STACK_REGION}" in dashboard["widgets"][0]["properties"]["markdown"]


def test_enable_dashboard_false_creates_none() -> None:
    on, off = Stack(transformed()), Stack(transformed(), {"EnableDashboard": "false"})
    assert on.exists("Dashboard") and not off.exists("Dashboard")
    output = transformed()["Outputs"]["DashboardName"]
    assert output["Condition"] == load()["Resources"]["Dashboard"]["Condition"]
    assert on.value(output["Value"]) == on.ref("Dashboard")


def test_each_region_of_a_stack_set_gets_its_own_dashboard() -> None:
    """Dashboard names are global to the account: a StackSet's stacks share a stack name."""
    names = {
        Stack(transformed(), region=region).resource("Dashboard")["Properties"]["DashboardName"]
        for region in ("us-east-1", "eu-west-1")
    }
    assert names == {"ir-vpc-guard-us-east-1", "ir-vpc-guard-eu-west-1"}


def test_widgets_fit_the_grid_without_overlapping() -> None:
    assert_fits_the_grid(body(Stack(transformed()))["widgets"])


def assert_fits_the_grid(widgets: list[dict[str, Any]]) -> None:
    cells: dict[tuple[int, int], str] = {}
    for widget in widgets:
        title = widget["properties"].get("title", widget["type"])
        assert widget["x"] + widget["width"] <= 24, title
        assert 1 <= len(widget["properties"].get("metrics", [None])) <= 100, title  # API limit
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, f"{title} overlaps {cells[(x, y)]}"
                cells[(x, y)] = title


def test_the_readme_picture_is_a_fresh_render_of_the_template() -> None:
    name, dashboard = render_dashboard.deployed()
    fresh = render_dashboard.render(dashboard, name)
    assert render_dashboard.PICTURE.read_text() == fresh, "run `make docs` to redraw it"
    for widget in dashboard["widgets"]:
        if widget["type"] == "metric":
            assert f">{widget['properties']['title']}<" in fresh
            for metric in widget["properties"]["metrics"]:
                assert f">{metric[-1]['label']}<" in fresh
    assert "](docs/dashboard.svg)" in (ROOT / "README.md").read_text()


def test_a_widget_too_small_for_its_metrics_is_refused() -> None:
    """The picture would hide labels, and CloudWatch would squeeze them the same way."""
    _, dashboard = render_dashboard.deployed()
    charts = [w for w in dashboard["widgets"] if w["properties"].get("view") == "bar"]
    assert len(charts) == 3  # findings by check, jobs by workload, verdicts by check
    render_dashboard.render(dashboard, "fits")
    for bars in charts:
        height, bars["height"] = bars["height"], 4
        with pytest.raises(render_dashboard.LayoutError, match="do not fit"):
            render_dashboard.render(dashboard, "squeezed")
        bars["height"] = height


def test_the_workload_chart_grows_with_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thirteen workloads (the issue's list): every bar is drawn and labelled, nothing
    overlaps, without a hand on the dashboard."""
    names = [f"workload-{n}" for n in range(13)]
    monkeypatch.setattr(dashboard_body, "WORKLOADS", dict.fromkeys(names))
    dashboard = dashboard_body.body()
    [chart] = [
        w
        for w in dashboard["widgets"]
        if w["properties"].get("title", "").startswith("Jobs checked by")
    ]
    assert len(chart["properties"]["metrics"]) == 13 * 6
    picture = render_dashboard.render(dashboard, "thirteen")
    assert ">workload-12 ERROR<" in picture
    assert_fits_the_grid(dashboard["widgets"])


def test_the_checks_plotted_by_verdict_are_the_ones_a_verdict_can_name() -> None:
    """Judged by outcomes/verdict.py itself: a false alarm on each check that can be certain,
    a miss for each network FailureReason, a confirmation where a certain check is one the
    message points to. None left out, none that never comes."""
    certain = [c for c in CATALOGUE.values() if c.severity in (Severity.HIGH, Severity.CRITICAL)]
    network = [classify_pattern(p) for p in PATTERNS if p.kind is ReasonClass.NETWORK]
    judged = [
        *(judge(Prediction("FAIL", (c.check_id,), False), Ending.COMPLETED, UNKNOWN)
          for c in certain),
        *(judge(Prediction("PASS", (), False), Ending.FAILED, r) for r in network),
        *(judge(Prediction("FAIL", (c.check_id,), False), Ending.FAILED, r)
          for c in certain for r in network),
    ]  # fmt: skip
    wanted = {Verdict.CONFIRMED, Verdict.MISSED, Verdict.FALSE_ALARM}
    named = {(c, j.verdict) for j in judged if j.verdict in wanted for c in j.checks}
    assert set(dashboard_body.check_verdicts()) == named
    assert ("S3_ENDPOINT_ROUTE_MISSING", Verdict.CONFIRMED) in named  # the demo's


def classify_pattern(pattern: Pattern) -> Reason:
    return Reason(pattern.kind, pattern.checks, pattern.name, pattern.source)
