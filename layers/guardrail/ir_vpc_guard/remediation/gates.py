"""Gates: whether a planned action may be applied (safe by default: report mode)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Mode, RemediationStatus
from ir_vpc_guard.remediation.actions import GROUP_ACTIONS, Action
from ir_vpc_guard.settings import Settings

OPT_OUT_VALUE = "false"


def opted_out(tags: Iterable[Mapping[str, object]] | None, tag_key: str) -> bool:
    """The tags (of a VPC, a group or a job) hold the opt-out tag with the value `false`
    (any case)."""
    return any(
        tag.get("Key") == tag_key and str(tag.get("Value", "")).strip().lower() == OPT_OUT_VALUE
        for tag in tags or []
    )


def gate(actions: list[Action], snapshot: Snapshot, settings: Settings) -> list[Action]:
    """Mark each action SKIPPED (with why), PLANNED (report mode) or ready to apply.

    Approved actions keep status PLANNED until the executor settles them. Only resources of
    the job's own account are ever written: never a shared VPC's endpoint or route tables.
    """
    return [_gate(action, snapshot, settings) for action in actions]


def _gate(action: Action, snapshot: Snapshot, settings: Settings) -> Action:
    if action.status is not RemediationStatus.PLANNED:
        return action  # already refused by the planner
    skip = _skip_reason(action, snapshot, settings)
    if skip:
        return action.settle(RemediationStatus.SKIPPED, skip)
    if settings.remediation_mode is not Mode.APPLY:
        return action.settle(
            RemediationStatus.PLANNED, "REMEDIATION_MODE is report: set apply to make this change"
        )
    return replace(action, approved=True, reason="approved for apply")


def _skip_reason(action: Action, snapshot: Snapshot, settings: Settings) -> str | None:
    if action.name not in settings.remediation_actions:
        return f"{action.name} is not in REMEDIATION_ACTIONS"
    if settings.vpc_allowlist and action.vpc_id not in settings.vpc_allowlist:
        return f"{action.vpc_id} is not in VPC_ALLOWLIST"
    key = settings.opt_out_tag_key
    account = snapshot.job.account
    writes_group = action.name in GROUP_ACTIONS
    if not writes_group and snapshot.shared_vpc:
        # The endpoint, its route tables and the VPC are all the owner's.
        return (
            f"{action.vpc_id} belongs to account {snapshot.vpc_owner}, not the job's account "
            f"{account}: the guardrail never writes another account's resources; ask the VPC "
            "owner to make this change"
        )
    if snapshot.vpc.ok:
        if opted_out(snapshot.vpc.get().get("Tags"), key):
            return f"{action.vpc_id} is tagged {key}={OPT_OUT_VALUE}"
    elif not (writes_group and snapshot.vpc.undetermined):
        # A shared VPC the guardrail may not read: the job's own group still decides for
        # itself (its tag); otherwise an unread VPC means its opt-out tag is unknown.
        return "the VPC's tags could not be read, so its opt-out tag is unknown"
    return _group_skip_reason(action, snapshot, key) if writes_group else None


def _group_skip_reason(action: Action, snapshot: Snapshot, key: str) -> str | None:
    """Judged for the group actually written and its own VPC, whatever the subnets say."""
    account = snapshot.job.account
    group = snapshot.security_groups.get().get(action.resource, {})
    if group.get("OwnerId") != account:
        return (
            f"{action.resource} belongs to account {group.get('OwnerId')}, not the job's "
            f"account {account}: the guardrail never writes another account's resources"
        )
    if group.get("VpcId") != action.vpc_id:
        return f"{action.resource} is not in {action.vpc_id} (it is in {group.get('VpcId')})"
    if opted_out(group.get("Tags"), key):
        return f"{action.resource} is tagged {key}={OPT_OUT_VALUE}"
    return None
