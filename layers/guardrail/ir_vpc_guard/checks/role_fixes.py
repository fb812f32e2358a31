"""R8: why the role is refused an action, and the command that fits that cause.

An explicit Deny is fixed in the policy and statement that deny; a permissions boundary must
allow the actions itself (it never grants); only a missing Allow is fixed by a grant, and
never by attaching a policy the role already has or one that lacks the actions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ir_vpc_guard.arns import managed_policy_arn
from ir_vpc_guard.checks import policy
from ir_vpc_guard.discovery.snapshot import RoleAccess, Source
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.requirements import (
    ROLE_ADVISORY_ACTIONS,
    ROLE_REQUIRED_ACTIONS,
    SAGEMAKER_FULL_ACCESS,
)

# The actions AWS's AmazonSageMakerFullAccess grants of those the job needs.
FULL_ACCESS_GRANTS = frozenset(ROLE_REQUIRED_ACTIONS) - frozenset(ROLE_ADVISORY_ACTIONS)
INLINE_GRANT_NAME = "ir-vpc-guard-eni-access"


class Cause(StrEnum):
    DENY = "explicit Deny"
    BOUNDARY = "permissions boundary"
    NO_ALLOW = "no Allow"
    UNKNOWN = "undetermined"


@dataclass(frozen=True, eq=False, repr=False)
class Refusal:
    evaluation: policy.Evaluation
    cause: Cause
    sources: tuple[Source, ...] = ()


def fix_command(job: JobRequest, access: RoleAccess, refused: Mapping[str, Refusal]) -> str:
    """One command per cause found, joined with `; `."""
    name = str(job.role_arn).rsplit("/", 1)[-1]
    by_cause: dict[Cause, list[str]] = {}
    for action, refusal in refused.items():
        by_cause.setdefault(refusal.cause, []).append(action)
    parts = []
    denies = {s: None for a in by_cause.get(Cause.DENY, ()) for s in refused[a].sources}
    for source in denies:
        actions = [a for a in by_cause[Cause.DENY] if source in refused[a].sources]
        parts.append(_deny_command(name, source, actions))
    if Cause.DENY in by_cause and not denies:
        parts.append(_explain_deny(job, by_cause[Cause.DENY]))
    if Cause.BOUNDARY in by_cause:
        parts.append(_boundary_command(name, access, by_cause[Cause.BOUNDARY]))
    if Cause.NO_ALLOW in by_cause:
        parts.append(_grant_command(job, name, access, by_cause[Cause.NO_ALLOW]))
    return "; ".join(parts)


def _deny_command(role: str, source: Source, actions: list[str]) -> str:
    change = (
        f"# change statement {source.statement} of {source.policy}: it denies {', '.join(actions)}"
    )
    if source.kind == "inline":
        return (
            f"aws iam get-role-policy --role-name {role} --policy-name {source.policy}  {change}, "
            f"then aws iam put-role-policy --role-name {role} --policy-name {source.policy}"
        )
    if source.kind == "managed" and ":iam::aws:policy/" in source.policy:
        # AWS's own policies cannot be edited: the role must stop using this one.
        return (
            f"aws iam detach-role-policy --role-name {role} --policy-arn {source.policy}  "
            f"# {source.policy} is AWS-managed and cannot be changed; statement "
            f"{source.statement} denies {', '.join(actions)}"
        )
    if source.kind in {"managed", "boundary"} and source.policy.startswith("arn:"):
        return (
            f"aws iam get-policy --policy-arn {source.policy}  {change}, then aws iam "
            f"create-policy-version --policy-arn {source.policy} --set-as-default"
        )
    return f"aws iam list-attached-role-policies --role-name {role}  {change}"


def _explain_deny(job: JobRequest, actions: list[str]) -> str:
    return (
        f"aws iam simulate-principal-policy --policy-source-arn {job.role_arn} "
        f"--action-names {' '.join(actions)}  # MatchedStatements names the denying statement"
    )


def _boundary_command(role: str, access: RoleAccess, actions: list[str]) -> str:
    where = access.boundary_arn or "the role's permissions boundary"
    return (
        f"aws iam get-role --role-name {role} --query Role.PermissionsBoundary  "
        f"# the permissions boundary ({where}) must allow {', '.join(actions)} too: a "
        "boundary never grants, and it is what refuses them here"
    )


def _grant_command(job: JobRequest, role: str, access: RoleAccess, actions: list[str]) -> str:
    managed = managed_policy_arn(job.partition, SAGEMAKER_FULL_ACCESS)
    if managed not in access.attached_policy_arns and set(actions) <= FULL_ACCESS_GRANTS:
        return f"aws iam attach-role-policy --role-name {role} --policy-arn {managed}"
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": sorted(actions), "Resource": "*"}],
    }
    return (
        f"aws iam put-role-policy --role-name {role} --policy-name {INLINE_GRANT_NAME} "
        f"--policy-document '{json.dumps(document, separators=(',', ':'))}'"
    )
