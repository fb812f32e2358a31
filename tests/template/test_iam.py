"""The function's role grants exactly the IAM actions the engine declares, for every mode.

Read from the template after the SAM transform, evaluated for each combination of
remediation mode, sweep, Security Hub and topic choice: the same policy CloudFormation
would attach to a stack created with those parameters.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

import pytest

from ir_vpc_guard.delivery import channels
from ir_vpc_guard.delivery.channels import security_hub, sns
from ir_vpc_guard.delivery.mutes import MUTE_LIST_ACTIONS
from ir_vpc_guard.discovery.discover import READ_ACTIONS
from ir_vpc_guard.discovery.shared_vpc import OWNER_ROLE_ACTIONS
from ir_vpc_guard.intake.sagemaker_jobs import SWEEP_ACTIONS, sweep_actions
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.remediation.fix import Unit
from ir_vpc_guard.remediation.fixes import FIX_UNITS, STOP_UNITS
from ir_vpc_guard.remediation.fixes.stop_job import stop_grant
from ir_vpc_guard.remediation.permissions import LOCK_ACTIONS
from ir_vpc_guard.state.false_alarms import DynamoFalseAlarms
from ir_vpc_guard.state.records import TABLE_ACTIONS
from tests.lambda_context import create_table
from tests.template.cfn import (
    ACCOUNT,
    PARTITION,
    REGION,
    Stack,
    as_list,
    function_environment,
    statements,
    transformed,
)

ROLE = "GuardrailFunctionRole"
JOB_POLICIES = ("SweepJobsPolicy", "StopJobsPolicy")  # managed: the sweep's, the stop's
CENTRAL_TOPIC = "arn:aws:sns:us-east-1:111122223333:org-security-findings"
CENTRAL_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


TOPIC_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")  # publishing to an encrypted topic
DESTINATION_ACTIONS = ("sqs:SendMessage",)  # the OnFailure destination (SAM adds it)
# The AWS managed policies SAM attaches to a role it makes, and what they allow: logs for
# every function, X-Ray because Tracing is Active. Nothing else may be attached.
SAM_MANAGED_POLICIES = {
    "service-role/AWSLambdaBasicExecutionRole": (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ),
    "AWSXrayWriteOnlyAccess": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ),
}
# Actions without resource-level permissions: the only ones allowed on "*".
UNSCOPABLE = {
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSecurityGroupVpcAssociations",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribePrefixLists",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeNatGateways",
    # The sweep's List calls have no resource type (each swept workload's).
    *(f"sagemaker:{w.list_api}" for w in WORKLOADS.values() if w.list_summaries),
    "s3:ListAllMyBuckets",  # only "*" (Service Authorization Reference, Amazon S3)
}
READ_VERBS = ("Describe", "Get", "List", "Simulate", "BatchGet")
TOPICS = {
    "own": {},
    "central": {"ExistingTopicArn": CENTRAL_TOPIC},
    "central-encrypted": {"ExistingTopicArn": CENTRAL_TOPIC, "ExistingTopicKmsKeyArn": CENTRAL_KEY},
}
MUTE_PARAMETER = "/ir-vpc-guard/mutes"
COMBINATIONS = list(
    itertools.product(
        ("report", "apply"), ("true", "false"), ("false", "true"), TOPICS, ("", MUTE_PARAMETER)
    )
)


def union(groups: Iterable[Iterable[str]]) -> set[str]:
    return {action for group in groups for action in group}


# What the registry declares: every fix in apply mode, the stop with StopDoomedJobs too.
WRITE_ACTIONS = union(unit.iam_actions for unit in FIX_UNITS.values())
STOP_ACTIONS = union(unit.iam_actions for unit in STOP_UNITS)


def stack(
    mode: str, sweep: str, hub: str, topic: str, mutes: str = "", *, stop: str = "false"
) -> Stack:
    parameters = {
        "RemediationMode": mode,
        "EnableSweep": sweep,
        "EnableSecurityHub": hub,
        "MuteListParameter": mutes,
        "StopDoomedJobs": stop,
    }
    return Stack(transformed(), parameters | TOPICS[topic])


def role_statements(stack: Stack) -> list[dict[str, Any]]:
    """The role's inline policies' statements and those of its job managed policies (the
    sweep's and the stop's SageMaker calls; the guard policies only deny)."""
    role = stack.resource(ROLE)["Properties"]
    documents = [policy["PolicyDocument"] for policy in role["Policies"]]
    for name in filter(stack.exists, JOB_POLICIES):
        job_policy = stack.resource(name)["Properties"]
        assert job_policy["Roles"] == [stack.ref(ROLE)]
        documents.append(job_policy["PolicyDocument"])
    return [s for document in documents for s in statements(document)]


def managed_actions(stack: Stack) -> set[str]:
    arns = stack.resource(ROLE)["Properties"].get("ManagedPolicyArns", [])
    names = [arn.removeprefix(f"arn:{PARTITION}:iam::aws:policy/") for arn in arns]
    assert sorted(names) == sorted(SAM_MANAGED_POLICIES), f"unexpected managed policies {arns}"
    return union(SAM_MANAGED_POLICIES[name] for name in names)


def granted(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Each allowed action of the inline policies -> the statements that allow it."""
    by_action: dict[str, list[dict[str, Any]]] = {}
    for statement in role_statements(stack):
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).append(statement)
    return by_action


