"""What the Lambda invocation says before any check: which trigger, the ids to log and key
on, the function's own account, the region a sweep covers. Nothing here trusts its input."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard.arns import is_region
from ir_vpc_guard.intake.event import member
from ir_vpc_guard.intake.request import ACCOUNT_PATTERN, JOB_NAME

SCHEDULE_SOURCE, SCHEDULE_DETAIL_TYPE = "aws.events", "Scheduled Event"
# SageMaker's own state-change events whose ends are compared with the reports (the detail
# types outcomes/state_change.py's KINDS reads; the template's OutcomeRule sends these).
STATE_CHANGE_SOURCE = "aws.sagemaker"
STATE_CHANGE_DETAIL_TYPES = frozenset(
    {
        "SageMaker Training Job State Change",
        "SageMaker Processing Job State Change",
        "SageMaker Transform Job State Change",
        "SageMaker HyperParameter Tuning Job State Change",
        "SageMaker Endpoint State Change",
    }
)
MAX_CORRELATION_ID = 128
UNKNOWN = "unknown"


def is_schedule(event: Any) -> bool:
    """The catch-up schedule's event, not a CloudTrail record."""
    # Plain keys, not Powertools' EventBridgeEvent: importing its package loads every event
    # class (about 58 ms of cold start, benchmarks/RESULTS.md) for two lookups.
    return (
        isinstance(event, dict)
        and event.get("source") == SCHEDULE_SOURCE
        and event.get("detail-type") == SCHEDULE_DETAIL_TYPE
    )


def is_state_change(event: Any) -> bool:
    """One of the state-change events the outcomes compare (routing only: the outcome path's
    `state_change.parse` validates). Here, not in outcomes/, so that routing an event does
    not import the outcome package on the event path's cold start."""
    return (
        isinstance(event, dict)
        and event.get("source") == STATE_CHANGE_SOURCE
        and event.get("detail-type") in STATE_CHANGE_DETAIL_TYPES
    )


def correlation_id(event: Any) -> str:
    """The CloudTrail eventID (the schedule's event id for a sweep), when printable."""
    candidates: list[object] = []
    if isinstance(event, dict):
        candidates = [member(event.get("detail"), "eventID"), event.get("id")]
    return str(next((c for c in candidates if _printable(c)), UNKNOWN))


def has_event_id(event: Any) -> bool:
    """Whether `detail.eventID` (the idempotency key) is there: else nothing to key on."""
    detail = event.get("detail") if isinstance(event, dict) else None
    key = detail.get("eventID") if isinstance(detail, dict) else None
    return key is not None and key not in ("", [], {})


def job_name(event: Any) -> str:
    """The job the CloudTrail record names, for the log lines; "unknown" if not a name."""
    detail = event.get("detail") if isinstance(event, dict) else None
    name = member(member(detail, "requestParameters"), "jobName")
    return name if isinstance(name, str) and JOB_NAME.fullmatch(name) else UNKNOWN


def home_account(context: object) -> str:
    """The function's own account, field 4 of its ARN."""
    parts = str(getattr(context, "invoked_function_arn", "")).split(":")
    if len(parts) < 5 or not ACCOUNT_PATTERN.fullmatch(parts[4]):
        raise RuntimeError("cannot read the function's account from invoked_function_arn")
    return parts[4]


def sweep_region(event: Any, default: str) -> str:
    """The region the schedule's event names (its rule's region), else `default`."""
    region = event.get("region") if isinstance(event, dict) else None
    return region if isinstance(region, str) and is_region(region) else default


def _printable(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_CORRELATION_ID
        and value.isascii()
        and value.isprintable()
    )
