"""Table 3: cold start as Lambda runs it, the import time of the handler in a fresh
interpreter as a ratio to a bare `import boto3` measured in the same run.

Lambda's conditions, reproduced: the layer as built (the engine and exactly the locked
requirements of layers/guardrail/requirements.txt, byte-compiled into a temporary copy,
first on the path as /opt/python is), the function's code in its own directory, the
environment the template gives the function (tracing off by default, on with
EnableTracing=true), LAMBDA_TASK_ROOT and AWS_LAMBDA_FUNCTION_NAME set, and no bytecode
written at run time (/opt and /var/task are read-only). boto3 comes from the environment,
as from the runtime. Each timing is a fresh process; kinds alternate, round after round;
the median of RUNS is reported.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from benchmarks.harness import FAKE_ENV, UNSAFE_ENV
from benchmarks.tables import Table, met
from tests.template.cfn import function_environment

ROOT = Path(__file__).resolve().parents[1]
HANDLER_DIR = ROOT / "functions" / "guardrail"
ENGINE = ROOT / "layers" / "guardrail" / "ir_vpc_guard"
REQUIREMENTS = ROOT / "layers" / "guardrail" / "requirements.txt"
RUNS = 9
APP_BUILDER = "ir_vpc_guard.application"  # the handler's one import of the engine
# The handler over boto3 with the same two clients: what the engine and Powertools add.
NET_TARGET = 1.2
TOP = 10
# Must never be imported by the function: dev, CLI or test dependencies.
FORBIDDEN = ("moto", "rich", "typer", "pydantic", "jsonschema", "hypothesis")
# Heavy, and not needed with tracing off: flagged when present.
SUSPECTS = {
    "aws_xray_sdk.core": "the X-Ray SDK, imported although tracing is off",
    "aws_lambda_powertools.utilities.data_classes": "every Powertools event class "
    "(the package's __init__ imports them all)",
}
TIMED = (
    "import time\nstarted = time.perf_counter()\n"
    "import {module}\n"
    "print(time.perf_counter() - started)"
)
HANDLER, BARE = TIMED.format(module="app"), TIMED.format(module="boto3")
# The floor of any function that makes its clients at init, as AWS recommends: boto3, then
# the same two clients the handler makes (the first one loads botocore's endpoint data and
# lists every service model on disk, whatever the service).
BARE_WITH_CLIENTS = (
    "import time\nstarted = time.perf_counter()\n"
    "import boto3\nsession = boto3.session.Session()\n"
    "session.client('dynamodb')\nsession.client('sns')\n"
    "print(time.perf_counter() - started)"
)
# The handler's import with every dataclass creation timed (each one compiles its methods).
DATACLASSES = (
    "import dataclasses, time\nmade = []\nprocess = dataclasses._process_class\n"
    "def timed(cls, *args, **kwargs):\n    started = time.perf_counter()\n"
    "    try:\n        return process(cls, *args, **kwargs)\n"
    "    finally:\n        made.append((cls.__module__, time.perf_counter() - started))\n"
    "dataclasses._process_class = timed\nimport boto3\nmade.clear()\nimport app\n"
    "print(len(made), sum(s for _, s in made))"
)
CLIENTS_LABEL = "import boto3, then a DynamoDB and an SNS client (no engine, no Powertools)"


@dataclass(frozen=True)
class Variant:
    """One kind of run: what it imports, its target ratio, the environment it runs in."""

    label: str
    code: str
    target: float | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportLine:
    """One line of `python -X importtime`: self and cumulative microseconds, nesting level."""

    module: str
    self_us: int
    cumulative_us: int
    level: int


def locked_distributions() -> list[str]:
    return re.findall(r"^([A-Za-z0-9_.-]+)==", REQUIREMENTS.read_text(), re.M)


def build_layer(into: Path) -> Path:
    """A copy of what the built layer's python/ holds, from this environment, compiled."""
    python = into / "python"
    python.mkdir(parents=True)
    for name in locked_distributions():
        dist = metadata.distribution(name)
        for file in dist.files or []:
            if "__pycache__" in file.parts or file.parts[0].startswith(".."):
                continue
            source = Path(str(dist.locate_file(file)))
            target = python / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    shutil.copytree(ENGINE, python / "ir_vpc_guard", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(
        python,
        quiet=1,
        workers=1,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    return python


@contextmanager
def lambda_like() -> Iterator[tuple[Path, Path]]:
    """(the function's code directory, the layer's python directory), both temporary."""
    with tempfile.TemporaryDirectory(prefix="ir-vpc-guard-coldstart-") as scratch:
        task = Path(scratch) / "task"
        shutil.copytree(HANDLER_DIR, task, ignore=shutil.ignore_patterns("__pycache__"))
        yield task, build_layer(Path(scratch) / "opt")


def child_env(task: Path, layer: Path, tracing: bool) -> dict[str, str]:
    """The function's environment as the template sets it, plus what Lambda sets."""
    env = {k: v for k, v in os.environ.items() if k not in UNSAFE_ENV}
    env.update(FAKE_ENV)
    env.update(function_environment({"EnableTracing": str(tracing).lower()}))
    env.update(
        {
            "LAMBDA_TASK_ROOT": str(task),
            "AWS_LAMBDA_FUNCTION_NAME": "ir-vpc-guard-GuardrailFunction-ABC123",
            "AWS_REGION": FAKE_ENV["AWS_DEFAULT_REGION"],
            "PYTHONPATH": os.pathsep.join([str(task), str(layer)]),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def variants(task: Path, layer: Path) -> tuple[Variant, ...]:
    """(default deployment, tracing on, default without clients, boto3 and the two
    clients, bare boto3: last)."""
    off, on = child_env(task, layer, tracing=False), child_env(task, layer, tracing=True)
    no_clients = {k: v for k, v in off.items() if k not in ("IDEMPOTENCY_TABLE", "TOPIC_ARN")}
    return (
        Variant("handler, default deployment (EnableTracing=false)", HANDLER, 1.3, off),
        Variant("handler, EnableTracing=true", HANDLER, 1.5, on),
        Variant(
            "handler, default, without IDEMPOTENCY_TABLE and TOPIC_ARN (no client made at "
            "import: the share of the DynamoDB and SNS clients)",
            HANDLER,
            None,
            no_clients,
        ),
        Variant(CLIENTS_LABEL, BARE_WITH_CLIENTS, None, off),
        Variant("import boto3", BARE, None, off),
    )


def python(variant: Variant, code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        env=variant.env,
        cwd=variant.env["LAMBDA_TASK_ROOT"],
        check=True,
    )


def timed_import(variant: Variant) -> float:
    done = python(variant, variant.code)
    return float(done.stdout.strip().splitlines()[-1])


def import_lines(variant: Variant) -> list[ImportLine]:
    """Parse `-X importtime` (stderr): "import time: self | cumulative | <indent>name"."""
    lines = []
    for raw in python(variant, "import app", "-X", "importtime").stderr.splitlines():
        if not raw.startswith("import time:") or "self [us]" in raw:
            continue
        self_us, cumulative_us, name = raw.removeprefix("import time:").split("|", 2)
        indent = len(name) - len(name.lstrip()) - 1
        lines.append(ImportLine(name.strip(), int(self_us), int(cumulative_us), indent // 2))
    return lines


def dataclass_time(variant: Variant) -> tuple[int, float]:
    """(dataclasses created by the handler's import, the median seconds they took)."""
    runs = [python(variant, DATACLASSES).stdout.split() for _ in range(3)]
    return int(runs[0][0]), statistics.median(float(seconds) for _, seconds in runs)


def warm_up(kinds: tuple[Variant, ...]) -> None:
    """One run of each with bytecode writing on: the environment's own packages (boto3,
    the runtime's part) get their caches, as the runtime's are shipped compiled."""
    for variant in kinds:
        writing = {k: v for k, v in variant.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        python(Variant(variant.label, variant.code, variant.target, writing), variant.code)
    for cache in Path(kinds[0].env["LAMBDA_TASK_ROOT"]).rglob("__pycache__"):
        shutil.rmtree(cache)  # /var/task is read-only: the handler compiles at each start


def medians(kinds: tuple[Variant, ...], runs: int = RUNS) -> list[float]:
    """Median import seconds of each variant, alternating, after the warm-up."""
    warm_up(kinds)
    times: list[list[float]] = [[] for _ in kinds]
    for _ in range(runs):
        for variant, spent in zip(kinds, times, strict=True):
            spent.append(timed_import(variant))
    return [statistics.median(spent) for spent in times]


def handler_imports(lines: list[ImportLine]) -> list[ImportLine]:
    """What the handler imports, seen through the app builder it delegates to: level 0 is
    `app`, level 1 its imports; APP_BUILDER's own (level 2, listed before it) replace it."""
    found: list[ImportLine] = []
    children: list[ImportLine] = []
    for line in lines:
        if line.level == 2:
            children.append(line)
        elif line.level == 1:
            found += children if line.module == APP_BUILDER else [line]
            children = []
    return found


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
    with lambda_like() as (task, layer):
        kinds = variants(task, layer)
        times = medians(kinds)
        lines = import_lines(kinds[0])
        made, made_in = dataclass_time(kinds[0])
    boto3, floor = times[-1], times[-2]
    table = Table(
        "3. Cold start as Lambda runs it: importing the handler vs a bare `import boto3`",
        [
            "Import",
            "median (ms)",
            "ratio to boto3",
            "ratio to boto3 and the same two clients",
            "target",
            "verdict",
        ],
    )
    verdicts = []
    for variant, spent in zip(kinds, times, strict=True):
        ratios = (variant.label, f"{spent * 1000:.0f}", f"{spent / boto3:.2f}x")
        net = f"{spent / floor:.2f}x"
        if variant.target is None:
            table.add(*ratios, net, "", "")
            continue
        ok = spent / boto3 <= variant.target
        verdicts.append(f"{met(ok)}: {spent / boto3:.2f}x (<= {variant.target}x)")
        table.add(*ratios, net, f"<= {variant.target}x", met(ok))
    net_ok = times[0] / floor <= NET_TARGET
    verdicts.append(
        f"net of the two clients (over boto3 and the same clients), the default handler is "
        f"{times[0] / floor:.2f}x ({met(net_ok)}: <= {NET_TARGET}x) and tracing on "
        f"{times[1] / floor:.2f}x"
    )
    bad = forbidden(lines)
    table.verdict = f"default {verdicts[0]}; tracing on {verdicts[1]}; {verdicts[2]}; " + (
        f"FORBIDDEN modules imported: {', '.join(bad)}" if bad else "no dev module imported"
    )
    direct = sorted(handler_imports(lines), key=lambda i: -i.cumulative_us)
    table.notes += [
        f"Median of {RUNS} fresh interpreters each (after one warm-up), timed with "
        "perf_counter around the import inside the child; interpreter start-up excluded. "
        "The layer is a byte-compiled copy (unchecked-hash, as `make build` makes it) of the "
        "engine and of the distributions in layers/guardrail/requirements.txt; the handler "
        "is imported from its own directory as `app`; PYTHONDONTWRITEBYTECODE=1; "
        "LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME and the template's environment "
        "(IDEMPOTENCY_TABLE, TOPIC_ARN, POWERTOOLS_TRACE_DISABLED, ...) set.",
        f"The handler's {TOP} heaviest imports, default deployment (cumulative, one "
        "`-X importtime` run, those of ir_vpc_guard.application for it; `app`'s own time "
        "is mostly the build: the DynamoDB and SNS clients): "
        + ", ".join(f"`{i.module}` {i.cumulative_us / 1000:.0f} ms" for i in direct[:TOP])
        + ".",
        f"By package (self time summed over {len(lines)} modules): "
        + ", ".join(f"`{p}` {us / 1000:.0f} ms" for p, us in by_package(lines)[:TOP])
        + ".",
    ]
    table.notes.append(
        f"Of the default handler's import, creating its {made} dataclasses takes "
        f"{made_in * 1000:.0f} ms (median of 3, each timed around dataclasses' class "
        "processing, which compiles the class's methods)."
    )
    table.notes += [f"Heavy, not needed with tracing off: {s}." for s in suspects(lines)]
    return table
