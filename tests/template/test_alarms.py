"""The health alarms notify a topic of the stack's own region, whatever the parameters.

CloudWatch alarm actions must be SNS topics in the alarm's region: a StackSet that points
every region's stack at one central findings topic must still create every stack.
"""

from __future__ import annotations

import itertools

import pytest

from tests.template.cfn import ACCOUNT, Stack, as_list, transformed

CENTRAL_REGION = "us-east-1"
CENTRAL_TOPIC = f"arn:aws:sns:{CENTRAL_REGION}:111122223333:org-security-findings"
STACK_REGIONS = ("eu-west-1", "ap-southeast-2", CENTRAL_REGION)
ACTION_KEYS = ("AlarmActions", "OKActions", "InsufficientDataActions")
COMBINATIONS = list(
    itertools.product(
        ("report", "apply"),
        ("", CENTRAL_TOPIC),  # ExistingTopicArn
        ("", "ops-alarms"),  # AlarmTopicName
        ("", "secops@example.com"),  # AlertEmail
        STACK_REGIONS,
    )
)


def alarm_actions(stack: Stack) -> dict[str, list[str]]:
    return {
        name: [a for key in ACTION_KEYS for a in as_list(alarm["Properties"].get(key, []))]
        for name, alarm in stack.resources("AWS::CloudWatch::Alarm")
    }


@pytest.mark.parametrize(("mode", "topic", "alarm_topic", "email", "region"), COMBINATIONS)
def test_every_alarm_action_is_a_topic_in_the_stacks_region(
    mode: str, topic: str, alarm_topic: str, email: str, region: str
) -> None:
    overrides = {
        "RemediationMode": mode,
        "ExistingTopicArn": topic,
        "AlarmTopicName": alarm_topic,
        "AlertEmail": email,
    }
    stack = Stack(transformed(), overrides, region=region)
    actions = alarm_actions(stack)
    assert len(actions) == (3 if mode == "apply" else 2)
    for name, arns in actions.items():
        assert arns, f"{name} notifies nobody"
        for arn in arns:
            service, arn_region, account = arn.split(":")[2:5]
            assert (service, arn_region, account) == ("sns", region, ACCOUNT), (name, arn)
    # Findings still go to the central topic when one is given.
    env = stack.resource("GuardrailFunction")["Properties"]["Environment"]["Variables"]
    assert env["TOPIC_ARN"] == (topic or stack.ref("AlertTopic"))


def test_the_alarm_topic_is_the_named_one_else_the_stacks() -> None:
    def targets(overrides: dict[str, str]) -> set[str]:
        stack = Stack(transformed(), overrides, region="eu-west-1")
        return {arn for arns in alarm_actions(stack).values() for arn in arns}

    own = Stack(transformed(), region="eu-west-1")
    assert targets({}) == {own.ref("AlertTopic")}
    central = Stack(transformed(), {"ExistingTopicArn": CENTRAL_TOPIC}, region="eu-west-1")
    assert targets({"ExistingTopicArn": CENTRAL_TOPIC}) == {central.ref("AlarmTopic")}
    named = {"ExistingTopicArn": CENTRAL_TOPIC, "AlarmTopicName": "ops-alarms"}
    assert targets(named) == {f"arn:aws:sns:eu-west-1:{ACCOUNT}:ops-alarms"}
    assert not Stack(transformed(), named).exists("AlarmTopic")


def test_the_stacks_alarm_topic_accepts_only_this_accounts_alarms_over_tls() -> None:
    stack = Stack(transformed(), {"ExistingTopicArn": CENTRAL_TOPIC})
    topic = stack.resource("AlarmTopic")["Properties"]
    assert topic["KmsMasterKeyId"] == "<TopicKey.Arn>"
    document = stack.resource("AlarmTopicPolicy")["Properties"]["PolicyDocument"]
    by_sid = {s["Sid"]: s for s in as_list(document["Statement"])}
    assert by_sid["DenyInsecurePublish"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alarms = by_sid["AllowAlarms"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    key = stack.resource("TopicKey")["Properties"]["KeyPolicy"]
    (cloudwatch,) = [s for s in as_list(key["Statement"]) if s["Sid"] == "AlarmsPublishEncrypted"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
