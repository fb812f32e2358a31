"""SageMaker's own EventBridge state-change events ("Events that Amazon SageMaker AI sends to
Amazon EventBridge", /sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
source `aws.sagemaker`, a detail-type per resource, and a `detail` in the Describe API's
PascalCase (`TrainingJobArn`, `TrainingJobStatus`, `FailureReason`, ...).

Nothing is trusted: an event that is not one of these, not terminal or malformed becomes a
`Skip` with the reason, never an exception; every ID is checked against the API's shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ir_vpc_guard.arns import is_region
from ir_vpc_guard.intake.request import ACCOUNT_PATTERN
from ir_vpc_guard.outcomes.verdict import Ending

SOURCE = "aws.sagemaker"
MAX_FAILURE_REASON = 1024  # the API's limit on FailureReason
MAX_EVENT_ID = 128
# SageMaker's names: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} (botocore's model; ARNs lower them).
_NAME = r"[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}"


@dataclass(frozen=True)
class Kind:
    """One detail-type: the detail's member prefix, the ARN's resource type, the workload it
    belongs to (the report's `job.workload`) and which statuses end it, as what."""

    detail_type: str
    prefix: str  # TrainingJob -> TrainingJobName, TrainingJobArn, TrainingJobStatus
    resource: str
    workload: str
    endings: Mapping[str, Ending]


_JOB_ENDINGS = {"Completed": Ending.COMPLETED, "Failed": Ending.FAILED, "Stopped": Ending.STOPPED}
KINDS = {
    kind.detail_type: kind
    for kind in (
        Kind(
            "SageMaker Training Job State Change",
            "TrainingJob",
            "training-job",
            "training",
            _JOB_ENDINGS,
        ),
        Kind(
            "SageMaker Processing Job State Change",
            "ProcessingJob",
            "processing-job",
            "processing",
            _JOB_ENDINGS,
        ),
        Kind(
            "SageMaker Transform Job State Change",
            "TransformJob",
            "transform-job",
            "transform",
            _JOB_ENDINGS,
        ),
        Kind(
            "SageMaker HyperParameter Tuning Job State Change",
            "HyperParameterTuningJob",
            "hyper-parameter-tuning-job",
            "tuning",
            _JOB_ENDINGS,
        ),
        Kind(
            "SageMaker Endpoint State Change",
            "Endpoint",
            "endpoint",
            "endpoint",
            {"InService": Ending.COMPLETED, "Failed": Ending.FAILED},
        ),
    )
}


@dataclass(frozen=True)
class Ended:
    """A job (or endpoint) that ended, as its event says."""

    event_id: str
    account: str
    region: str
    workload: str
    job_name: str
    job_arn: str
    status: str  # SageMaker's word (Completed, Failed, Stopped, InService)
    ending: Ending
    failure_reason: str | None
    in_vpc: bool | None  # the detail's VpcConfig names subnets; None: it does not say


@dataclass(frozen=True)
class Skip:
    """Why the event is not compared (not an end, or malformed)."""

    reason: str


def is_state_change(event: Any) -> bool:
    """One of the state-change events compared here (routing only: `parse` validates)."""
    return (
        isinstance(event, dict)
        and event.get("source") == SOURCE
        and event.get("detail-type") in KINDS
    )


def parse(event: Any) -> Ended | Skip:
    """The job that ended, or why not: every field checked, nothing raised."""
    if not is_state_change(event):
        return Skip("not a SageMaker state-change event compared here")
    envelope = _envelope(event)
    if isinstance(envelope, Skip):
        return envelope
    account, region, event_id = envelope
    kind, detail = KINDS[event["detail-type"]], event["detail"]
    status = detail.get(f"{kind.prefix}Status")
    if not isinstance(status, str):
        return Skip(f"detail.{kind.prefix}Status is missing")
    ending = kind.endings.get(status)
    if ending is None:
        return Skip(f"{kind.prefix}Status {_shown(status)} is not an end")
    job = _job(kind, detail, account, region)
    if isinstance(job, Skip):
        return job
    reason = detail.get("FailureReason")
    if reason is not None and not isinstance(reason, str):
        return Skip("detail.FailureReason is not text")
    return Ended(
        event_id=event_id,
        account=account,
        region=region,
        workload=kind.workload,
        job_name=job[0],
        job_arn=job[1],
        status=status,
        ending=ending,
        failure_reason=reason[:MAX_FAILURE_REASON] if reason else None,
        in_vpc=_in_vpc(detail),
    )


def _envelope(event: dict[str, Any]) -> tuple[str, str, str] | Skip:
    """The event's account, region and id, each checked; the detail must be an object."""
    account, region, event_id = event.get("account"), event.get("region"), event.get("id")
    if not isinstance(event.get("detail"), dict):
        return Skip("the event has no detail object")
    if not (isinstance(account, str) and ACCOUNT_PATTERN.fullmatch(account)):
        return Skip("the event's account is not an account ID")
    if not (isinstance(region, str) and is_region(region)):
        return Skip("the event's region is not a region")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID):
        return Skip("the event has no usable id")
    return account, region, event_id


def _job(kind: Kind, detail: dict[str, Any], account: str, region: str) -> tuple[str, str] | Skip:
    """The job's name and ARN: SageMaker's shapes, the event's account and region, and the
    ARN naming the job (SageMaker lowers the name in ARNs)."""
    name, arn = detail.get(f"{kind.prefix}Name"), detail.get(f"{kind.prefix}Arn")
    if not (isinstance(name, str) and re.fullmatch(_NAME, name)):
        return Skip(f"detail.{kind.prefix}Name is not a SageMaker name")
    arn_pattern = rf"arn:aws[a-z-]*:sagemaker:{re.escape(region)}:{account}:{kind.resource}/{_NAME}"
    if not (isinstance(arn, str) and re.fullmatch(arn_pattern, arn)):
        return Skip(f"detail.{kind.prefix}Arn is not a {kind.resource} ARN of the event's account")
    if arn.rsplit("/", 1)[1].lower() != name.lower():
        return Skip(f"detail.{kind.prefix}Arn does not name detail.{kind.prefix}Name")
    return name, arn


def _in_vpc(detail: dict[str, Any]) -> bool | None:
    """Whether the detail's VpcConfig (top level, or a processing job's NetworkConfig) names
    subnets; None when the detail carries none (the events' documented fields need not)."""
    config = detail.get("VpcConfig")
    network = detail.get("NetworkConfig")
    if config is None and isinstance(network, dict):
        config = network.get("VpcConfig")
    if config is None:
        return None
    subnets = config.get("Subnets") if isinstance(config, dict) else None
    return isinstance(subnets, list) and len(subnets) > 0


def _shown(value: str) -> str:
    """A status quoted in a reason: short and printable, never the whole input."""
    return repr("".join(c for c in value[:32] if c.isprintable()))
