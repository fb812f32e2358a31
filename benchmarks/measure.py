"""One measured run of the product (or the baseline): calls, waves, wall time, bytes.

Shared by the call-count, latency and baseline tables so that all three count the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from benchmarks.harness import DELAY_SECONDS, REGION, CallLog, Instrumented
from ir_vpc_guard.application import vpc_lock
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings


@dataclass(frozen=True)
class Sample:
    """What one run cost: `depth` is the longest chain of calls one after the other."""

    calls: int
    depth: int
    wall: float
    cpu: float  # process CPU time: the client's and, in process, the emulator's
    emulator_cpu: float
    bytes_in: int
    outcome: str
    applied: bool
    log: CallLog
    best_wall: float = 0.0  # the fastest of the repeats (the median is `wall`)

    @property
    def waves(self) -> float:
        return self.wall / DELAY_SECONDS

    @property
    def client_cpu(self) -> float:
        """CPU time the product itself spent (what a Lambda pays for), emulator excluded."""
        return max(0.0, self.cpu - self.emulator_cpu)

    @property
    def net_waves(self) -> float:
        """Waves once the in-process emulator's CPU time is taken out of the wall time."""
        return (self.wall - self.emulator_cpu) / DELAY_SECONDS


Run = Callable[[], dict[str, Any]]
APPLIED_OUTCOMES = ("REMEDIATED", "PARTIAL")


def product(
    instrumented: Instrumented, event: dict[str, Any], settings: Settings | None = None
) -> Run:
    """A run of the product's engine entry on `event`; returns the report as JSON.

    Clients are kept per region across runs, as the function's app keeps them for the
    container's life: the first run on a session pays for creating them ("cold"). The VPC
    lock is the app's: a lease in the table in the home region when the settings name one.
    """
    chosen = settings or Settings()
    lock = vpc_lock(chosen, instrumented.clients(REGION))

    def run() -> dict[str, Any]:
        (report,) = handle_event(event, chosen, instrumented.clients, lock=lock)
        return report.to_dict()

    return run


def applied(report: dict[str, Any]) -> bool:
    """Whether the report shows remediation that was carried out (not only planned)."""
    statuses = {(f.get("remediation") or {}).get("status") for f in report.get("findings", [])} | {
        a.get("status") for a in report.get("actions", []) if isinstance(a, dict)
    }
    return report.get("outcome") in APPLIED_OUTCOMES or "APPLIED" in statuses


def sample(instrumented: Instrumented, run: Run, delay: float) -> Sample:
    """Run once with `delay` seconds injected per call (0: none) and return its cost."""
    with instrumented.delayed(delay) as log:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = run()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return Sample(
        calls=log.total,
        depth=log.depth(),
        wall=wall,
        cpu=cpu,
        emulator_cpu=log.emulator_cpu,
        bytes_in=log.bytes_in,
        outcome=str(report.get("outcome")),
        applied=applied(report),
        log=log,
    )


def median_sample(instrumented: Instrumented, run: Run, delay: float, repeats: int = 5) -> Sample:
    """One warm-up run (client creation, model loading), then the median of `repeats`."""
    sample(instrumented, run, delay)
    samples = sorted((sample(instrumented, run, delay) for _ in range(repeats)), key=_wall)
    return replace(samples[len(samples) // 2], best_wall=samples[0].wall)


def _wall(s: Sample) -> float:
    return s.wall
