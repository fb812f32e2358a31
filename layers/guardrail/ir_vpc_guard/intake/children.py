"""Jobs SageMaker runs on behalf of a parent (a tuning job's training jobs, Autopilot's,
a labeling job's): judged once with their parent, never one report per child
(docs/event.md, "Jobs SageMaker creates for a parent").

CloudTrail records the training jobs a tuning job creates as service events
(`eventType: AwsServiceEvent`, EventBridge detail-type "AWS Service Event via CloudTrail"),
made by the service itself (`userIdentity.type: AWSService`); the Describe answer of such a
job names its parent (`TuningJobArn`, `AutoMLJobArn`, `LabelingJobArn`).
"""

from __future__ import annotations

import re

from ir_vpc_guard.intake.fields import matching, member

SERVICE = "sagemaker.amazonaws.com"
SERVICE_EVENT = "AwsServiceEvent"
# The members naming a parent, in a Describe answer (or, should CloudTrail carry them, a
# child's request or response), and what each parent is called in a reason.
PARENTS = {
    "tuningJobArn": "tuning job",
    "autoMLJobArn": "Autopilot job",
    "labelingJobArn": "labeling job",
}
# The parents that are covered workloads (intake/workloads/): their own event is judged.
JUDGED_PARENTS = {"tuning job"}
# The parents' ARNs (botocore's HyperParameterTuningJobArn, AutoMLJobArn, LabelingJobArn),
# the name part bounded: a reason never echoes anything else.
PARENT_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:"
    r"(hyper-parameter-tuning-job|automl-job|labeling-job)/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
)


def is_child(answer: object) -> str | None:
    """Why a job whose Describe answer (or request) names its parent is not judged alone,
    or None when it names none. The sweep calls it on each Describe answer."""
    for key, kind in PARENTS.items():
        value = member(answer, key)
        if value is None:
            continue
        arn = matching(value, PARENT_ARN)
        named = f"its {kind} {arn}" if arn else f"the {kind} its answer names"
        if kind in JUDGED_PARENTS:
            return f"judged with {named} (SageMaker runs this job for it), not alone"
        # Honest about the gap: one report per child would flood the topic, and the parent
        # itself is not a covered workload yet (docs/workloads.md).
        return (
            f"run by {named}, a workload the guardrail does not judge yet: not judged alone "
            "(one report per child job would flood the topic)"
        )
    return None


def made_for_parent(detail: object) -> str | None:
    """Why a CloudTrail record of a job SageMaker itself created is not judged alone, or
    None when a caller made it (a user's role; a pipeline's calls through the service with
    the customer's role are callers too: no covered workload judges a pipeline)."""
    for part in ("requestParameters", "responseElements"):
        named = is_child(member(detail, part))
        if named is not None:
            return named
    identity = member(detail, "userIdentity")
    by_service = member(identity, "type") == "AWSService" and member(identity, "invokedBy") in (
        SERVICE,
        None,
    )
    if by_service or member(detail, "eventType") == SERVICE_EVENT:
        return (
            "a job the SageMaker service created for a parent job (a tuning job's training "
            "job): judged with its parent's event, not alone"
        )
    return None
