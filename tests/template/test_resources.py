"""What the stack is made of: triggers, dead letters, the topic's policies, state, alarms."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard.delivery import metrics
from tests.template.cfn import ACCOUNT, PARTITION, Stack, as_list, load, statements, transformed


def _statement(stack: Stack, logical_id: str, sid: str) -> dict[str, Any]:
    document = stack.resource(logical_id)["Properties"]["PolicyDocument"]
    (found,) = [s for s in statements(document) if s.get("Sid") == sid]
    return found


def test_function_runtime_layer_and_limits() -> None:
    function = load()["Resources"]["GuardrailFunction"]["Properties"]
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "app.lambda_handler"
    assert function["CodeUri"] == "functions/guardrail/"
    assert function["Timeout"] == 120
    assert function["Layers"] == [{"Ref": "EngineLayer"}]
    layer = load()["Resources"]["EngineLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/guardrail/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    defaults = Stack(transformed()).resource("GuardrailFunction")["Properties"]
    assert defaults["MemorySize"] == "256"
    # Bounded by default: a burst of events cannot take the account's concurrency.
    assert defaults["ReservedConcurrentExecutions"] == "5"
    reserved = Stack(transformed(), {"ReservedConcurrency": "20"})
    assert (
        reserved.resource("GuardrailFunction")["Properties"]["ReservedConcurrentExecutions"] == "20"
    )
    assert load()["Parameters"]["ReservedConcurrency"]["MinValue"] >= 1, "never unbounded"


def test_tracing_is_off_unless_the_stack_turns_it_on() -> None:
    def traced(overrides: dict[str, str]) -> tuple[str, str]:
        function = Stack(transformed(), overrides).resource("GuardrailFunction")["Properties"]
        env = function["Environment"]["Variables"]
        return function["TracingConfig"]["Mode"], env["POWERTOOLS_TRACE_DISABLED"]

    assert traced({}) == ("PassThrough", "true")
    assert traced({"EnableTracing": "false"}) == ("PassThrough", "true")
    assert traced({"EnableTracing": "true"}) == ("Active", "false")


def test_async_failures_go_to_the_dead_letter_queue() -> None:
    config = Stack(transformed()).resource("GuardrailFunctionEventInvokeConfig")["Properties"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"] == {"OnFailure": {"Destination": "<DeadLetterQueue.Arn>"}}


def test_both_rules_retry_then_dead_letter_and_only_they_may_send() -> None:
    on = Stack(transformed(), {"EnableSweep": "true", "ConfirmOutcomes": "true"})
    rules = dict(on.resources("AWS::Events::Rule"))
    assert set(rules) == {"GuardrailFunctionCreateJob", "SweepRule", "OutcomeRule"}
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        assert target["Arn"] == "<GuardrailFunction.Arn>"
        assert target["DeadLetterConfig"] == {"Arn": "<DeadLetterQueue.Arn>"}
        assert set(target["RetryPolicy"]) == {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"}
    assert "EventBusName" not in rules["GuardrailFunctionCreateJob"]["Properties"]  # default bus
    send = _statement(on, "DeadLetterQueuePolicy", "AllowRuleDeadLetters")
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Action"] == "sqs:SendMessage"
    assert send["Condition"] == {
        "ArnEquals": {
            "aws:SourceArn": [
                "<GuardrailFunctionCreateJob.Arn>",
                "<SweepRule.Arn>",
                "<OutcomeRule.Arn>",
            ]
        }
    }
    off = Stack(transformed(), {"EnableSweep": "false", "ConfirmOutcomes": "false"})
    assert [name for name, _ in off.resources("AWS::Events::Rule")] == [
        "GuardrailFunctionCreateJob"
    ]
    assert not off.exists("SweepInvokePermission")
    assert not off.exists("OutcomeInvokePermission")
    send = _statement(off, "DeadLetterQueuePolicy", "AllowRuleDeadLetters")
    assert send["Condition"]["ArnEquals"]["aws:SourceArn"] == ["<GuardrailFunctionCreateJob.Arn>"]


def test_sweep_schedule_defaults_to_every_15_minutes() -> None:
    stack = Stack(transformed())
    assert stack.parameters["EnableSweep"] == "true"
    rule = stack.resource("SweepRule")["Properties"]
    assert rule["ScheduleExpression"] == "rate(15 minutes)"
    assert "Input" not in rule["Targets"][0], "the handler recognises the Scheduled Event itself"
    permission = stack.resource("SweepInvokePermission")["Properties"]
    assert permission["SourceArn"] == "<SweepRule.Arn>"
    assert permission["Principal"] == "events.amazonaws.com"
    hourly = Stack(transformed(), {"SweepSchedule": "rate(1 hour)"})
    assert hourly.resource("SweepRule")["Properties"]["ScheduleExpression"] == "rate(1 hour)"


def test_topic_refuses_plaintext_publishing_and_is_encrypted_with_a_rotated_key() -> None:
    stack = Stack(transformed())
    topic = stack.resource("AlertTopic")["Properties"]
    assert topic["KmsMasterKeyId"] == "<TopicKey.Arn>"
    key = stack.resource("TopicKey")["Properties"]
    assert key["EnableKeyRotation"] is True
    key_statements = statements(key["KeyPolicy"])
    assert {"AWS": f"arn:{PARTITION}:iam::{ACCOUNT}:root"} in [
        s["Principal"] for s in key_statements
    ]
    deny = _statement(stack, "AlertTopicPolicy", "DenyInsecurePublish")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Action"] == "sns:Publish"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for statement in statements(stack.resource("AlertTopicPolicy")["Properties"]["PolicyDocument"]):
        assert statement["Principal"] != "*" or statement["Effect"] == "Deny", statement


def test_table_for_idempotency_records_and_locks() -> None:
    table = Stack(transformed()).resource("GuardrailTable")["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_dead_letter_queue_is_encrypted_and_tls_only() -> None:
    stack = Stack(transformed())
    queue = stack.resource("DeadLetterQueue")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    deny = _statement(stack, "DeadLetterQueuePolicy", "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_alarms_on_errors_and_dead_letters_publish_to_the_topic() -> None:
    stack = Stack(transformed())
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"]
        for _, a in stack.resources("AWS::CloudWatch::Alarm")
    }
    assert set(alarms) == {"Errors", "ApproximateNumberOfMessagesVisible"}  # report mode
    errors, depth = alarms["Errors"], alarms["ApproximateNumberOfMessagesVisible"]
    assert errors["Namespace"] == "AWS/Lambda"
    assert errors["Dimensions"] == [
        {"Name": "FunctionName", "Value": stack.ref("GuardrailFunction")}
    ]
    assert depth["Namespace"] == "AWS/SQS"
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": "<DeadLetterQueue.QueueName>"}]
    for alarm in (errors, depth):
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
        assert alarm["AlarmActions"] == [stack.ref("AlertTopic")]


def test_apply_mode_alarms_on_the_guardrails_own_failed_fixes() -> None:
    stack = Stack(transformed(), {"RemediationMode": "apply"})
    [alarm] = [
        a["Properties"]
        for _, a in stack.resources("AWS::CloudWatch::Alarm")
        if a["Properties"]["MetricName"] == metrics.REMEDIATIONS_FAILED
    ]
    function = stack.resource("GuardrailFunction")["Properties"]["Environment"]["Variables"]
    assert alarm["Namespace"] == function["POWERTOOLS_METRICS_NAMESPACE"]
    assert alarm["Dimensions"] == [
        {"Name": "service", "Value": function["POWERTOOLS_SERVICE_NAME"]}
    ]
    assert alarm["AlarmActions"] == [stack.ref("AlertTopic")]


def test_log_group_is_the_functions_with_the_chosen_retention() -> None:
    stack = Stack(transformed(), {"LogRetentionDays": "30"})
    group = stack.resource("GuardrailLogGroup")["Properties"]
    assert group["LogGroupName"] == f"/aws/lambda/{stack.ref('GuardrailFunction')}"
    assert group["RetentionInDays"] == "30"


def test_outputs_name_what_a_user_needs_next() -> None:
    outputs = Stack(transformed()).value(transformed()["Outputs"])
    assert outputs["GuardrailFunctionArn"]["Value"] == "<GuardrailFunction.Arn>"
    assert outputs["TopicArn"]["Value"].startswith("arn:aws:sns:")
    assert outputs["DeadLetterQueueUrl"]["Value"].startswith("https://sqs.")
    assert outputs["TableName"]["Value"] == Stack(transformed()).ref("GuardrailTable")


def test_every_parameter_is_in_a_group_of_the_console_form() -> None:
    template = load()
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in as_list(group["Parameters"])]
    assert sorted(grouped) == sorted(template["Parameters"])
    assert len(grouped) == len(set(grouped))
