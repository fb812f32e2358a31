"""The runs behind tables 1, 2 and 5 (API calls, waves under 40 ms of delay, the naive
baseline) and the CPU profile, one moto account (`mock_aws`) per world.

Worlds are built with a plain session; the product and the baseline run on instrumented
sessions of their own, whose delay is on only during a measured run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import boto3
from moto import mock_aws

from benchmarks.harness import DELAY_SECONDS, REGION, Instrumented
from benchmarks.measure import Run, Sample, median_sample, product, sample
from benchmarks.naive import naive_check
from benchmarks.profile import Profile, profile_check
from benchmarks.worlds import (
    add_job_groups,
    broken_world,
    crowded_world,
    good_event,
    job_event,
    lock_table,
)
from ir_vpc_guard.discovery.prefix_lists import forget_s3_prefix_lists
from ir_vpc_guard.findings import Mode
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
    profile: Profile | None  # where a warm check's CPU goes (some sizes only)


@dataclass(frozen=True)
class ShapeRun:
    subnets: int
    groups: int
    cold: Sample  # the region's S3 prefix list not yet known to the container
    warm: Sample  # kept from the previous check, as a warm Lambda container keeps it


@dataclass(frozen=True)
class ApplyRun:
    check: Sample  # the broken world in report mode
    apply: Sample  # check + apply + re-verify, no lock table (the CLI, local runs)
    locked: Sample  # the same with the DynamoDB VPC lock (as deployed: IDEMPOTENCY_TABLE)


def new_session() -> Any:
    return boto3.session.Session(region_name=REGION)


def naive(instrumented: Instrumented, world: Any) -> Run:
    """A run of the baseline on `world`'s job; its one client is kept across runs, as the
    product's are, so that warm runs compare like with like."""
    ec2 = instrumented.session.client("ec2", region_name=REGION)

    def run() -> dict[str, Any]:
        result = naive_check(ec2, world.subnet_ids, world.group_ids, REGION)
        return {"outcome": result.outcome, "problems": result.problems}

    return run


def run_size(extra: int, *, profiled: bool = False) -> SizeRun:
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
            profile=profile_check(world) if profiled else None,
        )


def run_shapes() -> list[ShapeRun]:
    """1, 8 and 16 job subnets x 1 and 5 job groups in one VPC of 50 other subnets."""
    with mock_aws():
        session = new_session()
        world = crowded_world(session, SHAPES_VPC_SIZE, job_subnets=16)
        add_job_groups(session, world, 4)
        measured = Instrumented()
        runs = []
        for subnets, groups in JOB_SHAPES:
            check = product(measured, job_event(world, subnets, groups))
            forget_s3_prefix_lists()
            cold = sample(measured, check, 0.0)
            runs.append(ShapeRun(subnets, groups, cold, sample(measured, check, 0.0)))
        return runs


def run_apply_once(*, locked: bool) -> tuple[Sample, Sample]:
    """(report-mode check, apply run) on a fresh broken world, after one warm-up check."""
    with mock_aws():
        session = new_session()
        world = broken_world(session)
        table = lock_table(session) if locked else None
        measured = Instrumented()
        event = good_event(world)
        check = product(measured, event)
        sample(measured, check, 0.0)  # warm-up: clients and models; report mode changes nothing
        check_sample = median_sample(measured, check, DELAY_SECONDS, REPEATS)
        settings = Settings(remediation_mode=Mode.APPLY, idempotency_table=table)
        # product() makes the lock (and its DynamoDB client) as the app does, before the run.
        return check_sample, sample(measured, product(measured, event, settings), DELAY_SECONDS)


def median_apply(*, locked: bool) -> tuple[Sample, Sample]:
    """Median (by apply wall time) of `APPLY_REPEATS` fresh broken worlds."""
    runs = sorted(
        (run_apply_once(locked=locked) for _ in range(APPLY_REPEATS)), key=lambda r: r[1].wall
    )
    check, apply = runs[len(runs) // 2]
    return check, replace(apply, best_wall=runs[0][1].wall)


def run_apply() -> ApplyRun:
    check, apply = median_apply(locked=False)
    return ApplyRun(check=check, apply=apply, locked=median_apply(locked=True)[1])
