"""Tables 1, 2 and 5: API calls, waves under 40 ms of delay, and the naive baseline.

Each world lives in its own moto account (`mock_aws`); worlds are built with an
uninstrumented session, and the delay hook exists only around each measured run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import boto3
from moto import mock_aws

from benchmarks.harness import DELAY_SECONDS, REGION, Instrumented
from benchmarks.measure import Run, Sample, median_sample, product, sample
from benchmarks.naive import naive_check
from benchmarks.worlds import add_job_groups, broken_world, crowded_world, good_event, job_event
from ir_vpc_guard.settings import Settings

SIZES = (3, 50, 500)
SHAPES_VPC_SIZE = 50
JOB_SHAPES = ((1, 1), (1, 5), (8, 1), (8, 5), (16, 1), (16, 5))
REPEATS = 5
APPLY_REPEATS = 3


@dataclass(frozen=True)
class SizeRun:
    """The product and the baseline in one VPC with `extra` unrelated subnets."""

    extra: int
    cold: Sample  # first run on a new session: clients and service models created
    product: Sample  # warm, 40 ms per call, median
    bare: Sample  # warm, no delay, median
    naive: Sample  # 40 ms per call, median
    naive_bare: Sample  # no delay, median


@dataclass(frozen=True)
class ShapeRun:
    subnets: int
    groups: int
    sample: Sample


@dataclass(frozen=True)
class ApplyRun:
    check: Sample  # the broken world in report mode
    apply: Sample  # check + apply + re-verify


def new_session() -> Any:
    return boto3.session.Session(region_name=REGION)


def naive(instrumented: Instrumented, world: Any) -> Run:
    """A run of the baseline on `world`'s job, with its own client like a script's."""

    def run() -> dict[str, Any]:
        ec2 = instrumented.session.client("ec2", region_name=REGION)
        result = naive_check(ec2, world.subnet_ids, world.group_ids, REGION)
        return {"outcome": result.outcome, "problems": result.problems}

    return run


def run_size(extra: int) -> SizeRun:
    with mock_aws():
        world = crowded_world(new_session(), extra)
        measured, baseline = Instrumented(), Instrumented()
        check = product(measured, good_event(world))
        script = naive(baseline, world)
        return SizeRun(
            extra=extra,
            cold=sample(measured, check, DELAY_SECONDS),
            product=median_sample(measured, check, DELAY_SECONDS, REPEATS),
            bare=median_sample(measured, check, 0.0, REPEATS),
            naive=median_sample(baseline, script, DELAY_SECONDS, REPEATS),
            naive_bare=median_sample(baseline, script, 0.0, REPEATS),
        )


def run_shapes() -> list[ShapeRun]:
    """1, 8 and 16 job subnets x 1 and 5 job groups in one VPC of 50 other subnets."""
    with mock_aws():
        session = new_session()
        world = crowded_world(session, SHAPES_VPC_SIZE, job_subnets=16)
        add_job_groups(session, world, 4)
        measured = Instrumented()
        return [
            ShapeRun(s, g, sample(measured, product(measured, job_event(world, s, g)), 0.0))
            for s, g in JOB_SHAPES
        ]


def run_apply_once() -> ApplyRun:
    with mock_aws():
        world = broken_world(new_session())
        measured = Instrumented()
        event = good_event(world)
        check = product(measured, event)
        sample(measured, check, 0.0)  # warm-up: clients and models; report mode changes nothing
        check_sample = median_sample(measured, check, DELAY_SECONDS, REPEATS)
        fix = product(measured, event, Settings(remediation_mode="apply"))
        return ApplyRun(check=check_sample, apply=sample(measured, fix, DELAY_SECONDS))


def run_apply() -> ApplyRun:
    """Median (by apply wall time) of `APPLY_REPEATS` fresh broken worlds."""
    runs = sorted((run_apply_once() for _ in range(APPLY_REPEATS)), key=lambda r: r.apply.wall)
    middle = runs[len(runs) // 2]
    return replace(middle, apply=replace(middle.apply, best_wall=runs[0].apply.wall))
