"""The transformed template deploys on moto's CloudFormation for the main parameter
combinations, in a region other than the central topic's, and the resources moto can
create are there with the settings the parameters chose.

moto's CloudFormation (5.2.5) does not create AWS::CloudWatch::Alarm, AWS::SNS::TopicPolicy,
AWS::SNS::Subscription, AWS::SQS::QueuePolicy or AWS::Lambda::EventInvokeConfig: it skips
them with a warning (the test asserts exactly that list, so support added later shows up
here), and it drops a function's TracingConfig (always PassThrough). Nothing is faked; the
alarms' targets and the tracing mode are proven on the transformed template instead
(tests/template/test_alarms.py, test_resources.py).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest

from tests.template.cfn import Stack, transformed

STACK_REGION = "eu-west-1"
CENTRAL_TOPIC = "arn:aws:sns:us-east-1:111122223333:org-security-findings"
MOTO_SKIPS = {
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::TopicPolicy",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
    "AWS::Lambda::EventInvokeConfig",
}
# Outside deploy() moto repeats its warning whenever it re-reads the template.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
COMBINATIONS = {
    "defaults": {},
    "apply-tracing": {
        "RemediationMode": "apply",
        "EnableTracing": "true",
        "VpcAllowlist": "vpc-0123456789abcdef0,vpc-12345678",
    },
    "central-topic-email": {"ExistingTopicArn": CENTRAL_TOPIC, "AlertEmail": "ops@example.com"},
    "central-named-alarm-topic": {
        "ExistingTopicArn": CENTRAL_TOPIC,
        "AlarmTopicName": "ops-alarms",
        "EnableSweep": "false",
        "EnableSecurityHub": "true",
    },
}


def upload_code(aws: Any, template: dict[str, Any]) -> None:
    """What `sam package` uploads: the S3 objects the transformed template points at."""
    s3 = aws.client("s3", region_name=STACK_REGION)
    s3.create_bucket(
        Bucket="artifacts-bucket",
        CreateBucketConfiguration={"LocationConstraint": STACK_REGION},
    )
    empty_zip = b"PK\x05\x06" + b"\0" * 18
    for resource in template["Resources"].values():
        for key in ("Code", "Content"):
            location = resource.get("Properties", {}).get(key)
            if isinstance(location, dict) and "S3Key" in location:
                s3.put_object(Bucket=location["S3Bucket"], Key=location["S3Key"], Body=empty_zip)


def deploy(aws: Any, overrides: dict[str, str]) -> tuple[dict[str, Any], set[str]]:
    """(the stack's resource summaries by logical ID, the resource types moto skipped)."""
    template = transformed()
    upload_code(aws, template)
    cfn = aws.client("cloudformation", region_name=STACK_REGION)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn.create_stack(
            StackName="ir-vpc-guard",
            TemplateBody=json.dumps(template),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in overrides.items()],
            Capabilities=["CAPABILITY_IAM"],
        )
    (stack,) = cfn.describe_stacks(StackName="ir-vpc-guard")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    summaries = cfn.list_stack_resources(StackName="ir-vpc-guard")["StackResourceSummaries"]
    created = {s["LogicalResourceId"]: s for s in summaries if s["LogicalResourceId"]}
    skipped = {
        str(w.message).split("parse ")[1].split(" ")[0]
        for w in caught
        if "not supported by moto" in str(w.message)
    }
    return created, skipped


@pytest.mark.parametrize("overrides", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_the_stack_is_created_with_what_the_parameters_chose(
    aws: Any, overrides: dict[str, str]
) -> None:
    created, skipped = deploy(aws, overrides)
    expected = Stack(transformed(), overrides, region=STACK_REGION)
    wanted = {
        logical_id: resource["Type"]
        for logical_id, resource in expected.template["Resources"].items()
        if expected.exists(logical_id)
    }
    assert skipped == MOTO_SKIPS & set(wanted.values())
    assert {k for k, kind in wanted.items() if kind not in MOTO_SKIPS} == set(created)
    assert all(s["ResourceStatus"] == "CREATE_COMPLETE" for s in created.values())

    function = aws.client("lambda", region_name=STACK_REGION).get_function(
        FunctionName=created["GuardrailFunction"]["PhysicalResourceId"]
    )
    config = function["Configuration"]
    env = config["Environment"]["Variables"]
    tracing = overrides.get("EnableTracing", "false") == "true"
    assert env["POWERTOOLS_TRACE_DISABLED"] == str(not tracing).lower()
    assert function["Concurrency"]["ReservedConcurrentExecutions"] == 5
    assert env["REMEDIATION_MODE"] == overrides.get("RemediationMode", "report")
    assert env["IDEMPOTENCY_TABLE"] == created["GuardrailTable"]["PhysicalResourceId"]
    topics = {
        t["TopicArn"] for t in aws.client("sns", region_name=STACK_REGION).list_topics()["Topics"]
    }
    if "ExistingTopicArn" in overrides:
        assert env["TOPIC_ARN"] == CENTRAL_TOPIC  # findings: the central topic
        alarm_topic = "AlarmTopic" if "AlarmTopicName" not in overrides else None
    else:
        assert env["TOPIC_ARN"] == created["AlertTopic"]["PhysicalResourceId"]
        alarm_topic = None
    if alarm_topic:
        assert created[alarm_topic]["PhysicalResourceId"] in topics
    assert all(arn.split(":")[3] == STACK_REGION for arn in topics)
    # The guard policies (IAM's own hold on the apply mode's scope) are on the role: the
    # write guard inline, the allowlist guard a managed policy of its own (its size cap).
    role = created["GuardrailFunctionRole"]["PhysicalResourceId"]
    iam = aws.client("iam")
    inline = set(iam.list_role_policies(RoleName=role)["PolicyNames"])
    attached = {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    }
    apply = overrides.get("RemediationMode") == "apply"
    assert ("ir-vpc-guard-write-guard" in inline) is apply
    assert ("AllowlistGuardPolicy" in created) is ("VpcAllowlist" in overrides)
    if "VpcAllowlist" in overrides:
        assert created["AllowlistGuardPolicy"]["PhysicalResourceId"] in attached
    rules = aws.client("events", region_name=STACK_REGION).list_rules()["Rules"]
    optional = ("EnableSweep", "ConfirmOutcomes")  # the schedule, the outcome rule
    assert len(rules) == 1 + sum(overrides.get(name) != "false" for name in optional)
