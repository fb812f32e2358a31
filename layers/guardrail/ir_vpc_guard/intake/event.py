"""Intake: turn an EventBridge CloudTrail event (or a Describe answer) into a JobRequest.

Nothing here trusts its input: every key may be missing, of the wrong type or in either
casing (CloudTrail writes camelCase, the Describe API answers PascalCase).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.intake.children import made_for_parent
from ir_vpc_guard.intake.fields import at, ids, matching, member, region_of, short, text
from ir_vpc_guard.intake.request import (
    ACCOUNT_PATTERN,
    ROLE_ARN,
    JobRequest,
    vpc_config_problems,
)
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER, SageMakerReader, Workload
from ir_vpc_guard.intake.workloads import BY_EVENT_NAME, WORKLOADS

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient

__all__ = ["Intake", "Skipped", "member", "parse_event", "parse_request", "read_event"]

EVENT_SOURCE = "aws.sagemaker"
DETAIL_TYPE = "AWS API Call via CloudTrail"
# The records intake reads: API calls, and the service's own events, whose jobs (a tuning
# job's training jobs) are skipped as children of their parent (intake/children.py).
RECORDS = (DETAIL_TYPE, "AWS Service Event via CloudTrail")
# The workload of a request that names none (the CLI's pre-flight, IR's Describe answers).
DEFAULT_WORKLOAD = WORKLOADS[INFERENCE_RECOMMENDER]


@dataclass(frozen=True)
class Skipped:
    """An event the guardrail does not check, and why."""

    reason: str
    event_id: str = "unknown"
    account: str = "unknown"
    region: str = "unknown"
    job_name: str | None = None
    # The workload whose event name the event carries (None: not a registered one); its
    # skipped report names it (Inference Recommender's keeps its original shape).
    workload: str | None = None


@dataclass(frozen=True, eq=False, repr=False)
class Intake:
    """A valid event of a covered workload, before its jobs are read: most requests are one
    job; a tuning job's are its training definitions, an endpoint's its models."""

    params: Mapping[str, Any]
    workload: Workload
    account: str
    region: str
    event_id: str
    job_arn: str | None
    # "event", or the path that read the request with the workload's Describe API.
    trigger: str = "event"

    def jobs(self, sagemaker: SageMakerReader) -> tuple[JobRequest | Skipped, ...]:
        """Each job of the request, validated (`sagemaker` only for workloads that read
        theirs, e.g. an endpoint's models; a failed read raises botocore's error)."""
        expand = self.workload.expand
        views = [self.params] if expand is None else list(expand(self.params, sagemaker))
        if not views:
            return (self.skipped("the request names no job that runs in a VPC"),)
        return tuple(
            parse_request(
                view,
                account=self.account,
                region=self.region,
                event_id=self.event_id,
                job_arn=self.job_arn,
                trigger=self.trigger,
                workload=self.workload,
            )
            for view in views
        )

    @property
    def job_name(self) -> str | None:
        """The request's job name, when valid."""
        return matching(at(self.params, self.workload.job_name_path), self.workload.job_name)

    def skipped(self, reason: str) -> Skipped:
        """This event skipped for `reason`, naming its job."""
        return Skipped(
            reason,
            event_id=self.event_id,
            account=self.account,
            region=self.region,
            job_name=self.job_name,
            workload=self.workload.name,
        )


def read_event(
    event: object,
    home_account: str | None = None,
    workloads: Collection[str] | None = None,
) -> Intake | Skipped:
    """Validate the EventBridge envelope and the CloudTrail record inside it.

    With `home_account`, an event about another account (forwarded from another bus) is
    skipped: this function's credentials cannot see that account's VPC. An event of a
    workload not in `workloads` (the WORKLOADS setting; None: all) is skipped too.
    """
    if not isinstance(event, Mapping):
        return Skipped(f"event is a {type(event).__name__}, not a JSON object")
    detail = event.get("detail")
    event_id = text(member(detail, "eventID")) or text(event.get("id")) or "unknown"
    account = matching(event.get("account"), ACCOUNT_PATTERN) or "unknown"
    region = region_of(event.get("region"))

    params = member(detail, "requestParameters")
    named = _named_workload(detail)
    workload = named or DEFAULT_WORKLOAD
    job_name = matching(at(params, workload.job_name_path), workload.job_name)
    reason = (
        _skip_reason(event, detail, params, account, region)
        or _left_out(workload, workloads)
        or _foreign(detail, account, home_account)
    )
    if reason is not None:
        return Skipped(
            reason,
            event_id=event_id,
            account=account,
            region=region,
            job_name=job_name,
            workload=named.name if named else None,
        )
    if not isinstance(detail, Mapping) or not isinstance(params, Mapping):
        # _skip_reason skips such events: getting here is a bug in it, not a bad event.
        raise TypeError("an event without a detail or request parameters was not skipped")
    response = member(detail, "responseElements")
    return Intake(
        params=params,
        workload=workload,
        account=account,
        region=region,
        event_id=event_id,
        job_arn=matching(at(response, workload.job_arn_path), workload.job_arn),
    )