def expected(
    mode: str, sweep: str, hub: str, topic: str, mutes: str, *, stop: str = "false"
) -> set[str]:
    actions = union(READ_ACTIONS.values()) | set(TABLE_ACTIONS) | set(sns.SPEC.iam_actions)
    # The reads a workload's intake makes on the event path (an endpoint's config and models).
    actions |= union(w.expand_actions for w in WORKLOADS.values())
    actions |= set(DESTINATION_ACTIONS)
    if topic != "central":  # the stack's own key, or the central topic's key
        actions |= set(TOPIC_KEY_ACTIONS)
    if mode == "apply":
        actions |= WRITE_ACTIONS | set(LOCK_ACTIONS)
    if sweep == "true":
        actions |= set(SWEEP_ACTIONS)
    if hub == "true":
        actions |= set(security_hub.SPEC.iam_actions)
    if mutes:
        actions |= set(MUTE_LIST_ACTIONS)
    if stop == "true" and mode == "apply":
        actions |= STOP_ACTIONS
    return actions


@pytest.mark.parametrize(("mode", "sweep", "hub", "topic", "mutes"), COMBINATIONS)
def test_role_grants_exactly_the_declared_actions(
    mode: str, sweep: str, hub: str, topic: str, mutes: str
) -> None:
    guard = stack(mode, sweep, hub, topic, mutes)
    inline = set(granted(guard))
    want = expected(mode, sweep, hub, topic, mutes)
    assert inline == want, f"missing {sorted(want - inline)}, extra {sorted(inline - want)}"
    everything = inline | managed_actions(guard)
    assert not [a for a in everything if "*" in a], "no wildcard actions"


@pytest.mark.parametrize("spec", channels.specs(), ids=lambda spec: spec.name)
def test_each_channels_statement_grants_what_the_channel_declares(
    spec: channels.ChannelSpec,
) -> None:
    """Walks the channels (delivery/channels/): a new channel's module, its setting and its
    template statement agree, or this fails."""
    every_channel_on = stack("report", "false", "true", "own")
    [statement] = [s for s in role_statements(every_channel_on) if s.get("Sid") == spec.statement]
    assert sorted(as_list(statement["Action"])) == sorted(spec.iam_actions)
    assert spec.setting in function_environment()


@pytest.mark.parametrize(
    ("mode", "sweep", "stop"),
    list(itertools.product(("report", "apply"), ("true", "false"), ("true",))),
)
def test_stopping_jobs_is_granted_only_with_the_parameter_in_apply_mode(
    mode: str, sweep: str, stop: str
) -> None:
    grants = granted(stack(mode, sweep, "false", "own", stop=stop))
    assert set(grants) == expected(mode, sweep, "false", "own", "", stop=stop)
    stops = grants.get("sagemaker:StopInferenceRecommendationsJob", [])
    assert bool(stops) is (mode == "apply")
    # Each workload's stop actions on its own jobs only (training-job/*, processing-job/*...).
    scoped = {
        grant.arns(PARTITION, REGION, ACCOUNT): set(grant.actions)
        for unit in STOP_UNITS
        for grant in unit.grants
    }
    for action in STOP_ACTIONS:
        for statement in grants.get(action, []):
            assert action in scoped[tuple(as_list(statement["Resource"]))], action


Statement = tuple[str, tuple[str, ...], str]  # an action, its resources, its condition


