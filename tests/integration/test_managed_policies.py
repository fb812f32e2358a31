"""A role whose only policy is AWS's own AmazonSageMakerFullAccess, as moto ships it (attached
by ARN; MOTO_IAM_LOAD_MANAGED_POLICIES=true), passes R8 through the handler's pipeline, by the
fallback evaluator and by the simulator alike: the action AWS's page lists and its own policy
lacks (ec2:ModifyNetworkInterfaceAttribute) is a LOW advisory, and the outcome is PASS."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import ROLE_NAME, World
from tests.conftest import load_event
from tests.integration.calls import _Http
from tests.report_schema import validate_report

FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
MODIFY = "ec2:ModifyNetworkInterfaceAttribute"
ADVISORY = "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED"


def _only_the_managed_policy(session: Any) -> dict[str, Any]:
    """The world's role as built: AWS's policy alone; its document as moto ships it."""
    iam = session.client("iam")
    attached = iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [FULL_ACCESS]
    assert iam.list_role_policies(RoleName=ROLE_NAME)["PolicyNames"] == []
    version = iam.get_policy(PolicyArn=FULL_ACCESS)["Policy"]["DefaultVersionId"]
    document: dict[str, Any] = iam.get_policy_version(PolicyArn=FULL_ACCESS, VersionId=version)[
        "PolicyVersion"
    ]["Document"]
    return document


def _assert_passes_with_the_advisory(report: dict[str, Any]) -> None:
    validate_report(report)
    assert report["outcome"] == "PASS", report["findings"]
    (advisory,) = report["findings"]
    assert advisory["checkId"] == ADVISORY and advisory["severity"] == "LOW"
    assert MODIFY in advisory["detail"] and "AmazonSageMakerFullAccess" in advisory["detail"]
    assert "attach-role-policy" not in advisory["remediation"]["command"]


def test_the_managed_policy_alone_passes_by_the_fallback_evaluator(aws: Any, world: World) -> None:
    document = _only_the_managed_policy(aws)
    actions = {a for s in document["Statement"] for a in s.get("Action", [])}
    assert "ec2:CreateNetworkInterface" in actions and MODIFY not in actions  # as AWS ships it
    # moto has no iam:SimulatePrincipalPolicy (docs/moto.md, "IAM"): the role's documents decide.
    (checked,) = handle_event(world.event(load_event("good_job")), Settings(), lock=LocalVpcLock())
    report = checked.to_dict()
    _assert_passes_with_the_advisory(report)
    assert "evaluated by the guardrail" in report["findings"][0]["evidence"]["method"]


def test_the_managed_policy_alone_passes_by_the_simulator(aws: Any, world: World) -> None:
    """The one call moto lacks, faked narrowly: an action is allowed when an Allow statement
    of the role's only policy names it on every resource, unconditionally, as AWS's
    simulator answers for AmazonSageMakerFullAccess's EC2 actions."""
    document = _only_the_managed_policy(aws)
    granted = [
        pattern
        for s in document["Statement"]
        if s["Effect"] == "Allow" and s.get("Resource") == "*" and "Condition" not in s
        for pattern in s.get("Action", [])
    ]

    def simulate(params: dict[str, Any], **_: Any) -> Any:
        body = params["body"]
        actions = [v for k, v in sorted(body.items()) if k.startswith("ActionNames.member.")]
        results = [
            {
                "EvalActionName": a,
                "EvalDecision": "allowed"
                if any(fnmatch.fnmatchcase(a.lower(), p.lower()) for p in granted)
                else "implicitDeny",
            }
            for a in actions
        ]
        return _Http(), {"EvaluationResults": results, "IsTruncated": False}

    aws.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        lambda region: AwsClients(region, session=aws),
        lock=LocalVpcLock(),
    )[0].to_dict()
    _assert_passes_with_the_advisory(report)
    assert report["findings"][0]["evidence"]["method"] == "iam:SimulatePrincipalPolicy"


def test_a_deny_beside_the_managed_policy_names_what_to_change(aws: Any, world: World) -> None:
    """The role holds AWS's policy and an inline guard that denies one action: the command
    names that policy and statement, never the managed policy the role already has."""
    guard = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoNewInterfaces",
                "Effect": "Deny",
                "Action": "ec2:CreateNetworkInterface",
                "Resource": "*",
            }
        ],
    }
    aws.client("iam").put_role_policy(
        RoleName=ROLE_NAME, PolicyName="guard", PolicyDocument=json.dumps(guard)
    )
    (checked,) = handle_event(world.event(load_event("good_job")), Settings(), lock=LocalVpcLock())
    report = checked.to_dict()
    validate_report(report)
    assert report["outcome"] == "FAIL"
    (finding,) = [f for f in report["findings"] if f["checkId"] == "ROLE_VPC_PERMISSIONS_MISSING"]
    assert finding["severity"] == "HIGH"
    assert finding["evidence"]["causes"] == {"ec2:CreateNetworkInterface": "explicit Deny"}
    command = finding["remediation"]["command"]
    assert "--policy-name guard" in command and "NoNewInterfaces" in command
    assert "attach-role-policy" not in command
