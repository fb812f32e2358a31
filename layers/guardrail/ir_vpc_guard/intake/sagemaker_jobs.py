"""Inference Recommender jobs as the Describe/List APIs answer them (PascalCase), turned into
the same JobRequest the event intake produces."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.intake.event import Skipped, member, parse_request
from ir_vpc_guard.intake.request import JOB_ARN_PATTERN, JOB_NAME, JobRequest

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker.type_defs import InferenceRecommendationsJobTypeDef

ACTIVE_STATUSES = ("PENDING", "IN_PROGRESS")
PAGE_SIZE = 100  # the API's maximum
# What the catch-up sweep needs; the template grants it only when the sweep is on.
SWEEP_ACTIONS = (
    "sagemaker:ListInferenceRecommendationsJobs",
    "sagemaker:DescribeInferenceRecommendationsJob",
)


def describe_job(
    sagemaker: SageMakerClient, name: str, *, account: str, region: str, trigger: str
) -> JobRequest | Skipped:
    """Read a job with DescribeInferenceRecommendationsJob and normalize it."""
    if not JOB_NAME.fullmatch(name):
        return Skipped("not a valid job name", account=account, region=region)
    answer = sagemaker.describe_inference_recommendations_job(JobName=name)
    arn = member(answer, "jobArn")
    job_arn = arn if isinstance(arn, str) and JOB_ARN_PATTERN.fullmatch(arn) else None
    return parse_request(
        answer,
        account=account,
        region=region,
        event_id=f"{trigger}:{job_arn or name}",
        job_arn=job_arn,
        trigger=trigger,
    )


def active_jobs(
    sagemaker: SageMakerClient, created_after: datetime | None = None
) -> Iterator[InferenceRecommendationsJobTypeDef]:
    """Every PENDING or IN_PROGRESS job (optionally only recent ones), oldest first."""
    paginator = sagemaker.get_paginator("list_inference_recommendations_jobs")
    for status in ACTIVE_STATUSES:
        kwargs: dict[str, Any] = {
            "StatusEquals": status,
            "SortBy": "CreationTime",
            "SortOrder": "Ascending",
            "PaginationConfig": {"PageSize": PAGE_SIZE},
        }
        if created_after is not None:
            kwargs["CreationTimeAfter"] = created_after
        for page in paginator.paginate(**kwargs):
            yield from page.get("InferenceRecommendationsJobs", [])
