"""Inference Recommender jobs end without an event: the catch-up schedule lists the jobs
modified in its window, and Describes those the guardrail recorded.

moto has no Inference Recommender jobs (docs/moto.md, "SageMaker"): FakeRecommender answers
List/DescribeInferenceRecommendationsJob(s) as the API reference documents them; the
records table and the topic are moto's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.outcomes.recommender import compare_ended_jobs, ended_job
from ir_vpc_guard.outcomes.state_change import Ended, Skip
from ir_vpc_guard.outcomes.verdict import Ending
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import REGION
from tests.integration.fake_recommender import FakeRecommender
from tests.outcomes.conftest import ACCOUNT, Loop, high, job_report

# What FakeRecommender.add reads of a world: the job's own IDs, no VPC built (none is read).
WORLD = cast(
    World,
    SimpleNamespace(
        region=REGION,
        account=ACCOUNT,
        model_package_arn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/demo/1",
        group_ids=("sg-0123456789abcdef0",),
        subnet_ids=("subnet-0123456789abcdef0",),
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/SageMakerExecution",
    ),
)
IR_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-recommendations-job/ir"
S3_FAILURE = (
    'Failed to download model data from URL "s3://demo-bucket/model.tar.gz". Please ensure '
    "that an S3 VPC endpoint exists in route table or NAT gateway for the VPC mode and the URL "
    "is reachable from within the subnets provided."
)


def ir_report(arn: str, *findings: Any) -> Any:
    report = job_report(arn, *findings, name=arn.rsplit("/", 1)[1])
    report.job.pop("workload")  # Inference Recommender's job section has none
    return report


@pytest.fixture
def fake(aws: Any) -> FakeRecommender:
    return FakeRecommender(aws)


def ended(fake: FakeRecommender, name: str, status: str, reason: str | None = None) -> str:
    arn = fake.add(WORLD, name, status=status)
    if reason:
        fake.jobs[name]["FailureReason"] = reason
    return arn


def run(loop: Loop, since: timedelta = timedelta(minutes=30)) -> dict[str, Any]:
    return compare_ended_jobs(
        loop.session.client("sagemaker"),
        loop.outcomes,
        account=ACCOUNT,
        region=REGION,
        since=datetime.now(UTC) - since,
    )


def test_a_recorded_job_that_failed_as_predicted_is_confirmed(
    loop: Loop, fake: FakeRecommender
) -> None:
    arn = ended(fake, "ir-job-1", "FAILED", S3_FAILURE)
    loop.deliverer.deliver(ir_report(arn, high("S3_ENDPOINT_MISSING")))
    fake.calls.clear()
    result = run(loop)
    assert result["verdicts"][arn]["verdict"] == "confirmed"
    # One List page, then one Describe for the one ended recorded job.
    assert fake.calls == ["ListInferenceRecommendationsJobs", "DescribeInferenceRecommendationsJob"]


def test_a_recorded_pass_that_failed_for_the_network_is_a_missed_finding(
    loop: Loop, fake: FakeRecommender
) -> None:
    arn = ended(fake, "ir-job-2", "FAILED", S3_FAILURE)
    loop.deliverer.deliver(ir_report(arn))
    loop.inbox.envelopes()
    run(loop)
    [envelope] = loop.inbox.envelopes()
    report = json.loads(envelope["Message"])
    assert report["trigger"] == "sweep"
    assert "workload" not in report["job"]  # Inference Recommender reports keep their shape
    assert report["findings"][0]["checkId"] == "VERDICT_MISSED"


def test_a_completed_job_with_a_certain_high_is_a_false_alarm(
    loop: Loop, fake: FakeRecommender
) -> None:
    arn = ended(fake, "ir-job-3", "COMPLETED")
    loop.deliverer.deliver(ir_report(arn, high("SUBNET_IP_CAPACITY")))
    assert run(loop)["verdicts"][arn]["verdict"] == "false-alarm"


def test_only_recorded_ended_jobs_are_described_and_each_counts_once(
    loop: Loop, fake: FakeRecommender
) -> None:
    recorded = ended(fake, "ir-job-4", "COMPLETED")
    ended(fake, "ir-job-never-checked", "FAILED", S3_FAILURE)
    running = fake.add(WORLD, "ir-job-running", status="IN_PROGRESS")
    loop.deliverer.deliver(ir_report(recorded))
    loop.deliverer.deliver(ir_report(running))
    fake.calls.clear()
    first = run(loop)
    assert (first["ended"], first["recorded"]) == (2, 1)
    assert list(first["verdicts"]) == [recorded]
    assert fake.calls.count("DescribeInferenceRecommendationsJob") == 1
    fake.calls.clear()
    second = run(loop)  # an overlapping window: the judged job is not described again
    assert (second["recorded"], second["verdicts"]) == (0, {})
    assert fake.calls == ["ListInferenceRecommendationsJobs"]


def test_a_job_modified_before_the_window_is_not_listed(loop: Loop, fake: FakeRecommender) -> None:
    arn = ended(fake, "ir-job-5", "COMPLETED")
    fake.jobs["ir-job-5"]["LastModifiedTime"] = datetime.now(UTC) - timedelta(hours=2)
    loop.deliverer.deliver(ir_report(arn))
    assert run(loop)["ended"] == 0


def test_a_describe_that_fails_leaves_the_job_for_the_next_run(
    loop: Loop, fake: FakeRecommender
) -> None:
    arn = ended(fake, "ir-job-6", "COMPLETED")
    loop.deliverer.deliver(ir_report(arn))
    sagemaker = loop.session.client("sagemaker")

    def throttled(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
            "DescribeInferenceRecommendationsJob",
        )

    # Ahead of the fake's answer: this client's Describe is refused.
    sagemaker.meta.events.register_first(
        "before-call.sagemaker.DescribeInferenceRecommendationsJob", throttled
    )
    result = compare_ended_jobs(
        sagemaker,
        loop.outcomes,
        account=ACCOUNT,
        region=REGION,
        since=datetime.now(UTC) - timedelta(minutes=30),
    )
    assert result["unreadable"] == {arn: "ClientError"}
    assert "verdict" not in loop.item(arn)  # not judged: the next run tries again
    assert run(loop)["verdicts"][arn]["verdict"] == "consistent"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"Status": "IN_PROGRESS"}, "the job has not ended"),
        ({"Status": "FAILED", "JobName": "a b"}, "JobName is not a job name"),
        (
            {
                "Status": "FAILED",
                "JobName": "ir",
                "JobArn": IR_ARN.replace(ACCOUNT, "210987654321"),
            },
            "JobArn is not the job's ARN in this account and region",
        ),
        (
            {
                "Status": "FAILED",
                "JobName": "ir",
                "JobArn": IR_ARN,
                "FailureReason": 3,
            },
            "FailureReason is not text",
        ),
    ],
)
def test_a_malformed_describe_answer_is_skipped(answer: dict[str, Any], expected: str) -> None:
    skipped = ended_job(answer, account=ACCOUNT, region=REGION)
    assert isinstance(skipped, Skip) and skipped.reason == expected


def test_a_describe_answer_is_the_job_s_end() -> None:
    arn = IR_ARN
    end = ended_job(
        {"Status": "STOPPED", "JobName": "ir", "JobArn": arn}, account=ACCOUNT, region=REGION
    )
    assert isinstance(end, Ended)
    assert (end.ending, end.workload, end.failure_reason) == (
        Ending.STOPPED,
        "inference-recommender",
        None,
    )
