"""The catch-up sweep lists every enabled workload's running jobs through its own List and
Describe APIs: training and processing jobs on moto (tests/integration/running_jobs.py says
what is adjusted on moto's backend), Inference Recommender's through its narrow fake."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard.state.records import MemoryCheckedJobs
from ir_vpc_guard.sweep import SweepResult, run_sweep
from ir_vpc_guard_dev.sandbox import World
from tests.integration.calls import counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.fake_recommender import FakeRecommender
from tests.integration.running_jobs import run_processing_job, run_training_job
from tests.integration.test_one_break_at_a_time import no_endpoint


@pytest.fixture
def session(aws: Any) -> tuple[Any, Counter[str], FakeRecommender]:
    calls: Counter[str] = Counter()
    counted = counting_session(calls)
    FakeGroupAssociations(counted.events, counted.client("ec2"))
    return counted, calls, FakeRecommender(counted)


def sweep(
    session: Any, records: MemoryCheckedJobs, delivered: list[Report], **kwargs: Any
) -> SweepResult:
    return run_sweep(
        AwsClients("us-east-1", session=session),
        kwargs.pop("settings", Settings()),
        "123456789012",
        records,
        delivered.append,
        max_jobs=kwargs.pop("max_jobs", 25),
        lock=LocalVpcLock(),
        **kwargs,
    )


def swept(delivered: list[Report]) -> list[tuple[str, str, str]]:
    return [(r.job["workload"], r.job["name"], r.trigger) for r in delivered]


def test_running_training_and_processing_jobs_are_checked_once_each(
    session: Any, world: World, aws: Any
) -> None:
    counted, calls, fake = session
    run_training_job(aws, world, "lost-training-job")
    run_processing_job(aws, world, "lost-processing-job")
    aws.client("sagemaker").create_processing_job(  # finished at once on moto: not listed
        ProcessingJobName="done-processing-job",
        ProcessingResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 1,
            }
        },
        AppSpecification={"ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1"},
        RoleArn=world.role_arn,
    )
    no_endpoint(aws, world, {})  # both would fail: the report says so
    records = MemoryCheckedJobs()
    delivered: list[Report] = []
    first = sweep(counted, records, delivered)
    assert (first.listed, len(first.checked)) == (2, 2)
    assert swept(delivered) == [
        ("processing", "lost-processing-job", "sweep"),
        ("training", "lost-training-job", "sweep"),
    ]
    for report in delivered:
        assert report.outcome.value == "FAIL"
        assert "S3_ENDPOINT_MISSING" in report.to_dict()["summary"]["checks"]["failed"]
    assert delivered[0].job["arn"].endswith(":processing-job/lost-processing-job")
    assert fake.calls.count("ListInferenceRecommendationsJobs") == 2  # IR's sweep unchanged
    assert (calls["sagemaker.DescribeTrainingJob"], calls["sagemaker.DescribeProcessingJob"]) == (
        1,
        1,
    )
    again = sweep(counted, records, delivered := [])
    assert (again.listed, again.already_checked, delivered) == (2, 2, [])


def test_the_describe_answer_sizes_the_job(session: Any, world: World, aws: Any) -> None:
    # 100 processing instances x 2 = 200 IPs: each /24 job subnet alone (251) holds them.
    counted, _, _ = session
    run_processing_job(aws, world, "wide-processing-job", instances=100)
    run_training_job(aws, world, "wide-training-job", instances=200)  # 400: more than one
    delivered: list[Report] = []
    sweep(counted, MemoryCheckedJobs(), delivered)
    by_name = {r.job["name"]: r.to_dict() for r in delivered}
    assert by_name["wide-processing-job"]["outcome"] == "PASS"
    [capacity] = by_name["wide-training-job"]["findings"]
    assert (capacity["checkId"], capacity["evidence"]["instances"]) == ("SUBNET_IP_CAPACITY", 200)


def test_a_running_job_without_a_vpc_is_skipped_with_its_reason(
    session: Any, world: World, aws: Any
) -> None:
    counted, _, _ = session
    run_processing_job(aws, world, "no-vpc-processing-job", vpc=False)
    delivered: list[Report] = []
    result = sweep(counted, MemoryCheckedJobs(), delivered)
    assert delivered == []
    assert [(r.job.get("name"), r.reason) for r in result.skipped] == [
        ("no-vpc-processing-job", "the job has no VPC config: it does not run in a VPC")
    ]


def test_workloads_and_lookback_narrow_what_is_listed(session: Any, world: World, aws: Any) -> None:
    counted, calls, fake = session
    run_training_job(aws, world, "training-job")
    run_processing_job(aws, world, "processing-job")
    delivered: list[Report] = []
    only = Settings(workloads=frozenset({"processing"}))
    result = sweep(counted, MemoryCheckedJobs(), delivered, settings=only)
    assert swept(delivered) == [("processing", "processing-job", "sweep")]
    assert result.listed == 1 and fake.calls == []
    assert not {c for c in calls if "Training" in c or "Inference" in c}
    # CreationTimeAfter: jobs created before the lookback are not listed.
    calls.clear()
    old = sweep(counted, MemoryCheckedJobs(), [], lookback=timedelta(seconds=-60))
    assert old.listed == 0 and calls["sagemaker.ListProcessingJobs"] == 1


def test_the_per_run_cap_spans_the_workloads(session: Any, world: World, aws: Any) -> None:
    counted, _, fake = session
    fake.add(world, "ir-job")
    run_processing_job(aws, world, "processing-job")
    run_training_job(aws, world, "training-job")
    delivered: list[Report] = []
    result = sweep(counted, MemoryCheckedJobs(), delivered, max_jobs=2)
    # Inference Recommender's first (as before), then the others by name.
    assert [r.job["name"] for r in delivered] == ["ir-job", "processing-job"]
    assert (result.listed, result.left_for_next_run) == (3, 1)


def test_a_tuning_jobs_training_job_is_judged_with_it_not_swept_alone(
    session: Any, world: World, aws: Any
) -> None:
    counted, _, _ = session
    run_training_job(aws, world, "hpo-child-001")
    parent = f"arn:aws:sagemaker:{world.region}:{world.account}:hyper-parameter-tuning-job/hpo"

    def child_of_tuning(parsed: dict[str, Any], **_: Any) -> None:
        # A narrow fake: moto's DescribeTrainingJob never names a tuning job (TuningJobArn),
        # which AWS's answer does for the training jobs a tuning job runs.
        parsed["TuningJobArn"] = parent

    counted.events.register("after-call.sagemaker.DescribeTrainingJob", child_of_tuning)
    delivered: list[Report] = []
    result = sweep(counted, MemoryCheckedJobs(), delivered)
    assert delivered == []
    [(name, reason)] = [(r.job.get("name"), r.reason) for r in result.skipped]
    assert name == "hpo-child-001" and reason is not None
    assert reason.startswith(f"judged with its tuning job {parent}")
