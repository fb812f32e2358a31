"""The channels a deployment delivers to: chosen by its settings, best effort before
required, and Security Hub's mapping imported only when SECURITY_HUB is on."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

from aws_lambda_powertools import Logger, Metrics

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery.channels import Channel, enabled_channels, specs
from ir_vpc_guard.delivery.channels.sns import SnsChannel
from ir_vpc_guard.settings import DOCUMENTED, Settings
from tests.conftest import ROOT

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ir-vpc-guard-findings"


def built(aws: Any, settings: Settings) -> list[Channel]:
    def clients_for(region: str) -> AwsClients:
        return AwsClients(region, session=aws)

    logger = Logger(service=f"channels-test-{uuid.uuid4().hex}")
    return enabled_channels(settings, clients_for, logger, Metrics(namespace="IrVpcGuard"))


def test_the_settings_choose_the_channels_best_effort_first(aws: Any) -> None:
    assert [(c.spec.name, type(c).__name__) for c in built(aws, Settings(topic_arn=TOPIC))] == [
        ("sns", "SnsChannel")
    ]
    both = built(aws, Settings(topic_arn=TOPIC, security_hub=True))
    assert [(c.spec.name, c.spec.required) for c in both] == [
        ("securityhub", False),
        ("sns", True),
    ]
    # Without a topic the required channel is still there, to say nothing is published.
    assert [type(c).__name__ for c in built(aws, Settings())] == ["Unset"]


def test_sns_publishes_in_the_topics_region(aws: Any) -> None:
    [sns] = built(aws, Settings(topic_arn=TOPIC))
    assert isinstance(sns, SnsChannel) and sns.sns.meta.region_name == "eu-west-1"


def test_every_channel_is_enabled_by_a_documented_setting_and_names_its_actions() -> None:
    for spec in specs():
        assert spec.setting in DOCUMENTED, spec.name
        assert spec.iam_actions and all("*" not in action for action in spec.iam_actions)


def test_security_hub_is_imported_only_when_enabled() -> None:
    """Cold start: a deployment without SECURITY_HUB never imports the ASFF mapping."""
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "PATH": ""}
    imported = {
        flag: subprocess.run(
            [sys.executable, "-c", IMPORTS, flag, TOPIC],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        ).stdout.strip()
        for flag in ("off", "on")
    }
    assert imported == {"off": "False", "on": "True"}


# A fresh interpreter builds the channels (SECURITY_HUB from argv) and says whether the
# Security Hub mapping was imported.
IMPORTS = """
import sys, boto3
from aws_lambda_powertools import Logger, Metrics
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.delivery.channels import enabled_channels
from ir_vpc_guard.settings import Settings
session = boto3.session.Session(region_name="us-east-1")
enabled_channels(
    Settings(topic_arn=sys.argv[2], security_hub=sys.argv[1] == "on"),
    lambda region: AwsClients(region, session=session),
    Logger(service="t"),
    Metrics(namespace="t"),
)
print("ir_vpc_guard.delivery.securityhub" in sys.modules)
"""
