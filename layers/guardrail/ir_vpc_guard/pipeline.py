"""The engine's one entry: intake → discovery → checks → remediation → report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.checks import CheckRun, run_checks
from ir_vpc_guard.delivery import mutes
from ir_vpc_guard.delivery.false_alarm_evidence import annotate
from ir_vpc_guard.delivery.report import (
    Report,
    checked_report,
    skipped_report,
    unreadable_report,
)
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.discovery.waves import guarded
from ir_vpc_guard.intake.event import Skipped, read_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workloads import enabled
from ir_vpc_guard.remediation.fixes import STOP_UNITS
from ir_vpc_guard.remediation.stage import remediate
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.false_alarms import FalseAlarms
from ir_vpc_guard.state.lock import VpcLock

ClientsFactory = Callable[[str], AwsClients]


def check_job(
    job: JobRequest,
    clients: AwsClients,
    settings: Settings,
    budget: Budget = UNLIMITED,
    *,
    lock: VpcLock,
    mute_list: mutes.MuteList = mutes.EMPTY,
    home_account: str | None = None,
    false_alarms: FalseAlarms | None = None,
) -> Report:
    """Check one job, remediate what the settings allow, and stop it (STOP_DOOMED_JOBS)
    when what remains makes it certain to fail; `home_account` (the credentials' own account)
    is the only account whose jobs are stopped, and the one a VPC is shared with or not.
    `lock` is the function's one VPC lock (application.vpc_lock), whichever path calls.

    An invalid VPC config is reported without sending any ID to AWS. The mute list is a
    layer over the checks: every run of them (the re-check after remediation too) is
    marked with it before anything acts on the findings. `false_alarms` (the function's;
    the CLI has none): what remains certain carries its checks' false alarms in this
    account, read before the stop, which holds back a stop that rests on them only.
    """
    if not job.vpc_config_valid:
        snapshot = Snapshot(job=job)
    else:
        discovery = Discovery(
            clients,
            budget,
            owner_read_role=settings.vpc_owner_read_role_name,
            reader_account=home_account,
        )
        snapshot = discovery.discover(job)
    snapshot = replace(snapshot, default_job_instances=settings.default_job_instances)
    context = mutes.Context(
        account=job.account,
        region=job.region,
        vpc=snapshot.vpc_id,
        job=job.job_name,
        subnets=tuple(job.subnets),
        security_groups=tuple(job.security_groups),
        workload=job.workload,
    )
    today = datetime.now(UTC).date()

    def checked(state: Snapshot) -> CheckRun:
        run = run_checks(state)
        return replace(run, findings=mutes.mark(mute_list, run.findings, context, today))

    done = remediate(
        snapshot,
        checked(snapshot),
        settings=settings,
        clients=clients,
        lock=lock,
        budget=budget,
        verify=checked,
    )
    if false_alarms is not None:
        findings = annotate(done.run.findings, false_alarms, job.account)
        done = replace(done, run=replace(done.run, findings=findings))
    stops = [
        action
        for unit in STOP_UNITS
        if (
            action := unit.decide(
                job,
                done.run.findings,
                done.snapshot,
                settings=settings,
                clients=clients,
                home_account=home_account,
                broken_checks=done.run.broken,
            )
        )
        is not None
    ]
    return checked_report(
        job,
        done.snapshot,
        done.run,
        settings.remediation_mode,
        done.changed,
        actions=[*done.actions, *stops],
        expired_mutes=mutes.lapsed(mute_list, done.run.findings, context, today),
    )


def handle_event(
    event: Any,
    settings: Settings,
    clients_for: ClientsFactory = AwsClients,
    budget: Budget = UNLIMITED,
    *,
    home_account: str | None = None,
    lock: VpcLock,
    mute_list: mutes.MuteList = mutes.EMPTY,
    false_alarms: FalseAlarms | None = None,
) -> tuple[Report, ...]:
    """Check every job an EventBridge CloudTrail event describes (most describe one; a
    tuning job's definitions are one each), or say why the event is skipped.

    With `home_account` (the function's own), events about other accounts are skipped
    unless the settings allow cross-account checks. A request whose jobs could not be read
    (an endpoint's models) is reported as a CHECK_ERROR, never passed.
    """
    intake = read_event(
        event, None if settings.allow_cross_account else home_account, enabled(settings)
    )
    if isinstance(intake, Skipped):
        return (skipped_report(intake, settings.remediation_mode),)
    clients = clients_for(intake.region)
    read = guarded("sagemaker", lambda: intake.jobs(lambda: clients.sagemaker))
    if read.error is not None:
        return (unreadable_report(intake, read.error, settings.remediation_mode),)
    return tuple(
        skipped_report(job, settings.remediation_mode)
        if isinstance(job, Skipped)
        else check_job(
            job,
            clients,
            settings,
            budget,
            lock=lock,
            mute_list=mute_list,
            home_account=home_account,
            false_alarms=false_alarms,
        )
        for job in read.get()
    )
