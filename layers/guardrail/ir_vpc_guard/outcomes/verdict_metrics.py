"""The verdicts' metrics, apart from the reports' (delivery/metrics.py): a count named
`Verdicts` per job with a `Verdict` dimension (the dashboard's line: confirmed, missed and
false alarms over time, the product's precision and recall in the field), and one per check
the verdict is about with `Verdict` and `CheckId`; and `StateChanges`, the events received.

Each is a single metric (its own EMF line): dimensions added to the function's shared
Metrics object would apply to every report metric of the invocation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from ir_vpc_guard.outcomes.verdict import Judgement, Verdict

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

VERDICTS = "Verdicts"
# Every state-change event received, compared or not: a count in the invocation's own
# metrics (like the reports'), so no invocation flushes an empty set.
STATE_CHANGES = "StateChanges"


def received(metrics: Metrics) -> None:
    metrics.add_metric(name=STATE_CHANGES, unit=MetricUnit.Count, value=1)


# The verdicts counted per check too: a check's precision and recall (the dashboard's bars);
# the others' checks are in their log line, not a metric series each (each one is billed).
BY_CHECK = frozenset({Verdict.CONFIRMED, Verdict.MISSED, Verdict.FALSE_ALARM})


def count(metrics: Metrics, judgement: Judgement) -> None:
    """One per job by verdict, then, for a confirmed, missed or false-alarm verdict, one per
    check it concerns by verdict and check."""
    checks = judgement.checks if judgement.verdict in BY_CHECK else ()
    dimension_sets = [{"Verdict": judgement.verdict.value}] + [
        {"Verdict": judgement.verdict.value, "CheckId": check} for check in checks
    ]
    for dimensions in dimension_sets:
        with single_metric(
            name=VERDICTS,
            unit=MetricUnit.Count,
            value=1,
            namespace=metrics.namespace,
            default_dimensions={"service": str(metrics.service), **metrics.default_dimensions},
        ) as metric:
            for name, value in dimensions.items():
                metric.add_dimension(name=name, value=value)
