"""R2's tenancy rule (VPC_TENANCY_NOT_DEFAULT) on moto worlds: "For training jobs, you can
configure only subnets with a default tenancy VPC"; workloads AWS says nothing about pass."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import undetermined
from ir_vpc_guard.findings import Severity
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.test_training import check, training_event
from tests.snapshots import compliant, job

TENANCY = "VPC_TENANCY_NOT_DEFAULT"


def test_a_dedicated_vpc_fails_a_training_job(aws: Any) -> None:
    world = build_world(aws, REGION, tenancy="dedicated")
    report = check(training_event(world))
    assert report["outcome"] == "FAIL"
    [finding] = [f for f in report["findings"] if f["checkId"] == TENANCY]
    assert finding["severity"] == "HIGH" and finding["requirement"] == "R2"
    assert finding["evidence"]["instanceTenancy"] == "dedicated"
    assert finding["resources"] == [world.vpc_id]
    assert finding["remediation"]["command"] == (
        f"aws ec2 modify-vpc-tenancy --vpc-id {world.vpc_id} --instance-tenancy default"
    )


def test_a_default_vpc_passes_a_training_job(aws: Any, world: World) -> None:
    report = check(training_event(world))
    assert TENANCY in report["summary"]["checks"]["passed"]


def test_inference_recommender_states_no_tenancy_rule(aws: Any) -> None:
    world = build_world(aws, REGION, tenancy="dedicated")
    report = check(world.event(load_event("good_job")))
    checks = report["summary"]["checks"]
    # No requirement of Inference Recommender's: its report does not name the check.
    assert TENANCY not in {*checks["passed"], *checks["notEvaluated"], *checks["failed"]}


def test_a_vpc_that_could_not_be_read_is_undetermined_for_training() -> None:
    training = job(workload="training", model_package_arn=None, instance_count=1)
    unread = undetermined("the VPC belongs to account 444455556666")
    [finding] = [
        f for f in run_checks(compliant(job=training, vpc=unread)).findings if f.check_id == TENANCY
    ]
    assert finding.severity is Severity.MEDIUM
    assert "444455556666" in finding.evidence["undetermined"]