def declared(units: Iterable[Unit]) -> set[Statement]:
    """The statements the registry's units declare, as this stack would grant them."""
    return {
        (action, grant.arns(PARTITION, REGION, ACCOUNT), json.dumps(grant.conditions(REGION)))
        for unit in units
        for grant in unit.grants
        for action in grant.actions
    }


def granted_statements(stack: Stack, actions: set[str]) -> set[Statement]:
    return {
        (action, tuple(as_list(s["Resource"])), json.dumps(s.get("Condition", {})))
        for action, statements_ in granted(stack).items()
        if action in actions
        for s in statements_
    }


@pytest.mark.parametrize(
    ("mode", "stop"), list(itertools.product(("report", "apply"), ("false", "true")))
)
def test_the_roles_fix_and_stop_statements_are_the_registrys(mode: str, stop: str) -> None:
    """Walks the registry (as Cloud Custodian's permission test walks its actions): each
    unit's statements, resources and conditions included, exactly when its setting is on."""
    units: list[Unit] = []
    if mode == "apply":
        units += FIX_UNITS.values()
        units += STOP_UNITS if stop == "true" else ()
    every = WRITE_ACTIONS | STOP_ACTIONS
    guard = stack(mode, "false", "false", "own", stop=stop)
    assert granted_statements(guard, every) == declared(units)


