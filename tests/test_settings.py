"""Settings are validated at start: a bad value is a clear error, never a silent default."""

from __future__ import annotations

import pytest

from ir_vpc_guard.findings import FIXES, ActionName, Mode
from ir_vpc_guard.settings import Settings, SettingsError


def test_defaults_are_safe() -> None:
    settings = Settings.from_env({})
    assert settings.remediation_mode == "report"
    assert settings.vpc_allowlist == frozenset()
    assert settings.opt_out_tag_key == "ir-vpc-guard:remediate"
    assert settings.remediation_actions == frozenset(FIXES)
    assert settings.notify_on == "findings"
    assert not settings.security_hub
    assert not settings.allow_cross_account


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "REMEDIATION_MODE": " Apply ",
            "VPC_ALLOWLIST": "vpc-0123456789abcdef0, vpc-12345678",
            "OPT_OUT_TAG_KEY": "team:guardrail",
            "REMEDIATION_ACTIONS": "create-s3-gateway-endpoint",
            "NOTIFY_ON": "all",
            "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:ir-vpc-guard",
            "SECURITY_HUB": "true",
            "ALLOW_CROSS_ACCOUNT": "TRUE",
            "IDEMPOTENCY_TABLE": "ir-vpc-guard-table",
            "SWEEP_MAX_JOBS": "40",
            "SWEEP_LOOKBACK_MINUTES": "60",
            "DEFAULT_JOB_INSTANCES": "4",
            "MUTE_LIST_PARAMETER": "/ir-vpc-guard/mutes",
            "STOP_ON_CHECKS": "SUBNET_NOT_FOUND, VPC_MISMATCH",
            "WORKLOADS": " training ",
        }
    )
    assert settings == Settings(
        remediation_mode=Mode.APPLY,
        vpc_allowlist=frozenset({"vpc-0123456789abcdef0", "vpc-12345678"}),
        opt_out_tag_key="team:guardrail",
        remediation_actions=frozenset({ActionName("create-s3-gateway-endpoint")}),
        notify_on="all",
        topic_arn="arn:aws:sns:us-east-1:123456789012:ir-vpc-guard",
        security_hub=True,
        allow_cross_account=True,
        idempotency_table="ir-vpc-guard-table",
        sweep_max_jobs=40,
        sweep_lookback_minutes=60,
        default_job_instances=4,
        mute_list_parameter="/ir-vpc-guard/mutes",
        stop_on_checks=frozenset({"SUBNET_NOT_FOUND", "VPC_MISMATCH"}),
        workloads=frozenset({"training"}),
    )


# An environment with one bad variable, and the error it raises.
BAD_ENVIRONMENTS = [
    ({"REMEDIATION_MODE": "fix"}, "REMEDIATION_MODE must be one of report, apply"),
    ({"VPC_ALLOWLIST": "vpc-1,subnet-0123abcd"}, "VPC_ALLOWLIST has invalid entries"),
    ({"REMEDIATION_ACTIONS": "delete-everything"}, "unknown actions delete-everything"),
    ({"NOTIFY_ON": "never"}, "NOTIFY_ON must be one of findings, all"),
    ({"TOPIC_ARN": "my-topic"}, "TOPIC_ARN is not valid"),
    ({"SECURITY_HUB": "yes"}, "SECURITY_HUB must be one of false, true"),
    ({"SWEEP_MAX_JOBS": "0"}, "SWEEP_MAX_JOBS must be between 1 and 500"),
    ({"DEFAULT_JOB_INSTANCES": "ten"}, "DEFAULT_JOB_INSTANCES must be an integer"),
    ({"MUTE_LIST_PARAMETER": "mutes"}, "MUTE_LIST_PARAMETER is not valid"),
    ({"STOP_ON_CHECKS": "subnet_not_found"}, "STOP_ON_CHECKS has invalid entries"),
    ({"WORKLOADS": "Training"}, "WORKLOADS has invalid entries"),
]


@pytest.mark.parametrize(
    ("env", "message"), BAD_ENVIRONMENTS, ids=[name for env, _ in BAD_ENVIRONMENTS for name in env]
)
def test_bad_values_are_errors_that_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
