"""Table 3: cold start, the import time of the Lambda handler in a fresh interpreter as a
ratio to a bare `import boto3` measured in the same run, and what the handler imports.

Each timing is a new subprocess (bytecode caches warm: one unmeasured warm-up run each);
the kinds of run alternate, round after round, and the median of `RUNS` is reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import FAKE_ENV, UNSAFE_ENV
from benchmarks.tables import Table, met

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "functions" / "guardrail" / "app.py"
FALLBACK_MODULE = "ir_vpc_guard.pipeline"
RUNS = 5
TARGET_RATIO = 1.3
TOP = 10
# Must never be imported by the function: dev, CLI or test dependencies.
FORBIDDEN = ("moto", "rich", "typer", "pydantic", "jsonschema", "hypothesis")
# Heavy, and not needed on the hot path as measured (tracing disabled): flagged when present.
SUSPECTS = {
    "aws_xray_sdk.core": "the X-Ray SDK, imported although tracing is disabled "
    "(Powertools' Tracer imports it whatever POWERTOOLS_TRACE_DISABLED says)",
    "aws_lambda_powertools.utilities.data_classes": "every Powertools event class "
    "(the package's __init__ imports them all; the handler uses EventBridgeEvent)",
}
TIMED = "import time\nstarted = time.perf_counter()\n{code}\nprint(time.perf_counter() - started)"
# As deployed (template: Tracing: Active): in Lambda, with tracing left on.
TRACING_ON = {"POWERTOOLS_TRACE_DISABLED": None, "LAMBDA_TASK_ROOT": "/var/task"}


@dataclass(frozen=True)
class Variant:
    """One kind of run: what it imports, how, and the environment changes it needs."""

    label: str
    code: str
    env: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportLine:
    """One line of `python -X importtime`: self and cumulative microseconds, nesting level."""

    module: str
    self_us: int
    cumulative_us: int
    level: int


def handler_import() -> tuple[str, str]:
    """(what is measured, the code that imports it)."""
    if HANDLER.exists():
        code = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('app', {str(HANDLER)!r})\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "sys.modules['app'] = module\n"
            "spec.loader.exec_module(module)"
        )
        return "functions/guardrail/app.py", code
    return f"{FALLBACK_MODULE} (no handler module yet)", f"import {FALLBACK_MODULE}"


def variants() -> tuple[Variant, Variant, Variant]:
    """(the handler as measured for the target, the same as deployed, bare boto3)."""
    label, code = handler_import()
    return (
        Variant(f"{label}, tracing disabled", code),
        Variant(f"{label}, tracing on (as deployed)", code, TRACING_ON),
        Variant("import boto3", "import boto3"),
    )


def child_env(changes: dict[str, str | None] | None = None) -> dict[str, str]:
    """The function's environment at its simplest: no table, no topic, tracing off."""
    env = {k: v for k, v in os.environ.items() if k not in UNSAFE_ENV}
    env.update(FAKE_ENV)
    env["PYTHONPATH"] = str(ROOT)
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def python(variant: Variant, code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        env=child_env(variant.env),
        cwd=ROOT,
        check=True,
    )


def timed_import(variant: Variant) -> float:
    done = python(variant, TIMED.format(code=variant.code))
    return float(done.stdout.strip().splitlines()[-1])


def import_lines(variant: Variant) -> list[ImportLine]:
    """Parse `-X importtime` (stderr): "import time: self | cumulative | <indent>name"."""
    lines = []
    for raw in python(variant, variant.code, "-X", "importtime").stderr.splitlines():
        if not raw.startswith("import time:") or "self [us]" in raw:
            continue
        self_us, cumulative_us, name = raw.removeprefix("import time:").split("|", 2)
        indent = len(name) - len(name.lstrip()) - 1
        lines.append(ImportLine(name.strip(), int(self_us), int(cumulative_us), indent // 2))
    return lines


def medians(kinds: tuple[Variant, ...], runs: int = RUNS) -> list[float]:
    """Median import seconds of each variant, alternating, after one warm-up each."""
    for variant in kinds:
        timed_import(variant)
    times: list[list[float]] = [[] for _ in kinds]
    for _ in range(runs):
        for variant, spent in zip(kinds, times, strict=True):
            spent.append(timed_import(variant))
    return [statistics.median(spent) for spent in times]


def forbidden(lines: list[ImportLine]) -> list[str]:
    return sorted({i.module for i in lines if i.module.split(".")[0] in FORBIDDEN})


def by_package(lines: list[ImportLine]) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for line in lines:
        package = line.module.split(".")[0]
        totals[package] = totals.get(package, 0) + line.self_us
    return sorted(totals.items(), key=lambda item: -item[1])


def suspects(lines: list[ImportLine]) -> list[str]:
    """The SUSPECTS present, each with the largest cumulative time it was imported with."""
    found = []
    for module, why in SUSPECTS.items():
        times = [i.cumulative_us for i in lines if i.module == module]
        if times:
            found.append(f"`{module}` ({max(times) / 1000:.0f} ms): {why}")
    return found


def cold_start_table() -> Table:
    kinds = variants()
    handler, deployed, boto3 = medians(kinds)
    lines = import_lines(kinds[0])
    direct = sorted((i for i in lines if i.level == 0), key=lambda i: -i.cumulative_us)
    bad, ratio = forbidden(lines), handler / boto3
    table = Table(
        "3. Cold start: importing the handler vs a bare `import boto3`",
        ["Import", "median (ms)", "ratio to boto3", "target", "verdict"],
    )
    verdict = met(ratio <= TARGET_RATIO)
    table.add(
        kinds[0].label, f"{handler * 1000:.0f}", f"{ratio:.2f}x", f"<= {TARGET_RATIO}x", verdict
    )
    table.add(kinds[1].label, f"{deployed * 1000:.0f}", f"{deployed / boto3:.2f}x", "(info)", "")
    table.add(kinds[2].label, f"{boto3 * 1000:.0f}", "1.00x", "", "")
    table.verdict = f"{met(ratio <= TARGET_RATIO and not bad)}: {ratio:.2f}x boto3; " + (
        f"FORBIDDEN modules imported: {', '.join(bad)}"
        if bad
        else f"none of {', '.join(FORBIDDEN)} imported"
    )
    table.notes += [
        f"Median of {RUNS} fresh interpreters each (after one warm-up), timed with "
        "perf_counter around the import inside the child; interpreter start-up excluded. "
        "Environment: POWERTOOLS_TRACE_DISABLED=true, AWS_DEFAULT_REGION=us-east-1, no "
        "IDEMPOTENCY_TABLE or TOPIC_ARN; the as-deployed row unsets "
        "POWERTOOLS_TRACE_DISABLED and sets LAMBDA_TASK_ROOT, so Powertools' Tracer is on.",
        f"The {TOP} heaviest imports the handler makes (cumulative, one `-X importtime` run, "
        "tracing disabled): "
        + ", ".join(f"`{i.module}` {i.cumulative_us / 1000:.0f} ms" for i in direct[:TOP])
        + ".",
        f"By package (self time summed over {len(lines)} modules): "
        + ", ".join(f"`{p}` {us / 1000:.0f} ms" for p, us in by_package(lines)[:TOP])
        + ".",
    ]
    table.notes += [f"Heavy, not needed on the hot path: {s}." for s in suspects(lines)]
    return table
