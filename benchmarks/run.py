"""`make bench`: measure the product against a naive baseline and write RESULTS.md.

Run from the repository root as `python -m benchmarks.run` (the root must be on sys.path
for `benchmarks` and `tests`). Everything runs against moto with fake credentials.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from benchmarks.harness import use_fake_aws_env

use_fake_aws_env()  # before anything creates a session

from benchmarks import network  # noqa: E402
from benchmarks.burst import burst_table  # noqa: E402
from benchmarks.coldstart import ROOT, cold_start_table  # noqa: E402
from benchmarks.lockwait import lock_wait_table  # noqa: E402
from benchmarks.memory import memory_table  # noqa: E402
from benchmarks.network_tables import baseline_table, calls_table, latency_table  # noqa: E402
from benchmarks.profile import profile_table  # noqa: E402
from benchmarks.tables import Table  # noqa: E402
from benchmarks.workloads import workloads_table  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
PROFILED = (3, 500)  # VPC sizes whose warm check is also profiled
T = TypeVar("T")


def step(name: str, work: Callable[[], T]) -> T:
    """Run one part, saying on stderr what it is and how long it took."""
    print(f"bench: {name}...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = work()
    print(f"bench: {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return result


def git_revision() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], check=False, capture_output=True, text=True, cwd=ROOT)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head} (uncommitted changes in the tree)" if git("status", "--porcelain") else head


def machine() -> list[str]:
    uname = platform.uname()
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("boto3", "botocore", "moto", "aws-lambda-powertools")
    )
    return [
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- Machine: `{uname.system} {uname.node} {uname.release} {uname.version} "
        f"{uname.machine}`, {os.cpu_count()} CPUs",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- {versions}",
        f"- Revision: {git_revision()}",
    ]


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def document(tables: list[Table], header: list[str], seconds: float) -> str:
    verdicts = [f"- {t.title.split(':')[0]}: {t.verdict}" for t in tables if t.verdict]
    parts = [
        "# IR VPC Guard: benchmark results",
        "",
        "Written by `make bench` (benchmarks/run.py); rerun it rather than edit this file.",
        "",
        *header,
        f"- Run time: {seconds:.0f} s",
        "",
        "## Verdicts",
        "",
        *verdicts,
        "",
    ]
    return "\n".join(parts) + "\n" + "\n".join(t.render() for t in tables)


def main() -> None:
    started = time.perf_counter()
    header = machine()
    load_before = load()
    # Memory first: its children are forked from this process, best while it is small.
    memory = step("memory", memory_table)
    sizes = [
        step(f"{n} other subnets", partial(network.run_size, n, profiled=n in PROFILED))
        for n in network.SIZES
    ]
    shapes = step("job shapes", network.run_shapes)
    apply = step("apply mode", network.run_apply)
    cold = step("cold start", cold_start_table)
    lock_wait = step("lock wait", lock_wait_table)
    burst = step("burst", burst_table)
    per_workload = step("calls per workload", workloads_table)
    tables = [
        calls_table(sizes, shapes),
        latency_table(sizes, apply),
        cold,
        memory,
        baseline_table(sizes),
        profile_table({run.extra: run.profile for run in sizes if run.profile}),
        lock_wait,
        burst,
        per_workload,
    ]
    header.append(f"- Load average (1/5/15 min) at start: {load_before}; at end: {load()}")
    text = document(tables, header, time.perf_counter() - started)
    RESULTS.write_text(text)
    print(text)
    print(f"bench: wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
