"""The catch-up sweep: check the running jobs whose CloudTrail event never arrived.

EventBridge delivers CloudTrail events best effort, only while a trail logs, and SageMaker
emits no state change for these jobs: a schedule closes that hole with the same pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.delivery import mutes
from ir_vpc_guard.delivery.report import Report, skipped_report
from ir_vpc_guard.intake.event import Skipped
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import active_jobs, describe_job
from ir_vpc_guard.pipeline import check_job
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.records import CheckedJobs

Deliver = Callable[[Report], None]


@dataclass
class SweepResult:
    """What one sweep did, for the log line and the metrics."""

    listed: int = 0
    already_checked: int = 0
    checked: list[Report] = field(default_factory=list)
    skipped: list[Report] = field(default_factory=list)
    left_for_next_run: int = 0
    stopped_for_deadline: bool = False
    unreadable: dict[str, str] = field(default_factory=dict)
    unconfirmed: list[str] = field(default_factory=list)


def run_sweep(
    clients: AwsClients,
    settings: Settings,
    account: str,
    records: CheckedJobs,
    deliver: Deliver,
    *,
    max_jobs: int,
    lookback: timedelta | None = None,
    budget: Budget = UNLIMITED,
    mute_list: mutes.MuteList = mutes.EMPTY,
) -> SweepResult:
    """List active jobs, drop the ones already checked, check at most `max_jobs` of the rest."""
    result = SweepResult()
    created_after = datetime.now(UTC) - lookback if lookback else None
    summaries = {
        s["JobArn"]: s for s in active_jobs(clients.sagemaker, created_after) if s.get("JobArn")
    }
    result.listed = len(summaries)
    seen = records.seen(summaries)
    result.already_checked = len(seen)
    pending = [s for arn, s in summaries.items() if arn not in seen]
    for index, summary in enumerate(pending):
        if len(result.checked) + len(result.skipped) >= max_jobs or not budget.may_start():
            result.stopped_for_deadline = len(result.checked) + len(result.skipped) < max_jobs
            result.left_for_next_run = len(pending) - index
            break
        arn = summary["JobArn"]
        if not records.claim(arn, "sweep"):
            result.already_checked += 1  # the event path got there first
            continue
        try:
            job = describe_job(
                clients.sagemaker,
                str(summary.get("JobName", "")),
                account=account,
                region=clients.region,
                trigger="sweep",
            )
        except (ClientError, BotoCoreError) as error:
            records.release(arn)  # unreadable now: the next sweep tries again
            result.unreadable[arn] = type(error).__name__
            continue
        try:
            _check_one(
                job,
                result,
                clients=clients,
                settings=settings,
                deliver=deliver,
                budget=budget,
                mute_list=mute_list,
            )
        except BaseException:
            records.release(arn)  # e.g. the publish failed: the retry must check it again
            raise
        try:
            records.confirm(arn)
        except (ClientError, BotoCoreError):
            # Delivered but not recorded: the claim lapses and a later sweep checks the job
            # again. One report twice is better than a sweep that stops here.
            result.unconfirmed.append(arn)
    return result


def _check_one(
    job: JobRequest | Skipped,
    result: SweepResult,
    *,
    clients: AwsClients,
    settings: Settings,
    deliver: Deliver,
    budget: Budget,
    mute_list: mutes.MuteList,
) -> None:
    if isinstance(job, Skipped):
        report = skipped_report(job, settings.remediation_mode)
        report.trigger = "sweep"
        result.skipped.append(report)
        return
    report = check_job(
        job, clients, settings, budget, mute_list=mute_list, home_account=job.account
    )
    deliver(report)
    result.checked.append(report)
