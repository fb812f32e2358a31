"""Every setting, read from the environment once and validated: a bad value is an error.

The names are the template's environment variables; the README's configuration table is
generated from `DOCUMENTED` so the two never drift apart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ir_vpc_guard.findings import FIXES, ActionName, Mode

NOTIFY_POLICIES = ("findings", "all")
DEFAULT_OPT_OUT_TAG_KEY = "ir-vpc-guard:remediate"
VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}")
TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
TAG_KEY = re.compile(r"[\w.:/=+\-@ ]{1,128}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")  # IAM's RoleName pattern
# A hierarchical SSM parameter name: the template builds its ARN as `parameter${Name}`.
PARAMETER_NAME = re.compile(r"/[a-zA-Z0-9_.\-/]{1,1010}")
CHECK_ID = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
WORKLOAD_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")

# Environment variable -> (default, meaning): the documented surface of the product.
DOCUMENTED: dict[str, tuple[str, str]] = {
    "REMEDIATION_MODE": (
        Mode.REPORT,
        f"`{Mode.REPORT}` plans fixes only; `{Mode.APPLY}` makes them.",
    ),
    "VPC_ALLOWLIST": (
        "(empty: all)",
        "Comma-separated VPC IDs where `apply` may write (at most 50).",
    ),
    "OPT_OUT_TAG_KEY": (
        DEFAULT_OPT_OUT_TAG_KEY,
        "A VPC or security group with this tag set to `false` is never changed.",
    ),
    "REMEDIATION_ACTIONS": (
        "(empty: all)",
        "Comma-separated subset of " + ", ".join(f"`{a}`" for a in FIXES) + ".",
    ),
    "NOTIFY_ON": (
        "findings",
        "`findings`: publish only when something is wrong or was changed; `all`: always.",
    ),
    "TOPIC_ARN": ("(none)", "SNS topic the reports go to (the stack's, or a central one)."),
    "SECURITY_HUB": ("false", "`true` also imports one ASFF finding per check into Security Hub."),
    "ALLOW_CROSS_ACCOUNT": ("false", "`true` checks events whose account is not the function's."),
    "IDEMPOTENCY_TABLE": ("(none)", "DynamoDB table for idempotency, job records and VPC locks."),
    "SWEEP_MAX_JOBS": ("25", "Most jobs one catch-up sweep checks (1-500)."),
    "SWEEP_LOOKBACK_MINUTES": ("0", "Sweep only jobs created this recently; 0 means any age."),
    "DEFAULT_JOB_INSTANCES": ("10", "Instances assumed when a job sets no parallelism (1-100)."),
    "VPC_OWNER_READ_ROLE_NAME": (
        "(none)",
        "Role assumed in a shared VPC's owner account to read its route tables, endpoints, "
        "network ACLs and DNS settings; the template needs `VpcOwnerOrganizationId` or "
        "`VpcOwnerAccounts` with it (docs/deployment.md).",
    ),
    "STOP_DOOMED_JOBS": (
        "false",
        "`true` (with `apply`) stops a PENDING/IN_PROGRESS job a certain HIGH finding dooms.",
    ),
    "STOP_ON_CHECKS": (
        "(empty: the documented list)",
        "Comma-separated check IDs whose certain HIGH may stop a job (README, "
        '"Stopping doomed jobs"); a subset starts narrow.',
    ),
    "MUTE_LIST_PARAMETER": (
        "(empty: none)",
        "SSM String parameter (a name starting with `/`) holding the mute list JSON.",
    ),
    "WORKLOADS": (
        "(empty: all)",
        "Comma-separated workloads to check (docs/workloads.md names them); another "
        "workload's event is skipped with its reason, an unknown name stops the function "
        "at cold start.",
    ),
    "CONFIRM_OUTCOMES": (
        "true",
        "`true` compares each checked job's real end with its report (docs/operations.md, "
        '"Verdicts confirmed by what happened"); `false` never does.',
    ),
}


class SettingsError(ValueError):
    """A setting has a value the guardrail refuses to guess about."""


@dataclass(frozen=True)
class Settings:
    remediation_mode: Mode = Mode.REPORT
    vpc_allowlist: frozenset[str] = frozenset()
    opt_out_tag_key: str = DEFAULT_OPT_OUT_TAG_KEY
    remediation_actions: frozenset[ActionName] = frozenset(FIXES)
    notify_on: str = "findings"
    topic_arn: str | None = None
    security_hub: bool = False
    allow_cross_account: bool = False
    idempotency_table: str | None = None
    sweep_max_jobs: int = 25
    sweep_lookback_minutes: int = 0
    default_job_instances: int = 10
    vpc_owner_read_role_name: str | None = None
    mute_list_parameter: str | None = None
    stop_doomed_jobs: bool = False
    # The checks that may stop a job; None: the documented list (remediation/stopping.py,
    # which also refuses, at cold start, a name that is not a check that may stop one).
    stop_on_checks: frozenset[str] | None = None
    # The workloads whose events are checked (intake skips the others, with a reason);
    # None: every registered one (intake/workloads/__init__.py, which also refuses, at cold
    # start, a name that is not a workload's).
    workloads: frozenset[str] | None = None
    # Compare each checked job's end (state-change events, Inference Recommender Describes)
    # with its report: outcomes/.
    confirm_outcomes: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            remediation_mode=Mode(_choice(env, "REMEDIATION_MODE", tuple(Mode))),
            vpc_allowlist=frozenset(_list(env, "VPC_ALLOWLIST", VPC_ID)),
            opt_out_tag_key=_pattern(env, "OPT_OUT_TAG_KEY", TAG_KEY) or DEFAULT_OPT_OUT_TAG_KEY,
            remediation_actions=_actions(env),
            notify_on=_choice(env, "NOTIFY_ON", NOTIFY_POLICIES),
            topic_arn=_pattern(env, "TOPIC_ARN", TOPIC_ARN),
            security_hub=_bool(env, "SECURITY_HUB"),
            allow_cross_account=_bool(env, "ALLOW_CROSS_ACCOUNT"),
            idempotency_table=_pattern(env, "IDEMPOTENCY_TABLE", TABLE_NAME),
            sweep_max_jobs=_int(env, "SWEEP_MAX_JOBS", 25, low=1, high=500),
            sweep_lookback_minutes=_int(env, "SWEEP_LOOKBACK_MINUTES", 0, low=0, high=10080),
            default_job_instances=_int(env, "DEFAULT_JOB_INSTANCES", 10, low=1, high=100),
            vpc_owner_read_role_name=_pattern(env, "VPC_OWNER_READ_ROLE_NAME", ROLE_NAME),
            mute_list_parameter=_pattern(env, "MUTE_LIST_PARAMETER", PARAMETER_NAME),
            stop_doomed_jobs=_bool(env, "STOP_DOOMED_JOBS"),
            stop_on_checks=frozenset(_list(env, "STOP_ON_CHECKS", CHECK_ID)) or None,
            workloads=frozenset(_list(env, "WORKLOADS", WORKLOAD_NAME)) or None,
            confirm_outcomes=_choice(env, "CONFIRM_OUTCOMES", ("true", "false")) == "true",
        )


def _raw(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = _raw(env, name).lower() or choices[0]
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    return _choice(env, name, ("false", "true")) == "true"


def _pattern(env: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str | None:
    value = _raw(env, name)
    if not value:
        return None
    if not pattern.fullmatch(value):
        raise SettingsError(f"{name} is not valid: {value!r}")
    return value


def _list(env: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> list[str]:
    items = [item.strip() for item in _raw(env, name).split(",") if item.strip()]
    bad = [item for item in items if not pattern.fullmatch(item)]
    if bad:
        raise SettingsError(f"{name} has invalid entries: {', '.join(map(repr, bad))}")
    return items


def _actions(env: Mapping[str, str]) -> frozenset[ActionName]:
    names = [item.strip() for item in _raw(env, "REMEDIATION_ACTIONS").split(",") if item.strip()]
    unknown = sorted(set(names) - set(FIXES))
    if unknown:
        raise SettingsError(
            f"REMEDIATION_ACTIONS has unknown actions {', '.join(unknown)}; "
            f"known: {', '.join(FIXES)}"
        )
    return frozenset(ActionName(name) for name in names) or frozenset(FIXES)


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = _raw(env, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value
