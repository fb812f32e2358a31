"""A workload's jobs as its Describe/List APIs answer them (PascalCase), turned into the same
JobRequest the event intake produces. Which APIs, members and statuses: the Workload's own
declaration (intake/workload.py), so a new workload is swept without a change here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore import xform_name

from ir_vpc_guard.intake.children import is_child
from ir_vpc_guard.intake.event import DEFAULT_WORKLOAD, Intake, Skipped
from ir_vpc_guard.intake.fields import at
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workload import Workload
from ir_vpc_guard.intake.workloads import WORKLOADS

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient

PAGE_SIZE = 100  # the List APIs' maximum


@dataclass(frozen=True, eq=False, repr=False)
class Listed:
    """One running job a List API answered: its workload, name and ARN."""

    workload: Workload
    name: str
    arn: str


def sweep_actions(workload: Workload) -> tuple[str, ...]:
    """What the catch-up sweep calls for one workload; the template grants them only when
    the sweep is on and the workload enabled (tests/template/test_iam.py)."""
    if not workload.list_summaries:
        return ()
    return (f"sagemaker:{workload.list_api}", f"sagemaker:{workload.describe_api}")


# Every registered workload's, for the template test and the README.
SWEEP_ACTIONS = tuple(a for w in WORKLOADS.values() for a in sweep_actions(w))


def call(sagemaker: SageMakerClient, api: str, workload: Workload, name: str) -> dict[str, Any]:
    """The workload's `api` (its Describe or Stop) on the job of this name."""
    answer: dict[str, Any] = getattr(sagemaker, xform_name(api))(**{workload.name_member: name})
    return answer


def describe_job(
    sagemaker: SageMakerClient,
    name: str,
    *,
    account: str,
    region: str,
    trigger: str,
    workload: Workload = DEFAULT_WORKLOAD,
) -> tuple[JobRequest | Skipped, ...]:
    """Read a job with its workload's Describe API and normalize it: its jobs, as from its
    event (a transform job's model is read too; a tuning job's definitions are one each)."""
    if not workload.job_name.fullmatch(name):
        return (Skipped("not a valid job name", account=account, region=region),)
    answer = call(sagemaker, workload.describe_api, workload, name)
    arn = at(answer, workload.job_arn_path)
    job_arn = arn if isinstance(arn, str) and workload.job_arn.fullmatch(arn) else None
    parent = is_child(answer)  # a tuning job's training job: judged with the tuning job
    if parent is not None:
        return (Skipped(parent, account=account, region=region, job_name=name),)
    intake = Intake(
        params=answer,
        workload=workload,
        account=account,
        region=region,
        event_id=f"{trigger}:{job_arn or name}",
        job_arn=job_arn,
        trigger=trigger,
    )
    return intake.jobs(lambda: sagemaker)


def active_jobs(
    sagemaker: SageMakerClient,
    workloads: Iterable[Workload],
    created_after: datetime | None = None,
) -> Iterator[Listed]:
    """Every running job of these workloads (optionally only recent ones), each workload's
    oldest first, one List per active status (and page)."""
    for workload in workloads:
        if not workload.list_summaries:
            continue
        paginator = sagemaker.get_paginator(xform_name(workload.list_api))  # type: ignore[call-overload]
        for status in workload.active_statuses:
            kwargs: dict[str, Any] = {
                "StatusEquals": status,
                "SortBy": "CreationTime",
                "SortOrder": "Ascending",
                "PaginationConfig": {"PageSize": PAGE_SIZE},
            }
            if created_after is not None:
                kwargs["CreationTimeAfter"] = created_after
            for page in paginator.paginate(**kwargs):
                for summary in page.get(workload.list_summaries, []):
                    arn = at(summary, workload.job_arn_path)
                    name = at(summary, workload.job_name_path)
                    if isinstance(arn, str) and arn:
                        yield Listed(workload, name if isinstance(name, str) else "", arn)
