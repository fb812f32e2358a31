"""The function's environment is the engine's documented settings, and every value the
template's parameters allow is one the engine accepts (no stack that fails at cold start)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ir_vpc_guard.findings import FIXES, Mode
from ir_vpc_guard.intake.workloads import enabled
from ir_vpc_guard.settings import DOCUMENTED, NOTIFY_POLICIES, Settings
from tests.template.cfn import Stack, load, transformed

POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME": "ir-vpc-guard",
    "POWERTOOLS_METRICS_NAMESPACE": "IrVpcGuard",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",  # EnableTracing=false, the default
}
# Parameter -> the environment variable it sets (and which Settings validates).
PARAMETER_OF = {
    "REMEDIATION_MODE": "RemediationMode",
    "VPC_ALLOWLIST": "VpcAllowlist",
    "OPT_OUT_TAG_KEY": "OptOutTagKey",
    "REMEDIATION_ACTIONS": "RemediationActions",
    "NOTIFY_ON": "NotifyOn",
    "SECURITY_HUB": "EnableSecurityHub",
    "ALLOW_CROSS_ACCOUNT": "AllowCrossAccount",
    "SWEEP_MAX_JOBS": "SweepMaxJobs",
    "SWEEP_LOOKBACK_MINUTES": "SweepLookbackMinutes",
    "DEFAULT_JOB_INSTANCES": "DefaultJobInstances",
    "MUTE_LIST_PARAMETER": "MuteListParameter",
    "STOP_DOOMED_JOBS": "StopDoomedJobs",
    "WORKLOADS": "Workloads",
    "CONFIRM_OUTCOMES": "ConfirmOutcomes",
}


def environment(stack: Stack) -> dict[str, str]:
    variables: dict[str, Any] = stack.resource("GuardrailFunction")["Properties"]["Environment"]
    return {name: str(value) for name, value in variables["Variables"].items()}


def parameter(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = load()["Parameters"][name]
    return spec


def test_environment_is_exactly_the_documented_settings_and_powertools() -> None:
    env = environment(Stack(transformed()))
    assert set(env) == set(DOCUMENTED) | set(POWERTOOLS)
    assert {name: env[name] for name in POWERTOOLS} == POWERTOOLS


def test_each_setting_comes_from_its_parameter() -> None:
    variables = load()["Resources"]["GuardrailFunction"]["Properties"]["Environment"]
    for name, parameter_name in PARAMETER_OF.items():
        assert variables["Variables"][name] == {"Ref": parameter_name}, name


def test_template_defaults_are_the_engines_defaults() -> None:
    stack = Stack(transformed())
    loaded = Settings.from_env(environment(stack))
    assert loaded == Settings(
        topic_arn=stack.ref("AlertTopic"), idempotency_table=stack.ref("GuardrailTable")
    )


def test_documented_defaults_agree_with_parameter_defaults() -> None:
    for name, parameter_name in PARAMETER_OF.items():
        documented, _ = DOCUMENTED[name]
        default = str(parameter(parameter_name)["Default"])
        assert default == documented or (default == "" and documented.startswith("(empty")), name


def test_choices_are_the_engines_choices() -> None:
    assert parameter("RemediationMode")["AllowedValues"] == list(Mode)
    assert parameter("NotifyOn")["AllowedValues"] == list(NOTIFY_POLICIES)
    for name in ("EnableSecurityHub", "AllowCrossAccount", "StopDoomedJobs"):
        assert sorted(parameter(name)["AllowedValues"]) == ["false", "true"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"RemediationMode": "apply", "NotifyOn": "all", "EnableSecurityHub": "true"},
        {"AllowCrossAccount": "true", "EnableSweep": "false"},
        {
            "VpcAllowlist": "vpc-0123456789abcdef0,vpc-12345678",
            "RemediationActions": "add-s3-egress-rule",
        },
        {"ExistingTopicArn": "arn:aws:sns:eu-west-1:111122223333:central-findings"},
        {"SweepMaxJobs": "500", "SweepLookbackMinutes": "10080", "DefaultJobInstances": "1"},
        {"SweepMaxJobs": "1", "SweepLookbackMinutes": "0", "DefaultJobInstances": "100"},
        {"Workloads": "training"},
        {"Workloads": "training,inference-recommender"},
    ],
)
def test_parameter_choices_give_valid_settings(overrides: dict[str, str]) -> None:
    enabled(Settings.from_env(environment(Stack(transformed(), overrides))))


def test_number_ranges_are_the_engines_ranges() -> None:
    for name, low, high in (
        ("SweepMaxJobs", 1, 500),
        ("SweepLookbackMinutes", 0, 10080),
        ("DefaultJobInstances", 1, 100),
    ):
        spec = parameter(name)
        assert (spec["MinValue"], spec["MaxValue"]) == (low, high), name


def _allowed(name: str) -> re.Pattern[str]:
    # CloudFormation matches AllowedPattern against the whole value.
    return re.compile(parameter(name)["AllowedPattern"])


@settings(max_examples=60, deadline=None)
@given(
    allowlist=st.from_regex(_allowed("VpcAllowlist"), fullmatch=True),
    tag_key=st.from_regex(_allowed("OptOutTagKey"), fullmatch=True),
    actions=st.from_regex(_allowed("RemediationActions"), fullmatch=True),
    topic=st.from_regex(_allowed("ExistingTopicArn"), fullmatch=True),
    workloads=st.from_regex(_allowed("Workloads"), fullmatch=True),
)
def test_whatever_a_pattern_allows_the_engine_accepts(
    allowlist: str, tag_key: str, actions: str, topic: str, workloads: str
) -> None:
    env = {
        "VPC_ALLOWLIST": allowlist,
        "OPT_OUT_TAG_KEY": tag_key,
        "REMEDIATION_ACTIONS": actions,
        "TOPIC_ARN": topic,
        "WORKLOADS": workloads,
    }
    enabled(Settings.from_env(env))


def test_patterns_refuse_what_the_engine_refuses() -> None:
    for name, bad in (
        ("VpcAllowlist", "vpc-123"),
        ("VpcAllowlist", "vpc-0123456789abcdef0, vpc-12345678"),
        ("RemediationActions", "delete-everything"),
        ("Workloads", "labeling"),
        ("Workloads", "training,"),
        ("RemediationActions", ",".join(FIXES) + ","),
        ("ExistingTopicArn", "arn:aws:sqs:us-east-1:123456789012:queue"),
        ("SweepSchedule", "every 15 minutes"),
        ("SweepSchedule", "rate(0 minutes)"),
        ("AlertEmail", "not-an-address"),
    ):
        assert not _allowed(name).fullmatch(bad), (name, bad)
    for name, good in (
        ("RemediationActions", ",".join(FIXES)),
        ("SweepSchedule", "rate(15 minutes)"),
        ("SweepSchedule", "rate(1 hour)"),
        ("SweepSchedule", "cron(0/15 * * * ? *)"),
        ("AlertEmail", "secops@example.com"),
        (
            "ExistingTopicKmsKeyArn",
            "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        ),
    ):
        assert _allowed(name).fullmatch(good), (name, good)
