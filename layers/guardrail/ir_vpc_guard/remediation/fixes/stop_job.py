"""stop-job: stop a job certain to fail (STOP_DOOMED_JOBS, apply mode only) through its own
workload's Describe and Stop APIs (a workload without a Stop API, e.g. an endpoint, is never
stopped). Which findings doom a job is `remediation/stopping.py`'s policy; this unit plans the
stop from them, re-reads the job (still running? opted out?) and stops it. It runs after
remediation and the re-check, on what remains."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, ClassVar

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, Mode, RemediationStatus
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import call
from ir_vpc_guard.intake.workload import Workload
from ir_vpc_guard.intake.workloads import WORKLOADS, workload_of
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fix import Stop
from ir_vpc_guard.remediation.permissions import Grant
from ir_vpc_guard.remediation.stopping import (
    blocking,
    held_back,
    never_wrong_here,
    stoppable_checks,
    why,
)
from ir_vpc_guard.remediation.targets import JOB, OPT_OUT_VALUE, Scope, Target, opted_out
from ir_vpc_guard.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


def restart_command(job: JobRequest) -> str:
    """How to run the job again once fixed: a stopped job cannot resume, so a new job
    is created from the stopped one's own definition (under a new name)."""
    workload = workload_of(job.workload)
    name = shlex.quote(job.job_name)
    region = shlex.quote(job.region)
    members = ", ".join(f"{m}: {m}" for m in workload.restart_members)
    nulls = " | jq 'with_entries(select(.value != null))'" if workload.restart_drops_nulls else ""
    return (
        f"aws sagemaker {xform_name(workload.describe_api, '-')} --region {region}"
        f" --{xform_name(workload.name_member, '-')} {name} --query '{{{members}}}'{nulls}"
        f" > job.json && (edit {workload.name_member} in job.json) && aws sagemaker"
        f" {xform_name(workload.event_names[0], '-')} --region {region}"
        " --cli-input-json file://job.json"
    )


def stop_grant(workload: Workload) -> Grant:
    """What stopping this workload's jobs calls, on its own jobs only."""
    return Grant(
        (
            f"sagemaker:{workload.describe_api}",
            "sagemaker:ListTags",
            f"sagemaker:{workload.stop_api}",
        ),
        (f"{workload.arn_resource}/*",),
    )


class StopJob(Stop):
    name = ActionName.STOP_JOB
    writes: ClassVar[Target] = JOB
    # The template grants each workload's only with StopDoomedJobs=true in apply mode, and
    # only for the workloads it checks.
    grants = tuple(stop_grant(w) for w in WORKLOADS.values() if w.stop_api)

    def decide(
        self,
        job: JobRequest,
        findings: list[Finding],
        snapshot: Snapshot,
        *,
        settings: Settings,
        clients: AwsClients,
        home_account: str | None,
        broken_checks: list[str],
    ) -> Action | None:
        if job.part_of_several:
            return None  # one definition doomed is not the tuning job doomed
        return stop_if_doomed(
            job,
            findings,
            snapshot,
            settings=settings,
            sagemaker=clients.sagemaker,
            home_account=home_account,
            broken_checks=broken_checks,
        )

    def plan(self, job: JobRequest, doomed: list[Finding], snapshot: Snapshot) -> Action:
        """The stop, carrying the findings that doom the job and how to run it again."""
        checks = sorted({f.check_id for f in doomed})
        return Action(
            name=self.name,
            check_id=checks[0],
            vpc_id=snapshot.vpc_id or "",
            resource=job.job_arn or job.job_name,
            details={
                "blockingChecks": checks,
                "findings": [why(f) for f in doomed],
                "restartCommand": restart_command(job),
            },
        )

    def apply(
        self, sagemaker: SageMakerClient, action: Action, job: JobRequest, tag_key: str
    ) -> Action:
        """Re-read (Describe: still running? ListTags: opted out?), then Stop: each failure
        is FAILED."""
        workload = workload_of(job.workload)
        step = workload.describe_api
        try:
            answer = call(sagemaker, workload.describe_api, workload, job.job_name)
            status = str(answer[workload.status_member])
            if status not in workload.active_statuses:
                return action.settle(RemediationStatus.SKIPPED, f"the job is {status}, not running")
            step = "ListTags"
            tags = sagemaker.list_tags(ResourceArn=str(job.job_arn)).get("Tags", [])
            if opted_out(tags, tag_key):
                return action.settle(
                    RemediationStatus.SKIPPED, f"the job is tagged {tag_key}={OPT_OUT_VALUE}"
                )
            step = str(workload.stop_api)
            call(sagemaker, step, workload, job.job_name)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            reason = f"{step} failed: the job was not stopped"
            return action.settle(RemediationStatus.FAILED, reason, code)
        except BotoCoreError as error:
            reason = f"{step} failed: the job was not stopped"
            return action.settle(RemediationStatus.FAILED, reason, type(error).__name__)
        checks = ", ".join(action.details["blockingChecks"])
        reason = f"stopped the job ({status}): certain to fail because of {checks}"
        return action.settle(RemediationStatus.APPLIED, reason)


UNIT = StopJob()


def stop_if_doomed(
    job: JobRequest,
    findings: list[Finding],
    snapshot: Snapshot,
    *,
    settings: Settings,
    sagemaker: SageMakerClient,
    home_account: str | None,
    broken_checks: list[str] | None = None,
) -> Action | None:
    """The `stop-job` action for this job, or None when nothing dooms it (or there is no
    job yet: a pre-flight check has no ARN). `broken_checks`: checks that raised."""
    doomed = blocking(findings, snapshot, stoppable_checks(settings))
    # A workload without a Stop API (an endpoint) is reported, never stopped or deleted.
    if not doomed or job.job_arn is None or workload_of(job.workload).stop_api is None:
        return None
    trusted = never_wrong_here(doomed)
    action = UNIT.plan(job, trusted or doomed, snapshot)
    if broken_checks:
        return action.settle(
            RemediationStatus.SKIPPED,
            f"{', '.join(broken_checks)} raised: the guardrail's view of this job is "
            "incomplete, so it stops nothing",
        )
    if not trusted:
        return action.settle(RemediationStatus.SKIPPED, held_back(doomed))
    if not settings.stop_doomed_jobs:
        return action.settle(
            RemediationStatus.PLANNED, "STOP_DOOMED_JOBS is false: set true to stop such jobs"
        )
    if settings.remediation_mode is not Mode.APPLY:
        return action.settle(
            RemediationStatus.PLANNED, "REMEDIATION_MODE is report: set apply to stop the job"
        )
    skip = UNIT.writes.refusal(action, Scope(snapshot, settings, job, home_account))
    if skip:
        return action.settle(RemediationStatus.SKIPPED, skip)
    return UNIT.apply(sagemaker, action, job, settings.opt_out_tag_key)
