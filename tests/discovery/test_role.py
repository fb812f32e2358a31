"""The execution role: one simulator call on the ARNs the job's calls name (the worst
decision per action), else the role's own policies and boundary, read one call each."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from ir_vpc_guard.arns import ec2_arn
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery import role
from ir_vpc_guard.discovery.waves import Wave
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS
from ir_vpc_guard_dev.sandbox import ROLE_NAME, World
from tests.conftest import REGION
from tests.integration.calls import _Http, counting_session
from tests.refusals import refuse

CREATE = "ec2:CreateNetworkInterface"
FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
FALLBACK_READS = Counter(
    {
        "iam.SimulatePrincipalPolicy": 1,
        "iam.GetRole": 1,
        "iam.ListAttachedRolePolicies": 1,
        "iam.ListRolePolicies": 1,
        # The world's role holds AWS's AmazonSageMakerFullAccess: its version, then that version.
        "iam.GetPolicy": 1,
        "iam.GetPolicyVersion": 1,
    }
)


@pytest.fixture
def no_simulator(aws: Any, calls: Counter[str]) -> AwsClients:
    """Clients on which the simulator is unavailable, as on moto (and where it is refused)."""
    return AwsClients(REGION, session=counting_session(calls, simulator=None))


def _answer(clients: AwsClients, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulator answers `results`; what it was asked is returned (the query's fields)."""
    sent: dict[str, Any] = {}

    def simulate(params: dict[str, Any], **_: Any) -> Any:
        sent.update(params["body"])
        return _Http(), {"EvaluationResults": results, "IsTruncated": False}

    clients.iam.meta.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
    return sent


def _members(sent: dict[str, Any], prefix: str) -> list[str]:
    return [v for k, v in sorted(sent.items()) if k.startswith(f"{prefix}.member.")]


