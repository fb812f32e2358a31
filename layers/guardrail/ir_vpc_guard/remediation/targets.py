"""What a fix writes. The kind alone decides the executor's track, whether the VPC's lock
is held, and which gates (ownership, opt-out tag, allowlist) an action must pass.

A gate answers why an action may not be applied, or None. They run in the order the
target lists them; the first refusal is the action's SKIPPED reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.settings import Settings

OPT_OUT_VALUE = "false"
VPC_UNREAD = "the VPC's tags could not be read, so its opt-out tag is unknown"


def opted_out(tags: Iterable[Mapping[str, object]] | None, tag_key: str) -> bool:
    """The tags (of a VPC, a group or a job) hold the opt-out tag with the value `false`
    (any case)."""
    return any(
        tag.get("Key") == tag_key and str(tag.get("Value", "")).strip().lower() == OPT_OUT_VALUE
        for tag in tags or []
    )


@dataclass(frozen=True, eq=False, repr=False)
class Scope:
    """What the gates judge an action against: the state read, the settings, the job, and
    the function's own account (the only one whose jobs are stopped)."""

    snapshot: Snapshot
    settings: Settings
    job: JobRequest
    home_account: str | None = None


Gate = Callable[[Action, Scope], str | None]


@dataclass(frozen=True)
class Target:
    """A kind of resource fixes write."""

    kind: str
    locked: bool  # written under the VPC's lock: two invocations could write the same thing
    gates: tuple[Gate, ...]

    def refusal(self, action: Action, scope: Scope) -> str | None:
        """Why this action may not be applied (the first gate that refuses), or None."""
        return next((why for why in (g(action, scope) for g in self.gates) if why), None)


def selected(action: Action, scope: Scope) -> str | None:
    if action.name not in scope.settings.remediation_actions:
        return f"{action.name} is not in REMEDIATION_ACTIONS"
    return None


def allowlisted(action: Action, scope: Scope) -> str | None:
    allowlist = scope.settings.vpc_allowlist
    if allowlist and action.vpc_id not in allowlist:
        return f"{action.vpc_id} is not in VPC_ALLOWLIST"
    return None


def vpc_of_the_job_account(action: Action, scope: Scope) -> str | None:
    """The VPC itself, its endpoint and its route tables are the owner's in a shared VPC."""
    snapshot = scope.snapshot
    if snapshot.shared_vpc:
        return (
            f"{action.vpc_id} belongs to account {snapshot.vpc_owner}, not the job's account "
            f"{snapshot.job.account}: the guardrail never writes another account's resources; "
            "ask the VPC owner to make this change"
        )
    return None


def _vpc_tags(action: Action, scope: Scope, *, unread_may_pass: bool) -> str | None:
    vpc = scope.snapshot.vpc
    key = scope.settings.opt_out_tag_key
    if not vpc.ok or vpc.value is None:
        # A shared VPC the guardrail may not read: a resource with its own tag (a group)
        # still decides for itself; otherwise an unread VPC means its opt-out is unknown.
        return None if unread_may_pass and vpc.undetermined else VPC_UNREAD
    if opted_out(vpc.value.get("Tags"), key):
        return f"{action.vpc_id} is tagged {key}={OPT_OUT_VALUE}"
    return None


def vpc_not_opted_out(action: Action, scope: Scope) -> str | None:
    return _vpc_tags(action, scope, unread_may_pass=False)


def vpc_not_opted_out_if_read(action: Action, scope: Scope) -> str | None:
    return _vpc_tags(action, scope, unread_may_pass=True)


def job_vpc_not_opted_out(action: Action, scope: Scope) -> str | None:
    """A job without a VPC has no VPC tag to honour."""
    return None if scope.snapshot.vpc_id is None else vpc_not_opted_out(action, scope)


def own_group(action: Action, scope: Scope) -> str | None:
    """Judged for the group actually written and its own VPC, whatever the subnets say."""
    account = scope.snapshot.job.account
    key = scope.settings.opt_out_tag_key
    group = scope.snapshot.security_groups.get().get(action.resource, {})
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


def own_job(action: Action, scope: Scope) -> str | None:
    job, home = scope.job, scope.home_account
    owner = str(job.job_arn).split(":")[4]
    if home is None or job.account != home or owner != home:
        return "the job is not the function's own account's: only its own jobs are stopped"
    return None


# The VPC's S3 gateway endpoint and its route tables: the VPC owner's resources.
VPC_ENDPOINT = Target(
    "vpc-endpoint",
    locked=True,
    gates=(selected, allowlisted, vpc_of_the_job_account, vpc_not_opted_out),
)
# A job security group: its own owner, VPC and opt-out tag decide, even in a shared VPC.
SECURITY_GROUP = Target(
    "security-group",
    locked=True,
    gates=(selected, allowlisted, vpc_not_opted_out_if_read, own_group),
)
# The job itself (a stop): the function's own account's, in a VPC not opted out. The job's
# own tag is read just before the stop (it may change while the job runs).
JOB = Target("job", locked=False, gates=(own_job, job_vpc_not_opted_out))
