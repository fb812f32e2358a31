"""Inference Recommender jobs send no state-change event: the catch-up schedule lists the
jobs modified since its window began, keeps those the guardrail recorded, and reads each
one's end with DescribeInferenceRecommendationsJob (`Status`, `FailureReason`) into the same
`Ended` a state-change event gives. A job judged before (an overlapping window) counts once.

Calls: one List page per 100 jobs modified in the window, one BatchGetItem per 100 of them,
then per ended recorded job not judged yet one Describe, one GetItem, one UpdateItem (+ one
Publish for a miss or a false alarm)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.arns import partition_of
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER
from ir_vpc_guard.outcomes.compare import Outcomes
from ir_vpc_guard.outcomes.state_change import MAX_FAILURE_REASON, Ended, Skip
from ir_vpc_guard.outcomes.verdict import Ending

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient

# How far back the catch-up schedule looks for ended jobs: several of its runs, so a run that
# failed or ran out of time leaves nothing behind (the verdict on the record keeps a job from
# counting twice).
WINDOW = timedelta(hours=6)
ENDINGS = {"COMPLETED": Ending.COMPLETED, "FAILED": Ending.FAILED, "STOPPED": Ending.STOPPED}
_NAME = r"[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,63}"  # the API's RecommendationJobName


def ended_job(answer: Mapping[str, Any], *, account: str, region: str) -> Ended | Skip:
    """A Describe answer as the job's end, or why it is not one (still running, malformed)."""
    status, name, arn = answer.get("Status"), answer.get("JobName"), answer.get("JobArn")
    ending = ENDINGS.get(status) if isinstance(status, str) else None
    if ending is None:
        return Skip("the job has not ended")
    if not (isinstance(name, str) and re.fullmatch(_NAME, name)):
        return Skip("JobName is not a job name")
    arn_pattern = (
        rf"arn:{re.escape(partition_of(region))}:sagemaker:{re.escape(region)}:{account}:"
        rf"inference-recommendations-job/{re.escape(name)}"
    )
    if not (isinstance(arn, str) and re.fullmatch(arn_pattern, arn, re.IGNORECASE)):
        return Skip("JobArn is not the job's ARN in this account and region")
    reason = answer.get("FailureReason")
    if reason is not None and not isinstance(reason, str):
        return Skip("FailureReason is not text")
    return Ended(
        event_id=f"outcome-{name}",
        account=account,
        region=region,
        workload=INFERENCE_RECOMMENDER,
        job_name=name,
        job_arn=arn,
        status=str(status),
        ending=ending,
        failure_reason=reason[:MAX_FAILURE_REASON] if reason else None,
        in_vpc=True,  # only recorded (so checked, so VPC) jobs are described
    )


def describe_end(
    sagemaker: SageMakerClient, job_name: str, *, account: str, region: str
) -> Ended | Skip:
    """One Describe call; a failure propagates (the caller keeps the job for the next run)."""
    answer = sagemaker.describe_inference_recommendations_job(JobName=job_name)
    return ended_job(answer, account=account, region=region)


def compare_ended_jobs(
    sagemaker: SageMakerClient,
    outcomes: Outcomes,
    *,
    account: str,
    region: str,
    since: datetime,
    budget: Budget = UNLIMITED,
) -> dict[str, Any]:
    """Judge every recorded job that ended since `since`: the sweep's part of the loop. A
    job whose Describe fails, or that the time left does not reach, is left for the next
    run (its window still covers it); a failed List leaves them all, and says so."""
    try:
        ended = _ended_since(sagemaker, since)
    except (ClientError, BotoCoreError) as error:
        return {"unlisted": type(error).__name__}
    recorded = outcomes.records.unjudged(ended)  # judged ones need no Describe
    verdicts: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    left = 0
    for arn in sorted(recorded):
        if not budget.may_start():
            left += 1
            continue
        try:
            end = describe_end(sagemaker, ended[arn], account=account, region=region)
        except (ClientError, BotoCoreError) as error:
            unreadable[arn] = type(error).__name__
            continue
        verdicts[arn] = (
            {"skipped": end.reason}
            if isinstance(end, Skip)
            else outcomes.on_end(end, trigger="sweep")
        )
    return {
        "ended": len(ended),
        "recorded": len(recorded),
        "verdicts": verdicts,
        "unreadable": unreadable,
        "leftForNextRun": left,
    }


def _ended_since(sagemaker: SageMakerClient, since: datetime) -> dict[str, str]:
    """Job ARN -> name of every job modified since `since` that has ended."""
    pages = sagemaker.get_paginator("list_inference_recommendations_jobs").paginate(
        LastModifiedTimeAfter=since, PaginationConfig={"PageSize": 100}
    )
    return {
        str(s["JobArn"]): str(s["JobName"])
        for page in pages
        for s in page.get("InferenceRecommendationsJobs", [])
        if s.get("Status") in ENDINGS and s.get("JobArn") and s.get("JobName")
    }
