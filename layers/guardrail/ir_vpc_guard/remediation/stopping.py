"""Stop a job that is certain to fail (STOP_DOOMED_JOBS, off by default; apply mode only).

Every minute a doomed job runs is billed instance time and a late, vague failure. After
remediation and the re-check, a job is stopped only when a certain HIGH finding of a check
registered `blocks_job` remains (never an undetermined, MEDIUM/LOW or muted one), the job
is still PENDING or IN_PROGRESS, it is the function's own account's, and neither the job
nor its VPC carries the opt-out tag. The report always says what was decided: action
`stop-job`, PLANNED (setting off or report mode), APPLIED, FAILED or SKIPPED with why.
"""

from __future__ import annotations

import shlex
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, Mode, RemediationStatus, Severity
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.sagemaker_jobs import ACTIVE_STATUSES
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.gates import OPT_OUT_VALUE, opted_out
from ir_vpc_guard.settings import Settings

# What stopping needs; the template grants it only with StopDoomedJobs=true in apply mode.
STOP_ACTIONS = (
    "sagemaker:DescribeInferenceRecommendationsJob",
    "sagemaker:ListTags",
    "sagemaker:StopInferenceRecommendationsJob",
)


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that make the job certain to fail."""
    return [
        f
        for f in findings
        if f.muted is None
        and f.severity.rank >= Severity.HIGH.rank
        and not f.evidence.get("undetermined")
        and f.check_id in CATALOGUE
        and CATALOGUE[f.check_id].blocks_job
    ]


def restart_command(job: JobRequest) -> str:
    """How to run the job again once fixed: a stopped job cannot resume, so a new job
    is created from the stopped one's own definition (under a new name)."""
    name = shlex.quote(job.job_name)
    region = shlex.quote(job.region)
    return (
        f"aws sagemaker describe-inference-recommendations-job --region {region} --job-name {name}"
        " --query '{JobName: JobName, JobType: JobType, RoleArn: RoleArn, InputConfig:"
        " InputConfig, StoppingConditions: StoppingConditions}' > job.json"
        " && (edit JobName in job.json) && aws sagemaker create-inference-recommendations-job"
        f" --region {region} --cli-input-json file://job.json"
    )


def stop_if_doomed(
    job: JobRequest,
    findings: list[Finding],
    snapshot: Snapshot,
    *,
    settings: Settings,
    sagemaker: Any,
    home_account: str | None,
) -> Action | None:
    """The `stop-job` action for this job, or None when nothing dooms it (or there is no
    job yet: a pre-flight check has no ARN)."""
    doomed = blocking(findings)
    if not doomed or job.job_arn is None:
        return None
    checks = sorted({f.check_id for f in doomed})
    action = Action(
        name=ActionName.STOP_JOB,
        check_id=checks[0],
        vpc_id=snapshot.vpc_id or "",
        resource=job.job_arn or job.job_name,
        details={"blockingChecks": checks, "restartCommand": restart_command(job)},
    )
    if not settings.stop_doomed_jobs:
        return action.settle(
            RemediationStatus.PLANNED, "STOP_DOOMED_JOBS is false: set true to stop such jobs"
        )
    if settings.remediation_mode is not Mode.APPLY:
        return action.settle(
            RemediationStatus.PLANNED, "REMEDIATION_MODE is report: set apply to stop the job"
        )
    skip = _skip_reason(job, snapshot, settings, home_account)
    if skip:
        return action.settle(RemediationStatus.SKIPPED, skip)
    return _stop(action, job, sagemaker, settings.opt_out_tag_key)


def _skip_reason(
    job: JobRequest, snapshot: Snapshot, settings: Settings, home_account: str | None
) -> str | None:
    owner = str(job.job_arn).split(":")[4]
    if home_account is None or job.account != home_account or owner != home_account:
        return "the job is not the function's own account's: only its own jobs are stopped"
    if snapshot.vpc_id is not None:
        vpc = snapshot.vpc.value if snapshot.vpc.ok else None
        if vpc is None:
            return "the VPC's tags could not be read, so its opt-out tag is unknown"
        if opted_out(vpc.get("Tags"), settings.opt_out_tag_key):
            return f"{snapshot.vpc_id} is tagged {settings.opt_out_tag_key}={OPT_OUT_VALUE}"
    return None


def _stop(action: Action, job: JobRequest, sagemaker: Any, tag_key: str) -> Action:
    """Describe (still running?), ListTags (opted out?), then Stop: each failure is FAILED."""
    step = "DescribeInferenceRecommendationsJob"
    try:
        answer = sagemaker.describe_inference_recommendations_job(JobName=job.job_name)
        status = str(answer["Status"])
        if status not in ACTIVE_STATUSES:
            return action.settle(RemediationStatus.SKIPPED, f"the job is {status}, not running")
        step = "ListTags"
        tags = sagemaker.list_tags(ResourceArn=job.job_arn).get("Tags", [])
        if opted_out(tags, tag_key):
            return action.settle(
                RemediationStatus.SKIPPED, f"the job is tagged {tag_key}={OPT_OUT_VALUE}"
            )
        step = "StopInferenceRecommendationsJob"
        sagemaker.stop_inference_recommendations_job(JobName=job.job_name)
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