def test_without_a_role_nothing_is_read(
    clients: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    none = wave.result(role.submit(wave, clients, replace(job, role_arn=None)))
    assert none.not_applicable == "the job names no execution role"
    invalid = replace(job, role_arn=None, input_problems=("roleArn is not valid",))
    read = wave.result(role.submit(wave, clients, invalid))
    assert read.error is not None
    assert (read.error.code, read.error.message) == ("InvalidInput", "roleArn is not valid")
    assert calls == Counter()


def test_the_simulator_is_asked_once_for_every_action_on_the_jobs_arns(
    world: World, no_simulator: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    results = [{"EvalActionName": a, "EvalDecision": "allowed"} for a in ROLE_REQUIRED_ACTIONS]
    sent = _answer(no_simulator, results)
    access = wave.result(role.submit(wave, no_simulator, job)).get()
    assert access.simulated == dict.fromkeys(ROLE_REQUIRED_ACTIONS, "allowed")
    assert access.policies == () and access.boundary is None
    assert calls == Counter({"iam.SimulatePrincipalPolicy": 1})
    assert sent["PolicySourceArn"] == world.role_arn
    assert sorted(_members(sent, "ActionNames")) == sorted(ROLE_REQUIRED_ACTIONS)
    subnet = ec2_arn("aws", REGION, world.account, "subnet", world.subnet_ids[0])
    assert subnet in _members(sent, "ResourceArns")
    assert REGION in sent.values()  # aws:RequestedRegion and ec2:Region


def test_the_worst_decision_over_the_calls_own_resources_counts(
    world: World, no_simulator: AwsClients, wave: Wave, job: JobRequest
) -> None:
    subnets = [ec2_arn("aws", REGION, world.account, "subnet", s) for s in world.subnet_ids]
    other = ec2_arn("aws", REGION, world.account, "subnet", "subnet-0000000000000000f")
    _answer(
        no_simulator,
        [
            {
                "EvalActionName": CREATE,
                "EvalDecision": "allowed",
                "ResourceSpecificResults": [
                    {"EvalResourceName": subnets[0], "EvalResourceDecision": "allowed"},
                    {
                        "EvalResourceName": subnets[1],
                        "EvalResourceDecision": "implicitDeny",
                        "MissingContextValues": ["ec2:Vpc"],
                    },
                    # Not a resource the job's call names: it does not count.
                    {"EvalResourceName": other, "EvalResourceDecision": "explicitDeny"},
                ],
            },
            # An older answer, one result per resource: another subnet's is left out.
            {"EvalActionName": "ec2:DescribeVpcs", "EvalDecision": "allowed"},
            {
                "EvalActionName": "ec2:DescribeSubnets",
                "EvalResourceName": other,
                "EvalDecision": "explicitDeny",
            },
        ],
    )
    access = wave.result(role.submit(wave, no_simulator, job)).get()
    assert access.simulated == {CREATE: "implicitDeny", "ec2:DescribeVpcs": "allowed"}
    assert access.missing_context == {CREATE: ("ec2:Vpc",)}


def test_without_the_simulator_the_roles_policies_are_read_once_each(
    no_simulator: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    access = wave.result(role.submit(wave, no_simulator, job)).get()
    assert access.simulated is None and access.boundary is None
    assert access.attached_policy_arns == (FULL_ACCESS,)
    (document,) = access.policies
    # AWS's document, as moto ships it: the interface actions, without one the page lists.
    actions = {a for st in document["Statement"] for a in st.get("Action", [])}
    assert CREATE in actions and "ec2:ModifyNetworkInterfaceAttribute" not in actions
    assert access.tags == {}
    assert calls == FALLBACK_READS


def test_managed_policies_and_the_boundary_are_read_by_their_default_version(
    aws: Any, no_simulator: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    iam = aws.client("iam")
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    managed = iam.create_policy(PolicyName="managed", PolicyDocument=json.dumps(deny))
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=json.dumps(deny))
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=managed["Policy"]["Arn"])
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="inline", PolicyDocument=json.dumps(deny))
    iam.put_role_permissions_boundary(
        RoleName=ROLE_NAME, PermissionsBoundary=boundary["Policy"]["Arn"]
    )
    access = wave.result(role.submit(wave, no_simulator, job)).get()
    assert access.attached_policy_arns == (FULL_ACCESS, managed["Policy"]["Arn"])
    # Inline documents first, by name, then the attached ones in order.
    assert access.inline_policy_names == ("inline",)
    assert len(access.policies) == 3 and access.policies[0] == access.policies[2] == deny
    assert access.boundary == deny and access.boundary_arn == boundary["Policy"]["Arn"]
    assert calls == FALLBACK_READS + Counter(
        {"iam.GetRolePolicy": 1, "iam.GetPolicy": 2, "iam.GetPolicyVersion": 2}
    )
    # The IAM actions the read declares (what the template grants it) are the calls it made.
    assert sorted(call.replace(".", ":") for call in calls) == sorted(role.READ_ACTIONS["role"])


def test_a_role_that_does_not_exist_is_an_error_not_a_pass(
    no_simulator: AwsClients, calls: Counter[str], wave: Wave, job: JobRequest
) -> None:
    refuse(no_simulator.iam.meta.events, "iam", "SimulatePrincipalPolicy", "NoSuchEntity")
    read = wave.result(role.submit(wave, no_simulator, job))
    assert not read.ok and read.error is not None
    assert (read.error.api, read.error.code) == ("iam:SimulatePrincipalPolicy", "NoSuchEntity")
    assert calls == Counter({"iam.SimulatePrincipalPolicy": 1}), "no fallback"


def test_a_refused_fallback_is_an_error_naming_the_call(
    no_simulator: AwsClients, wave: Wave, job: JobRequest
) -> None:
    refuse(no_simulator.iam.meta.events, "iam", "ListRolePolicies", "AccessDenied")
    read = wave.result(role.submit(wave, no_simulator, job))
    assert read.error is not None
    assert (read.error.api, read.error.code) == ("iam:ListRolePolicies", "AccessDenied")


def test_shared_resources_are_simulated_in_their_owners_account_with_the_vpc_key(
    world: World, no_simulator: AwsClients, wave: Wave, job: JobRequest
) -> None:
    owner = "210987654321"
    owners = {s: owner for s in [*world.subnet_ids, *world.group_ids, world.vpc_id]}
    results = [{"EvalActionName": a, "EvalDecision": "allowed"} for a in ROLE_REQUIRED_ACTIONS]
    sent = _answer(no_simulator, results)
    wave.result(role.submit(wave, no_simulator, job, owners, world.vpc_id)).get()
    resources = _members(sent, "ResourceArns")
    assert ec2_arn("aws", REGION, owner, "subnet", world.subnet_ids[0]) in resources
    assert ec2_arn("aws", REGION, owner, "security-group", world.group_ids[0]) in resources
    assert ec2_arn("aws", REGION, world.account, "network-interface", "*") in resources
    context = {
        v: sent[k.replace("ContextKeyName", "ContextKeyValues.member.1")]
        for k, v in sent.items()
        if k.endswith("ContextKeyName")
    }
    assert context["ec2:Vpc"] == ec2_arn("aws", REGION, owner, "vpc", world.vpc_id)
    assert context["aws:RequestedRegion"] == context["ec2:Region"] == REGION


def test_a_missing_principal_tag_reads_the_roles_tags_and_asks_once_more(
    aws: Any, calls: Counter[str], no_simulator: AwsClients, wave: Wave, job: JobRequest
) -> None:
    aws.client("iam").tag_role(RoleName=ROLE_NAME, Tags=[{"Key": "team", "Value": "ml"}])
    asked: list[dict[str, Any]] = []

    def simulate(params: dict[str, Any], **_: Any) -> Any:
        asked.append(dict(params["body"]))
        tagged = "aws:PrincipalTag/team" in params["body"].values()
        results = [
            {"EvalActionName": a, "EvalDecision": "allowed"}
            if tagged
            else {
                "EvalActionName": a,
                "EvalDecision": "implicitDeny",
                "MissingContextValues": ["aws:PrincipalTag/team"],
            }
            for a in ROLE_REQUIRED_ACTIONS
        ]
        return _Http(), {"EvaluationResults": results, "IsTruncated": False}

    no_simulator.iam.meta.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
    access = wave.result(role.submit(wave, no_simulator, job)).get()
    assert access.simulated == dict.fromkeys(ROLE_REQUIRED_ACTIONS, "allowed")
    assert access.tags == {"team": "ml"} and len(asked) == 2
    assert calls["iam.GetRole"] == 1


def test_the_simulators_denying_statements_and_boundary_are_kept(
    no_simulator: AwsClients, wave: Wave, job: JobRequest
) -> None:
    matched = {
        "SourcePolicyId": "guard",
        "SourcePolicyType": "role",
        "StartPosition": {"Line": 4, "Column": 5},
    }
    _answer(
        no_simulator,
        [
            {
                "EvalActionName": CREATE,
                "EvalDecision": "explicitDeny",
                "MatchedStatements": [matched],
            },
            {
                "EvalActionName": "ec2:DeleteNetworkInterface",
                "EvalDecision": "implicitDeny",
                "PermissionsBoundaryDecisionDetail": {"AllowedByPermissionsBoundary": False},
            },
        ],
    )
    access = wave.result(role.submit(wave, no_simulator, job)).get()
    (source,) = access.denied_by[CREATE]
    assert (source.kind, source.policy, source.statement) == (
        "inline",
        "guard",
        "at line 4, column 5",
    )
    assert access.boundary_refuses == {"ec2:DeleteNetworkInterface"}
    assert access.has_boundary