def parse_event(
    event: object,
    home_account: str | None = None,
    workloads: Collection[str] | None = None,
) -> JobRequest | Skipped:
    """The first job of an event whose jobs need no AWS read (`read_event` says what the
    arguments do; the pipeline checks every job of an event)."""
    intake = read_event(event, home_account, workloads)
    if isinstance(intake, Skipped):
        return intake
    return intake.jobs(_no_reads)[0]


def _no_reads() -> SageMakerClient:
    raise TypeError("this workload's jobs are read with AWS: use read_event(...).jobs(reader)")


def _named_workload(detail: object) -> Workload | None:
    """The workload whose API the event records, None when no registered one does (then
    Inference Recommender's job name path names the skipped report, as before there were
    workloads)."""
    name = member(detail, "eventName")
    return BY_EVENT_NAME.get(name) if isinstance(name, str) else None


def _skip_reason(
    event: Mapping[str, Any], detail: object, params: object, account: str, region: str
) -> str | None:
    """Why the guardrail does not check this event, or None when it does."""
    if event.get("source") != EVENT_SOURCE or event.get("detail-type") not in RECORDS:
        return "not a SageMaker API call recorded by CloudTrail"
    if not isinstance(detail, Mapping):
        return "event has no CloudTrail detail"
    name = member(detail, "eventName")
    if not isinstance(name, str) or name not in BY_EVENT_NAME:
        return f"event is not {' or '.join(BY_EVENT_NAME)}"
    child = made_for_parent(detail)
    if child is not None:
        return child
    if event.get("detail-type") != DETAIL_TYPE:
        return "not a SageMaker API call recorded by CloudTrail"
    if "unknown" in (account, region):
        return "event has no valid account or region"
    error_code = member(detail, "errorCode")
    if error_code is not None:
        return f"the API call failed ({short(error_code)}): no job was created"
    if not isinstance(params, Mapping):
        return "event has no request parameters"
    if member(params, "omitted") is True:
        return "CloudTrail omitted the request parameters (too large)"
    return None


def _left_out(workload: Workload, workloads: Collection[str] | None) -> str | None:
    if workloads is None or workload.name in workloads:
        return None
    return (
        f"the {workload.name} workload is not checked here (WORKLOADS: "
        f"{', '.join(sorted(workloads))})"
    )


def _foreign(detail: object, account: str, home_account: str | None) -> str | None:
    recipient = member(detail, "recipientAccountId")
    accounts = {account, recipient if isinstance(recipient, str) else account}
    if home_account is None or accounts == {home_account}:
        return None
    other = ", ".join(sorted(accounts - {home_account}))
    return (
        f"the event is about another account ({other}) than the one checking ({home_account}):"
        " its VPC is not visible with these credentials (cross-account checks are off)"
    )


def parse_request(
    params: Mapping[str, Any],
    *,
    account: str,
    region: str,
    event_id: str,
    job_arn: str | None = None,
    trigger: str = "event",
    workload: Workload = DEFAULT_WORKLOAD,
) -> JobRequest | Skipped:
    """Parse a workload's create parameters (or its Describe answer) of any casing: the job
    name, VPC config and role where the workload keeps them, then its own members."""
    job_name = matching(at(params, workload.job_name_path), workload.job_name)
    vpc_config = at(params, workload.vpc_config_path)
    if vpc_config is None:
        return Skipped(
            "the job has no VPC config: it does not run in a VPC",
            event_id=event_id,
            account=account,
            region=region,
            job_name=job_name,
            workload=workload.name,
        )
    if isinstance(vpc_config, Mapping):
        raw_subnets = member(vpc_config, "subnets")
        raw_groups = member(vpc_config, "securityGroupIds")
        problems = vpc_config_problems(raw_subnets, raw_groups)
    else:
        raw_subnets = raw_groups = None
        problems = [f"vpcConfig must be an object, got {type(vpc_config).__name__}"]
    input_problems: list[str] = []
    if job_name is None:
        input_problems.append(f"{workload.job_name_path[-1]} is missing or invalid")
    raw_role = at(params, workload.role_path)
    role_arn = matching(raw_role, ROLE_ARN)
    if raw_role is not None and role_arn is None:
        input_problems.append("roleArn is not valid")
    own = workload.read(params, input_problems)
    return JobRequest(
        job_name=job_name or "unknown",
        account=account,
        region=region,
        event_id=event_id,
        subnets=ids(raw_subnets) if not problems else (),
        security_groups=ids(raw_groups) if not problems else (),
        job_arn=job_arn,
        role_arn=role_arn,
        trigger=trigger,
        workload=workload.name,
        vpc_config_problems=tuple(problems),
        input_problems=tuple(input_problems),
        **own,
    )
