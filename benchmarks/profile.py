"""Where one warm check's CPU time goes: cProfile, grouped by package.

For the profile only, discovery's reads run one after the other (its thread pool is
swapped for a synchronous one in this process, then restored), so that cProfile sees
every call; CPU time, not waves, is what this section is about.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from unittest import mock

from benchmarks.harness import Instrumented
from benchmarks.measure import product, sample
from benchmarks.tables import Table
from benchmarks.worlds import good_event
from ir_vpc_guard.discovery import waves
from ir_vpc_guard_dev.sandbox import World

Profile = dict[str, float]
# Boundaries: (file suffix, function) whose cumulative time is one part of a check.
API_CALLS = ("botocore/client.py", "_make_api_call")
EMULATOR = ("moto/core/botocore_stubber.py", "__call__")
PARSING = ("botocore/parsers.py", "parse")


class SerialExecutor:
    """A stand-in for ThreadPoolExecutor that runs each task at once, in the caller."""

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def shutdown(self, *_: Any, **__: Any) -> None:
        pass


def serial_reads() -> Any:
    """Discovery's pool swapped for `SerialExecutor` while the context lasts."""
    return mock.patch.object(waves, "ThreadPoolExecutor", SerialExecutor)


def cumulative(stats: pstats.Stats, where: tuple[str, str]) -> float:
    suffix, name = where
    rows = stats.stats.items()  # type: ignore[attr-defined]
    return float(sum(row[3] for (f, _l, n), row in rows if f.endswith(suffix) and n == name))


def profile_check(world: World) -> Profile:
    """Seconds per part of one warm check of `world`'s job (inside its moto account)."""
    measured = Instrumented()
    run = product(measured, good_event(world))
    with serial_reads():
        sample(measured, run, 0.0)  # warm-up: clients and models
        profiler = cProfile.Profile()
        profiler.runcall(run)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    calls, emulator = cumulative(stats, API_CALLS), cumulative(stats, EMULATOR)
    parsing = cumulative(stats, PARSING)
    return {
        "emulator (moto answering, in process)": emulator,
        "botocore: parsing the answers": parsing,
        "botocore: the rest (serialize, sign, hooks, retries)": calls - emulator - parsing,
        "engine: checks, report, threads (outside API calls)": total - calls,
        "total": total,
    }


def profile_table(profiles: dict[int, Profile]) -> Table:
    """`profiles` by the number of other subnets in the VPC."""
    sizes = sorted(profiles)
    table = Table(
        "Where the CPU time of one warm check goes (cProfile, reads serialised)",
        ["Part", *(f"{extra} other subnets: ms (%)" for extra in sizes)],
    )
    for label in profiles[sizes[0]]:
        cells = []
        for extra in sizes:
            total, spent = profiles[extra]["total"] or 1.0, profiles[extra][label]
            cells.append(f"{spent * 1000:.0f} ({100 * spent / total:.0f}%)")
        table.add(label, *cells)
    table.notes.append(
        "cProfile inflates Python-heavy code; read the shares, not the absolute times. "
        "The emulator's share runs on AWS's side in production."
    )
    return table