@pytest.mark.parametrize(
    "workloads",
    ["", "training", "processing", "inference-recommender,training", ",".join(reversed(WORKLOADS))],
)
def test_the_sweep_and_stop_statements_are_the_enabled_workloads_own(workloads: str) -> None:
    """Walks the registry: each workload the Workloads parameter names (empty: all) gets its
    List (on "*": no resource type), Describe and Stop on its own jobs, and no other does."""
    names = set(workloads.split(",")) if workloads else set(WORKLOADS)
    parameters = {"RemediationMode": "apply", "EnableSweep": "true", "StopDoomedJobs": "true"}
    guard = Stack(transformed(), parameters | {"Workloads": workloads})
    job_actions = set(SWEEP_ACTIONS) | STOP_ACTIONS
    want: set[tuple[str, tuple[str, ...]]] = set()
    for name in names:
        workload = WORKLOADS[name]
        jobs = (f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:{workload.arn_resource}/*",)
        if sweep_actions(workload):  # a model or an endpoint is not swept
            listing, describe = sweep_actions(workload)
            want |= {(listing, ("*",)), (describe, jobs)}
        if workload.stop_api:  # an endpoint is never stopped
            want |= {
                (a, stop_grant(workload).arns(PARTITION, REGION, ACCOUNT))
                for a in stop_grant(workload).actions
            }
    got = {
        (action, tuple(as_list(s["Resource"])))
        for action, statements_ in granted(guard).items()
        if action in job_actions
        for s in statements_
    }
    assert got == want


@pytest.mark.parametrize(("mode", "sweep", "hub", "topic", "mutes"), COMBINATIONS)
def test_nothing_destructive_and_nothing_unscoped(
    mode: str, sweep: str, hub: str, topic: str, mutes: str
) -> None:
    for action, grants in granted(stack(mode, sweep, hub, topic, mutes)).items():
        service, verb = action.split(":")
        assert not verb.startswith(("Delete", "Revoke", "Detach", "Replace", "Disassociate")) or (
            action == "dynamodb:DeleteItem"
        ), action
        assert not (service == "iam" and verb.startswith(("Put", "Attach", "Create", "Update")))
        assert not (service == "s3" and verb.startswith("Put")), action
        for statement in grants:
            if "*" in as_list(statement["Resource"]):
                assert action in UNSCOPABLE, f"{action} is allowed on '*'"


def test_shared_vpc_read_role_is_assumable_only_when_named_and_only_by_that_name() -> None:
    for mode in ("report", "apply"):
        plain = stack(mode, "false", "false", "own")
        assert not set(OWNER_ROLE_ACTIONS) & set(granted(plain))
        named = Stack(
            transformed(),
            {"RemediationMode": mode, "EnableSweep": "false", "EnableSecurityHub": "false"}
            | {"VpcOwnerReadRoleName": "ir-vpc-guard-owner-read"}
            | {"VpcOwnerOrganizationId": "o-a1b2c3d4e5"},
        )
        grants = granted(named)
        assert set(grants) == expected(mode, "false", "false", "own", "") | set(OWNER_ROLE_ACTIONS)
        (assume,) = grants["sts:AssumeRole"]
        assert as_list(assume["Resource"]) == [
            f"arn:{PARTITION}:iam::*:role/ir-vpc-guard-owner-read"
        ]
        # tests/template/test_iam_scope.py judges where the condition lets it be assumed.
        assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "o-a1b2c3d4e5"}}
        env = named.resource("GuardrailFunction")["Properties"]["Environment"]["Variables"]
        assert env["VPC_OWNER_READ_ROLE_NAME"] == "ir-vpc-guard-owner-read"


def test_report_mode_cannot_change_ec2_iam_or_s3() -> None:
    for sweep, hub, topic in itertools.product(("true", "false"), ("true", "false"), TOPICS):
        for action in granted(stack("report", sweep, hub, topic)):
            service, verb = action.split(":")
            if service in ("ec2", "iam", "s3", "ecr", "sagemaker"):
                assert verb.startswith(READ_VERBS), f"{action} in report mode"
    for action in granted(stack("report", "false", "false", "own", stop="true")):
        service, verb = action.split(":")
        if service == "sagemaker":
            assert verb.startswith(READ_VERBS), f"{action} in report mode"


def test_apply_mode_writes_are_exactly_the_declared_ones_with_their_conditions() -> None:
    grants = granted(stack("apply", "false", "false", "own"))
    writes = {
        action
        for action in grants
        if action.split(":")[0] in ("ec2", "iam", "s3")
        and not action.split(":")[1].startswith(READ_VERBS)
    }
    assert writes == WRITE_ACTIONS
    arn = f"arn:{PARTITION}:ec2:{REGION}:{ACCOUNT}"

    # The endpoint may only be the S3 service of this region; the VPC and route tables it
    # names are authorized too (the service-name key does not exist on them).
    create = {
        tuple(as_list(s["Resource"])): s.get("Condition") for s in grants["ec2:CreateVpcEndpoint"]
    }
    assert create == {
        (f"{arn}:vpc-endpoint/*",): {
            "StringEquals": {"ec2:VpceServiceName": f"com.amazonaws.{REGION}.s3"}
        },
        (f"{arn}:vpc/*", f"{arn}:route-table/*"): None,
    }
    # Tags only as part of the create call, on what that call creates (the executor tags
    # the endpoint and the egress rules it adds).
    tags = {
        (s["Resource"], s["Condition"]["StringEquals"]["ec2:CreateAction"])
        for s in grants["ec2:CreateTags"]
    }
    assert tags == {
        (f"{arn}:vpc-endpoint/*", "CreateVpcEndpoint"),
        (f"{arn}:security-group-rule/*", "AuthorizeSecurityGroupEgress"),
        (f"{arn}:security-group-rule/*", "AuthorizeSecurityGroupIngress"),
    }
    (modify,) = grants["ec2:ModifyVpcEndpoint"]
    assert as_list(modify["Resource"]) == [f"{arn}:vpc-endpoint/*", f"{arn}:route-table/*"]
    for rule_action in ("ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress"):
        (rules,) = grants[rule_action]
        assert as_list(rules["Resource"]) == [
            f"{arn}:security-group/*",
            f"{arn}:security-group-rule/*",
        ]
    for action in writes:
        for statement in grants[action]:
            assert "*" not in as_list(statement["Resource"]), action


def test_each_service_is_scoped_to_the_stacks_own_resources() -> None:
    own = stack("apply", "true", "true", "own")
    grants = granted(own)
    topic = own.ref("AlertTopic")

    def resources(action: str) -> list[str]:
        return [r for s in grants[action] for r in as_list(s["Resource"])]

    assert set(resources("sns:Publish")) == {topic}
    for action in TABLE_ACTIONS:
        assert set(resources(action)) == {"<GuardrailTable.Arn>"}, action
    assert set(resources("sqs:SendMessage")) == {"<DeadLetterQueue.Arn>"}
    for action in TOPIC_KEY_ACTIONS:
        (statement,) = grants[action]
        assert statement["Resource"] == "<TopicKey.Arn>"
        assert statement["Condition"] == {"StringLike": {"kms:ViaService": "sns.*.amazonaws.com"}}
    assert resources("securityhub:BatchImportFindings") == [
        f"arn:{PARTITION}:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    ]
    assert resources("iam:GetRolePolicy") == [f"arn:{PARTITION}:iam::{ACCOUNT}:role/*"]
    assert resources("iam:GetPolicyVersion") == [
        f"arn:{PARTITION}:iam::{ACCOUNT}:policy/*",
        f"arn:{PARTITION}:iam::aws:policy/*",  # AWS managed policies attached to job roles
    ]
    assert resources("s3:GetBucketPolicy") == [f"arn:{PARTITION}:s3:::*"]
    # VPCs of any owner in the region: subnets may be shared with the account (AWS RAM).
    assert resources("ec2:DescribeVpcAttribute") == [f"arn:{PARTITION}:ec2:{REGION}:*:vpc/*"]
    assert resources("ec2:GetManagedPrefixListEntries") == [
        f"arn:{PARTITION}:ec2:{REGION}:*:prefix-list/*"  # S3's list is owned by AWS
    ]
    assert resources("ecr:GetRepositoryPolicy") == [
        f"arn:{PARTITION}:ecr:{REGION}:{ACCOUNT}:repository/*"
    ]
    # Hosting intake's reads: the account's own endpoint configs and models, nothing else.
    assert resources("sagemaker:DescribeEndpointConfig") == [
        f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/*"
    ]
    assert f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:model/*" in resources(
        "sagemaker:DescribeModel"
    )

    muted = granted(stack("report", "false", "false", "own", MUTE_PARAMETER))
    assert [s["Resource"] for s in muted["ssm:GetParameter"]] == [
        f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter{MUTE_PARAMETER}"  # that one only
    ]

    central = stack("report", "false", "false", "central-encrypted")
    grants = granted(central)
    assert [s["Resource"] for s in grants["sns:Publish"]] == [CENTRAL_TOPIC]
    assert [s["Resource"] for s in grants["kms:Decrypt"]] == [CENTRAL_KEY]


def test_the_stacks_topic_key_and_subscription_follow_the_topic_choice() -> None:
    template = transformed()
    own = Stack(template, {"AlertEmail": "secops@example.com"})
    assert all(own.exists(r) for r in ("AlertTopic", "TopicKey", "AlertTopicPolicy"))
    assert own.exists("AlertEmailSubscription")
    central = Stack(template, {"ExistingTopicArn": CENTRAL_TOPIC, "AlertEmail": "a@example.com"})
    for resource in ("AlertTopic", "AlertTopicPolicy"):
        assert not central.exists(resource), resource
    assert all(central.exists(r) for r in ("AlarmTopic", "AlarmTopicPolicy", "TopicKey"))
    named = Stack(template, {"ExistingTopicArn": CENTRAL_TOPIC, "AlarmTopicName": "ops-alarms"})
    for resource in ("AlertTopic", "AlarmTopic", "TopicKey", "TopicKeyAlias"):
        assert not named.exists(resource), resource
    assert not central.exists("AlertEmailSubscription"), "no subscription to a central topic"
    assert central.exists("AlarmEmailSubscription"), "the e-mail gets the stack's alarms"
    env = central.resource("GuardrailFunction")["Properties"]["Environment"]["Variables"]
    assert env["TOPIC_ARN"] == CENTRAL_TOPIC


def test_the_false_alarm_memory_calls_only_what_the_table_grants(aws: Any) -> None:
    # Its calls as made on moto DynamoDB (a false alarm written, a report's read), each one a
    # table action the function role holds on the table whatever the stack's parameters.
    client = aws.client("dynamodb")
    memory = DynamoFalseAlarms(client, create_table(aws))
    made: set[str] = set()
    client.meta.events.register(
        "before-call.dynamodb", lambda event_name, **_: made.add(event_name.rsplit(".", 1)[1])
    )
    memory.record(ACCOUNT, "S3_ENDPOINT_MISSING", "arn:aws:sagemaker:::training-job/j")
    memory.recall(ACCOUNT, ["S3_ENDPOINT_MISSING"])
    used = {f"dynamodb:{operation}" for operation in made}
    assert used == {"dynamodb:UpdateItem", "dynamodb:BatchGetItem"}
    assert used <= set(TABLE_ACTIONS)
    grants = granted(stack("report", "false", "false", "own"))
    for action in used:
        assert {r for s in grants[action] for r in as_list(s["Resource"])} == {
            "<GuardrailTable.Arn>"
        }
