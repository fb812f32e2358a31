"""Table 4: memory of one invocation in the 500-subnet world, in fresh subprocesses.

Two children (`python -m benchmarks.memory KIND`), each measuring one cold invocation
(a new boto3 session: clients and service models are created, as on a first event):

* `inprocess`: moto in the same process. Imports the engine and moto, builds the world
  (the baseline), resets the kernel's peak-RSS mark (/proc/self/clear_refs), runs one
  `handle_event`, and reports the peak RSS and getrusage's ru_maxrss. This RSS holds moto,
  the world and the emulator's work answering the calls, which a Lambda does not.
* `server`: the client alone, as a Lambda is. The parent builds the same world in a moto
  server (its own process); the child imports only the Lambda handler, then runs one
  `handle_event` against the server (AWS_ENDPOINT_URL) and reports the same numbers.

Each child then runs one more check on another new session under tracemalloc for the
Python-heap peak of just the check.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from benchmarks.tables import Table, mb, met

ROOT = Path(__file__).resolve().parents[1]
HANDLER_DIR = ROOT / "functions" / "guardrail"
MiB = 2**20
TARGET_BYTES = 128 * MiB
VPC_SIZE = 500


def rss_now() -> int:
    """Resident set size now, in bytes (Linux /proc; else the peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return max_rss()
    return pages * resource.getpagesize()


def max_rss() -> int:
    """getrusage's ru_maxrss, in bytes (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def reset_peak() -> bool:
    """Reset the kernel's high-water RSS mark (Linux: write 5 to /proc/self/clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss() -> int:
    """VmHWM (the high-water RSS since the last reset), in bytes; else ru_maxrss."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return max_rss()
    line = next((ln for ln in status.splitlines() if ln.startswith("VmHWM:")), None)
    return int(line.split()[1]) * 1024 if line else max_rss()


def measure_invocation(event: dict[str, Any]) -> dict[str, Any]:
    """Peak RSS of one cold check, then tracemalloc's peak of another (both new sessions)."""
    from benchmarks.harness import Instrumented  # noqa: PLC0415
    from benchmarks.measure import product, sample  # noqa: PLC0415

    out: dict[str, Any] = {"baseline": rss_now(), "before_peak": peak_rss()}
    out["peak_reset"] = reset_peak()
    measured = Instrumented()
    out["outcome"] = sample(measured, product(measured, event), 0.0).outcome
    out["peak"], out["max_rss"] = peak_rss(), max_rss()
    out["process_peak"] = max(out["before_peak"], out["peak"])
    traced = Instrumented()
    tracemalloc.start()
    sample(traced, product(traced, event), 0.0)
    out["traced_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out


def inprocess_child() -> dict[str, Any]:
    from benchmarks.harness import use_fake_aws_env  # noqa: PLC0415

    use_fake_aws_env()
    import boto3  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from benchmarks.worlds import crowded_world, good_event  # noqa: PLC0415

    imports = rss_now()
    with mock_aws():
        world = crowded_world(boto3.session.Session(), VPC_SIZE)
        return {"imports": imports, **measure_invocation(good_event(world))}


def server_child() -> dict[str, Any]:
    event = json.loads(sys.stdin.read())
    sys.path.insert(0, str(HANDLER_DIR))
    import app  # type: ignore[import-not-found]  # noqa: F401, PLC0415 (as Lambda imports it)

    label = "functions/guardrail/app.py"
    return {"label": label, "imports": rss_now(), **measure_invocation(event)}


def child_env() -> dict[str, str]:
    """The function's environment at its simplest: no table, no topic, tracing off."""
    from benchmarks.harness import FAKE_ENV, UNSAFE_ENV  # noqa: PLC0415 (keeps children small)

    env = {k: v for k, v in os.environ.items() if k not in UNSAFE_ENV}
    env.update(FAKE_ENV)
    env["PYTHONPATH"] = str(ROOT)
    return env


@dataclass
class Child:
    """A running `python -m benchmarks.memory KIND`; stderr goes to a file, as a pipe could
    fill up while this process is busy building a world."""

    process: subprocess.Popen[str]
    errors: IO[str]

    @classmethod
    def start(cls, kind: str, **env: str) -> Child:
        errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in finish)
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.memory", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**child_env(), **env},
            cwd=ROOT,
        )
        return cls(process, errors)

    def finish(self, stdin: str = "") -> dict[str, Any]:
        out, _ = self.process.communicate(stdin)
        with self.errors:
            if self.process.returncode != 0:
                self.errors.seek(0)
                raise RuntimeError(f"memory child failed: {self.errors.read()[-2000:]}")
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


@contextmanager
def endpoint(url: str) -> Iterator[None]:
    os.environ["AWS_ENDPOINT_URL"] = url
    try:
        yield
    finally:
        del os.environ["AWS_ENDPOINT_URL"]


def server_run() -> dict[str, Any]:
    """Build the world in a moto server, then measure the handler's process against it."""
    import boto3  # noqa: PLC0415

    from benchmarks.worlds import crowded_world, good_event  # noqa: PLC0415
    from tests.moto_server import moto_server  # noqa: PLC0415

    with moto_server() as url, endpoint(url):
        world = crowded_world(boto3.session.Session(), VPC_SIZE)
        return Child.start("server", AWS_ENDPOINT_URL=url).finish(json.dumps(good_event(world)))


def add_rows(table: Table, where: str, run: dict[str, Any], imports: str) -> None:
    table.add(where, imports, mb(run["imports"]))
    table.add(where, "RSS before the invocation (baseline)", mb(run["baseline"]))
    table.add(where, "peak RSS during one handle_event (VmHWM after reset)", mb(run["peak"]))
    table.add(where, "growth: peak - baseline", mb(run["peak"] - run["baseline"]))
    table.add(where, "peak RSS of the whole process (VmHWM)", mb(run["process_peak"]))
    table.add(where, "ru_maxrss (see note)", mb(run["max_rss"]))
    table.add(where, "tracemalloc peak of one more check", mb(run["traced_peak"]))


def memory_table() -> Table:
    # Independent, and memory does not mind sharing the CPU: the in-process child runs
    # while this process builds the moto server's world.
    child = Child.start("inprocess")
    server = server_run()
    inprocess = child.finish()
    table = Table(
        f"4. Memory: one cold invocation in the {VPC_SIZE}-subnet world",
        ["Where the emulator runs", "Measure", "MB"],
    )
    add_rows(table, "in process (moto)", inprocess, "RSS after imports (engine, boto3, moto)")
    add_rows(table, "own process (moto server)", server, f"RSS after importing {server['label']}")
    peak = server["process_peak"]
    table.verdict = (
        f"{met(peak < TARGET_BYTES)}: the handler's process peaks at {mb(peak)} MB "
        f"(outcome {server['outcome']}); in process with moto and the world, "
        f"{mb(inprocess['process_peak'])} MB"
    )
    table.notes.append(
        "The verdict uses the moto-server child: its process holds what a Lambda holds "
        "(the handler's imports, the clients, the check), not the emulator. Lambda's runtime "
        "client adds a few MB more.",
    )
    table.notes.append(
        "ru_maxrss is reported as asked but is not the child's own: on Linux a child made by "
        "fork + exec inherits the parent's high-water RSS at exec, so it shows the larger of the "
        "benchmark's own size and the child's. VmHWM (from /proc/self/status) is the child's."
    )
    if not (inprocess["peak_reset"] and server["peak_reset"]):
        table.notes.append("Peak reset unavailable here: peak rows are ru_maxrss since start.")
    return table


def main(kind: str) -> None:
    result = server_child() if kind == "server" else inprocess_child()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "inprocess")
