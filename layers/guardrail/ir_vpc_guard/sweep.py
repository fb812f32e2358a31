"""The catch-up sweep: check the running jobs whose CloudTrail event never arrived.

EventBridge delivers CloudTrail events best effort, only while a trail logs, and SageMaker
emits no state change for Inference Recommender jobs: a schedule closes that hole with the
same pipeline, for every enabled workload that declares its List API (intake/workload.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.delivery import mutes
from ir_vpc_guard.delivery.report import Report, skipped_report
from ir_vpc_guard.intake.event import Skipped
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import Listed, active_jobs, describe_job
from ir_vpc_guard.intake.workloads import WORKLOADS, enabled
from ir_vpc_guard.pipeline import check_job
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.claims import job_claim
from ir_vpc_guard.state.false_alarms import FalseAlarms
from ir_vpc_guard.state.lock import VpcLock
from ir_vpc_guard.state.records import SKIPPED, CheckedJobs, Prediction

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

    def summary(self, region: str) -> dict[str, Any]:
        """What the schedule's invocation returns and logs as "sweep done"."""
        return {
            "trigger": "sweep",
            "region": region,
            "listed": self.listed,
            "alreadyChecked": self.already_checked,
            "checked": [
                {"job": r.job.get("name"), "outcome": r.outcome.value} for r in self.checked
            ],
            "skipped": [{"job": r.job.get("name"), "reason": r.reason} for r in self.skipped],
            "leftForNextRun": self.left_for_next_run,
            "stoppedForDeadline": self.stopped_for_deadline,
            "unreadable": self.unreadable,
            "unconfirmed": self.unconfirmed,
        }


def run_sweep(
    clients: AwsClients,
    settings: Settings,
    account: str,
    records: CheckedJobs,
    deliver: Deliver,
    *,
    lock: VpcLock,
    max_jobs: int,
    lookback: timedelta | None = None,
    budget: Budget = UNLIMITED,
    mute_list: mutes.MuteList = mutes.EMPTY,
    false_alarms: FalseAlarms | None = None,
) -> SweepResult:
    """List the enabled workloads' active jobs (in the registry's order, Inference
    Recommender's first), drop the ones already checked, check at most `max_jobs` of the
    rest, their fixes under `lock` (the event path's own: one writer per VPC, whichever path)."""
    result = SweepResult()
    on = enabled(settings)
    workloads = [w for name, w in WORKLOADS.items() if name in on]
    created_after = datetime.now(UTC) - lookback if lookback else None
    summaries = {j.arn: j for j in active_jobs(clients.sagemaker, workloads, created_after)}
    result.listed = len(summaries)
    seen = records.seen(summaries)
    result.already_checked = len(seen)
    pending = [s for arn, s in summaries.items() if arn not in seen]
    sweep = _Sweep(
        clients, settings, account, records, deliver, lock, budget, mute_list, result, false_alarms
    )
    for index, summary in enumerate(pending):
        if len(result.checked) + len(result.skipped) >= max_jobs or not budget.may_start():
            result.stopped_for_deadline = len(result.checked) + len(result.skipped) < max_jobs
            result.left_for_next_run = len(pending) - index
            break
        sweep.claim_and_check(summary)
    return result


@dataclass
class _Sweep:
    """What checking one listed job needs, and the result it adds to."""

    clients: AwsClients
    settings: Settings
    account: str
    records: CheckedJobs
    deliver: Deliver
    lock: VpcLock
    budget: Budget
    mute_list: mutes.MuteList
    result: SweepResult
    false_alarms: FalseAlarms | None  # the function's: reports carry their checks' false alarms

    def claim_and_check(self, summary: Listed) -> None:
        """One listed job: claimed, read, checked and delivered, or left to the next run.

        A failed delivery (e.g. the publish) releases the claim and propagates: the
        invocation fails, Lambda retries it, and the retry checks the job again.
        """
        arn = summary.arn
        with job_claim(self.records, arn, "sweep") as claim:
            if not claim.taken:
                self.result.already_checked += 1  # the event path got there first
                return
            try:
                jobs = describe_job(
                    self.clients.sagemaker,
                    summary.name,
                    account=self.account,
                    region=self.clients.region,
                    trigger="sweep",
                    workload=summary.workload,
                )
            except (ClientError, BotoCoreError) as error:
                claim.release()  # unreadable now: the next sweep tries again
                self.result.unreadable[arn] = type(error).__name__
                return
            for job in jobs:  # a tuning job's definitions are one report each
                if isinstance(job, Skipped):
                    # Its record keeps the next sweep from reading it again, and says that
                    # its end has nothing to be compared with.
                    self.records.predict(arn, arn, None, Prediction(SKIPPED, (), stopped=False))
                self.check_one(job)
        if claim.unconfirmed is not None:
            # Delivered but not recorded: the claim lapses and a later sweep checks the job
            # again. One report twice is better than a sweep that stops here.
            self.result.unconfirmed.append(arn)

    def check_one(self, job: JobRequest | Skipped) -> None:
        if isinstance(job, Skipped):
            report = replace(skipped_report(job, self.settings.remediation_mode), trigger="sweep")
            self.result.skipped.append(report)
            return
        report = check_job(
            job,
            self.clients,
            self.settings,
            self.budget,
            lock=self.lock,
            mute_list=self.mute_list,
            home_account=job.account,
            false_alarms=self.false_alarms,
        )
        self.deliver(report)
        self.result.checked.append(report)
