"""The catch-up sweep finds running jobs whose event never arrived, and checks each once."""

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard.state.records import DynamoCheckedJobs, MemoryCheckedJobs
from ir_vpc_guard.sweep import SweepResult, run_sweep
from ir_vpc_guard_dev.sandbox import World, create_table
from tests.integration.calls import counting_session
from tests.integration.fake_recommender import FakeRecommender

TABLE = "ir-vpc-guard-records"


@pytest.fixture
def setup(aws: Any, world: World) -> tuple[Any, FakeRecommender, Counter[str]]:
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    return session, FakeRecommender(session), calls


@pytest.fixture
def records(aws: Any) -> DynamoCheckedJobs:
    return DynamoCheckedJobs(aws.client("dynamodb"), create_table(aws, TABLE))


def sweep(session: Any, records: Any, delivered: list[Report], **kwargs: Any) -> SweepResult:
    return run_sweep(
        AwsClients("us-east-1", session=session),
        kwargs.pop("settings", Settings()),
        "123456789012",
        records,
        delivered.append,
        max_jobs=kwargs.pop("max_jobs", 25),
        **kwargs,
        lock=LocalVpcLock(),
    )


def test_lost_event_job_is_checked_once_across_two_sweeps(
    setup: Any, records: Any, world: World
) -> None:
    session, fake, _ = setup
    fake.add(world, "lost-event-job")
    delivered: list[Report] = []
    first = sweep(session, records, delivered)
    second = sweep(session, records, delivered)
    assert [r.job["name"] for r in delivered] == ["lost-event-job"]
    assert delivered[0].trigger == "sweep" and delivered[0].to_dict()["trigger"] == "sweep"
    assert delivered[0].outcome.value == "PASS"
    assert (first.listed, len(first.checked), second.already_checked, len(second.checked)) == (
        1,
        1,
        1,
        0,
    )


def test_job_seen_through_its_event_is_not_checked_again(
    setup: Any, records: Any, world: World
) -> None:
    session, fake, _ = setup
    arn = fake.add(world, "evented-job")
    assert records.claim(arn, "event")  # what the event path records after its check
    delivered: list[Report] = []
    result = sweep(session, records, delivered)
    assert delivered == [] and result.already_checked == 1


def test_a_sweep_without_inference_recommender_in_workloads_lists_none_of_its_jobs(
    setup: Any, records: Any, world: World
) -> None:
    session, fake, calls = setup
    fake.add(world, "lost-event-job")
    delivered: list[Report] = []
    result = sweep(
        session, records, delivered, settings=Settings(workloads=frozenset({"training"}))
    )
    assert (delivered, result.listed, fake.calls) == ([], 0, [])
    assert calls == Counter({"sagemaker.ListTrainingJobs": 1})  # the workload left in


def test_finished_and_vpc_less_jobs(setup: Any, records: Any, world: World) -> None:
    session, fake, _ = setup
    fake.add(world, "done-job", status="COMPLETED")
    fake.add(world, "no-vpc-job", vpc=False)
    delivered: list[Report] = []
    result = sweep(session, records, delivered)
    assert result.listed == 1  # the completed job is not listed at all
    assert delivered == [] and [r.reason for r in result.skipped] == [
        "the job has no VPC config: it does not run in a VPC"
    ]


def test_pagination_over_120_jobs_and_the_per_run_cap(setup: Any, world: World) -> None:
    session, fake, _ = setup
    for n in range(120):
        fake.add(world, f"job-{n:03d}", age=timedelta(minutes=200 - n))
    records = MemoryCheckedJobs()
    delivered: list[Report] = []
    result = sweep(session, records, delivered, max_jobs=3)
    assert result.listed == 120
    assert [r.job["name"] for r in delivered] == ["job-000", "job-001", "job-002"]  # oldest first
    assert result.left_for_next_run == 117 and not result.stopped_for_deadline
    # Two statuses: IN_PROGRESS takes 2 pages (100 + 20), PENDING one empty page.
    assert fake.calls.count("ListInferenceRecommendationsJobs") == 3
    assert fake.calls.count("DescribeInferenceRecommendationsJob") == 3


