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

from ir_vpc_guard.arns import is_region, partition_of
from ir_vpc_guard.intake.children import is_child
from ir_vpc_guard.intake.invocation import is_state_change
from ir_vpc_guard.intake.request import ACCOUNT_PATTERN
from ir_vpc_guard.intake.workloads.endpoint import endpoint_part
from ir_vpc_guard.outcomes.verdict import Ending

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
            # AWS's sample event says IN_SERVICE (the page above), as events seen in the
            # field do, where DescribeEndpoint says InService: both are taken.
            {
                "IN_SERVICE": Ending.COMPLETED,
                "InService": Ending.COMPLETED,
                "FAILED": Ending.FAILED,
                "Failed": Ending.FAILED,
            },
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
    status: str  # SageMaker's word (Completed, Failed, Stopped, IN_SERVICE, ...)
    ending: Ending
    failure_reason: str | None
    in_vpc: bool | None  # the detail's VpcConfig names subnets; None: it does not say
    # Which of the job's recorded parts this end is about: an endpoint's config (each
    # CreateEndpoint or UpdateEndpoint is judged apart); None: every part of the job.
    scope: str | None = None

    @property
    def record(self) -> str:
        """The record this end is judged on (state/records.py): the job's, or for an
        endpoint its config's (`<arn>#endpoint config <name>`)."""
        return f"{self.job_arn}#{self.scope}" if self.scope else self.job_arn


@dataclass(frozen=True)
class Skip:
    """Why the event is not compared (not an end, or malformed)."""

    reason: str


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
    parent = is_child(detail)
    if parent is not None:
        # A tuning job's training job (or Autopilot's, a labeling job's) has no record of
        # its own: its end is no missed event, and its parent's end is judged.
        return Skip(f"a job SageMaker ran for a parent: {parent}")
    reason = detail.get("FailureReason")
    if reason is not None and not isinstance(reason, str):
        return Skip("detail.FailureReason is not text")
    scope = _scope(kind, detail, ending, reason)
    if isinstance(scope, Skip):
        return scope
    if ending is Ending.COMPLETED and _no_training_job_completed(kind, detail):
        # A tuning job that ended Completed with none of its training jobs completed ran
        # nothing that could prove a prediction wrong (its TrainingJobStatusCounters).
        return Skip("the tuning job completed with no training job completed")
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
        scope=scope,
    )


def _scope(
    kind: Kind, detail: dict[str, Any], ending: Ending, reason: str | None
) -> str | Skip | None:
    """An endpoint's end is its config's (`EndpointConfigName`, the part its report was
    recorded under); a job's is the whole job's (None)."""
    if kind.workload != "endpoint":
        return None
    if ending is Ending.COMPLETED and reason:
        # In service with a FailureReason: an update failed and the endpoint went back to
        # its config before, which is the one the event names, not the one that failed.
        return Skip(
            "in service with a FailureReason: an update failed and was rolled back; the event "
            "does not say which config failed, so none is judged"
        )
    config = detail.get("EndpointConfigName")
    if not (isinstance(config, str) and re.fullmatch(_NAME, config)):
        return Skip("detail.EndpointConfigName is not a SageMaker name")
    return endpoint_part(config)


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
    partition = re.escape(partition_of(region))
    arn_pattern = (
        rf"arn:{partition}:sagemaker:{re.escape(region)}:{account}:{kind.resource}/{_NAME}"
    )
    if not (isinstance(arn, str) and re.fullmatch(arn_pattern, arn)):
        return Skip(f"detail.{kind.prefix}Arn is not a {kind.resource} ARN of the event's account")
    if arn.rsplit("/", 1)[1].lower() != name.lower():
        return Skip(f"detail.{kind.prefix}Arn does not name detail.{kind.prefix}Name")
    return name, arn


def _no_training_job_completed(kind: Kind, detail: dict[str, Any]) -> bool:
    """Whether a tuning job's event counts no completed training job (False when it does not
    say: then its Completed is taken as it is)."""
    counters = detail.get("TrainingJobStatusCounters")
    if kind.workload != "tuning" or not isinstance(counters, dict):
        return False
    completed = counters.get("Completed")
    return isinstance(completed, int) and not isinstance(completed, bool) and completed == 0


def _in_vpc(detail: dict[str, Any]) -> bool | None:
    """Whether the detail's VpcConfig (top level, a processing job's NetworkConfig, a tuning
    job's training definitions) names subnets; None when the detail carries none (the
    events' documented fields need not)."""
    network = detail.get("NetworkConfig")
    definitions = detail.get("TrainingJobDefinitions")
    holders = [detail, network, detail.get("TrainingJobDefinition")]
    holders += definitions if isinstance(definitions, list) else []
    configs = [h["VpcConfig"] for h in holders if isinstance(h, dict) and "VpcConfig" in h]
    if not configs:
        return None
    return any(
        isinstance(c, dict) and isinstance(c.get("Subnets"), list) and len(c["Subnets"]) > 0
        for c in configs
    )


def _shown(value: str) -> str:
    """A status quoted in a reason: short and printable, never the whole input."""
    return repr("".join(c for c in value[:32] if c.isprintable()))