def test_deadline_stops_starting_new_jobs(setup: Any, world: World) -> None:
    session, fake, _ = setup
    for n in range(3):
        fake.add(world, f"job-{n}")
    left = {"seconds": 60.0}

    def deliver(report: Report) -> None:  # the first job's check ate the time
        delivered.append(report)
        left["seconds"] = 4.0

    delivered: list[Report] = []
    budget = Budget(lambda: left["seconds"], reserve=5.0)
    result = run_sweep(
        AwsClients("us-east-1", session=session),
        Settings(),
        "123456789012",
        MemoryCheckedJobs(),
        deliver,
        max_jobs=25,
        budget=budget,
        lock=LocalVpcLock(),
    )
    assert len(delivered) == 1
    assert result.stopped_for_deadline and result.left_for_next_run == 2


def test_failed_delivery_releases_the_claim(setup: Any, records: Any, world: World) -> None:
    session, fake, _ = setup
    fake.add(world, "job-x")

    def fail(report: Report) -> None:
        raise RuntimeError("SNS down")

    with pytest.raises(RuntimeError):
        run_sweep(
            AwsClients("us-east-1", session=session),
            Settings(),
            "123456789012",
            records,
            fail,
            max_jobs=5,
            lock=LocalVpcLock(),
        )
    delivered: list[Report] = []
    sweep(session, records, delivered)
    assert [r.job["name"] for r in delivered] == ["job-x"]


OTHER_LISTS = {
    "sagemaker.ListProcessingJobs": 1,
    "sagemaker.ListTrainingJobs": 1,
    "sagemaker.ListTransformJobs": 1,
    "sagemaker.ListHyperParameterTuningJobs": 1,
}


@pytest.mark.parametrize(
    ("jobs", "expected"),
    [
        # Two List calls (one per active status) whatever happens, and one for each other
        # workload's single active status (InProgress; moto answers them: no such jobs).
        (0, {"sagemaker.ListInferenceRecommendationsJobs": 2, **OTHER_LISTS}),
        # One job: its record looked up, claimed, described, checked (14), confirmed.
        (
            1,
            {
                "sagemaker.ListInferenceRecommendationsJobs": 2,
                **OTHER_LISTS,
                "dynamodb.BatchGetItem": 1,
                "dynamodb.PutItem": 1,
                "dynamodb.UpdateItem": 1,
                "sagemaker.DescribeInferenceRecommendationsJob": 1,
                "check": 14,
            },
        ),
        # 120 jobs, at most 25 per run: 2 pages for IN_PROGRESS, 2 record batches of 100.
        (
            120,
            {
                "sagemaker.ListInferenceRecommendationsJobs": 3,
                **OTHER_LISTS,
                "dynamodb.BatchGetItem": 2,
                "dynamodb.PutItem": 25,
                "dynamodb.UpdateItem": 25,
                "sagemaker.DescribeInferenceRecommendationsJob": 25,
                # The first check is cold (14); the 24 others reuse the region's S3
                # prefix list (its two reads on moto) from the warm cache.
                "check": 14 + 24 * 12,
            },
        ),
    ],
)
def test_calls_per_sweep(setup: Any, world: World, jobs: int, expected: dict[str, int]) -> None:
    session, fake, calls = setup
    table = DynamoCheckedJobs(session.client("dynamodb"), TABLE)
    create_table(session, TABLE)
    for n in range(jobs):
        fake.add(world, f"job-{n:03d}")
    calls.clear()
    sweep(session, table, [], max_jobs=25)
    own = ("dynamodb.", "sagemaker.List", "sagemaker.DescribeInference")
    sweep_calls = {k: v for k, v in calls.items() if k.startswith(own)}
    checks = sum(calls.values()) - sum(sweep_calls.values())  # the jobs' own checks
    assert {**sweep_calls, **({"check": checks} if checks else {})} == expected


def test_a_claim_never_confirmed_lapses_and_the_job_is_checked_again(records: Any) -> None:
    """An invocation killed between claiming and delivering must not hide the job for good."""
    arn = "arn:aws:sagemaker:us-east-1:123456789012:inference-recommendations-job/killed"
    assert records.claim(arn, "sweep")
    assert records.seen([arn]) == {arn}
    assert not records.claim(arn, "sweep")
    records.dynamodb.update_item(  # the lease ran out (DynamoDB's TTL deletes lazily)
        TableName=TABLE,
        Key={"id": {"S": f"job#{arn}"}},
        UpdateExpression="SET expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    assert records.seen([arn]) == set()
    assert records.claim(arn, "sweep")
    records.confirm(arn)
    item = records.dynamodb.get_item(TableName=TABLE, Key={"id": {"S": f"job#{arn}"}})["Item"]
    assert int(item["expiration"]["N"]) > time.time() + 13 * 24 * 3600
