"""The policy evaluator, rule by rule, as the IAM User Guide states it ("Policy evaluation
logic", "IAM JSON policy elements", "Condition operators")."""

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ir_vpc_guard.checks.policy import (
    VPC_CONTEXT_KEYS,
    Decision,
    Principal,
    Request,
    evaluate,
    evaluate_with_boundary,
    explicit_deny,
    parse,
)

ROLE = "arn:aws:iam::111122223333:role/IrRole"
OBJECT = "arn:aws:s3:::models/m.tar.gz"
ROLE_PRINCIPAL = Principal(account="111122223333", role_arn=ROLE)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECT, **extra}


def deny(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "s3:GetObject", "Resource": OBJECT, **extra}


def read(
    context: Mapping[str, tuple[str, ...]] | None = None,
    absent: frozenset[str] = frozenset(),
    principal: Principal | None = None,
    resource: str = OBJECT,
) -> Request:
    return Request("s3:GetObject", resource, principal, context or {}, absent)


def decision(statements: list[dict[str, Any]], request: Request | None = None) -> Decision:
    return evaluate([doc(*statements)], request or read()).decision


# --- Effect, Action, Resource -------------------------------------------------------------
def test_explicit_deny_wins_over_any_allow_in_any_policy() -> None:
    assert evaluate([doc(allow()), doc(deny())], read()).decision is Decision.EXPLICIT_DENY


def test_no_matching_allow_is_an_implicit_deny() -> None:
    assert decision([]) is Decision.IMPLICIT_DENY
    assert decision([allow(Resource="arn:aws:s3:::other/*")]) is Decision.IMPLICIT_DENY


def test_actions_ignore_case_and_arns_do_not() -> None:
    assert decision([allow(Action="S3:getobject")]) is Decision.ALLOWED
    assert decision([allow(Resource="arn:aws:s3:::Models/m.tar.gz")]) is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource_match_everything_else() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert decision([statement]) is Decision.ALLOWED
    assert decision([statement], read(resource="arn:aws:s3:::secret/x")) is Decision.IMPLICIT_DENY


# --- Principal --------------------------------------------------------------------------
def test_principals_that_name_the_role_its_account_or_everyone() -> None:
    request = read(principal=ROLE_PRINCIPAL)
    for named in ("*", {"AWS": "*"}, {"AWS": "111122223333"}, {"AWS": ROLE}):
        assert decision([allow(Principal=named)], request) is Decision.ALLOWED, named
    root = {"AWS": "arn:aws:iam::111122223333:root"}
    assert decision([allow(Principal=root)], request) is Decision.ALLOWED


def test_principals_that_name_someone_else_do_not_apply() -> None:
    request = read(principal=ROLE_PRINCIPAL)
    for named in (
        {"AWS": "444455556666"},
        {"AWS": "arn:aws:iam::111122223333:role/Other"},
        {"Service": "sagemaker.amazonaws.com"},
    ):
        assert decision([deny(Principal=named)], request) is Decision.IMPLICIT_DENY, named


def test_not_principal_deny_naming_only_the_role_is_undetermined() -> None:
    """AWS asks for the assumed-role session ARN too: whether the session is exempt is not
    certain, so it is never a HIGH."""
    request = read(principal=ROLE_PRINCIPAL)
    exempt_role = deny(NotPrincipal={"AWS": ROLE})
    assert decision([allow(Principal="*"), exempt_role], request) is Decision.UNDETERMINED
    others = deny(NotPrincipal={"AWS": "arn:aws:iam::111122223333:role/Admin"})
    assert decision([allow(Principal="*"), others], request) is Decision.EXPLICIT_DENY


def test_not_principal_deny_always_denies_a_principal_with_a_boundary() -> None:
    """IAM User Guide, NotPrincipal: with a permissions boundary, a Deny with NotPrincipal
    always denies, even when it names the role itself."""
    bounded = read(principal=Principal(account="111122223333", role_arn=ROLE, bounded=True))
    exempt_role = deny(NotPrincipal={"AWS": [ROLE, "arn:aws:iam::111122223333:root"]})
    assert decision([allow(Principal="*"), exempt_role], bounded) is Decision.EXPLICIT_DENY
    # An Allow with NotPrincipal is not concerned.
    allow_others = allow(NotPrincipal={"AWS": ROLE})
    assert decision([allow_others], bounded) is not Decision.EXPLICIT_DENY


# --- Conditions -------------------------------------------------------------------------
SERVICE_READ = read(
    {"aws:principalarn": (ROLE,)}, absent=VPC_CONTEXT_KEYS, principal=ROLE_PRINCIPAL
)


def test_deny_unless_source_vpce_refuses_a_read_from_outside_the_vpc() -> None:
    statement = deny(Principal="*", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-0123"}})
    assert explicit_deny([doc(statement)], SERVICE_READ).decision is Decision.EXPLICIT_DENY


def test_if_exists_is_true_on_an_absent_key() -> None:
    statement = deny(Principal="*", Condition={"StringEqualsIfExists": {"aws:SourceVpc": "v"}})
    assert explicit_deny([doc(statement)], SERVICE_READ).decision is Decision.EXPLICIT_DENY
    positive = deny(Principal="*", Condition={"StringEquals": {"aws:SourceVpc": "v"}})
    assert explicit_deny([doc(positive)], SERVICE_READ).decision is Decision.IMPLICIT_DENY


def test_null_tests_presence() -> None:
    absent = deny(Principal="*", Condition={"Null": {"aws:SourceVpce": "true"}})
    present = deny(Principal="*", Condition={"Null": {"aws:SourceVpce": "false"}})
    assert explicit_deny([doc(absent)], SERVICE_READ).decision is Decision.EXPLICIT_DENY
    assert explicit_deny([doc(present)], SERVICE_READ).decision is Decision.IMPLICIT_DENY


def test_a_key_the_product_cannot_know_leaves_the_answer_undetermined() -> None:
    statement = deny(Principal="*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})
    result = evaluate([doc(allow(Principal="*"), statement)], SERVICE_READ)
    assert result.decision is Decision.UNDETERMINED
    assert result.unknown_keys == ("aws:PrincipalOrgID",)


def test_and_across_operators_and_keys_or_across_values() -> None:
    context = {"aws:principalarn": (ROLE,), "aws:requestedregion": ("eu-west-1",)}
    request = read(context)
    both = {
        "StringEquals": {"aws:PrincipalArn": ["arn:x", ROLE]},
        "StringLike": {"aws:RequestedRegion": "eu-*"},
    }
    assert decision([allow(Condition=both)], request) is Decision.ALLOWED
    one_fails = {**both, "StringLike": {"aws:RequestedRegion": "us-*"}}
    assert decision([allow(Condition=one_fails)], request) is Decision.IMPLICIT_DENY


def test_negated_operators_are_nor_across_values() -> None:
    request = read({"aws:principalarn": (ROLE,)})
    nor = deny(Condition={"StringNotEquals": {"aws:PrincipalArn": ["arn:x", ROLE]}})
    assert decision([allow(), nor], request) is Decision.ALLOWED


def test_for_any_value_and_for_all_values() -> None:
    request = read({"aws:tagkeys": ("team", "env")})
    any_env = {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}
    all_env = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}
    assert decision([allow(Condition=any_env)], request) is Decision.ALLOWED
    assert decision([allow(Condition=all_env)], request) is Decision.IMPLICIT_DENY
    empty = read(absent=frozenset({"aws:tagkeys"}))
    assert decision([allow(Condition=all_env)], empty) is Decision.ALLOWED
    assert decision([allow(Condition=any_env)], empty) is Decision.IMPLICIT_DENY


# What the request holds for the operator tests below.
HELD = {
    "s3:max-keys": ("10",),
    "aws:currenttime": ("2026-12-02T10:00:00Z",),
    "aws:securetransport": ("true",),
    "aws:sourceip": ("10.1.2.3",),
    "aws:principalarn": (ROLE,),
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, Decision.ALLOWED),
        ({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, Decision.ALLOWED),
        ({"Bool": {"aws:SecureTransport": "true"}}, Decision.ALLOWED),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, Decision.ALLOWED),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Ir*"}}, Decision.ALLOWED),
        ({"NumericGreaterThan": {"s3:max-keys": "10"}}, Decision.IMPLICIT_DENY),
        ({"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, Decision.IMPLICIT_DENY),
        ({"Bool": {"aws:SecureTransport": "false"}}, Decision.IMPLICIT_DENY),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, Decision.IMPLICIT_DENY),
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}, Decision.IMPLICIT_DENY),
    ],
    ids=lambda value: value.name if isinstance(value, Decision) else next(iter(value)),
)
def test_numeric_date_bool_ip_and_arn_operators(
    condition: dict[str, Any], expected: Decision
) -> None:
    assert decision([allow(Condition=condition)], read(HELD)) is expected


# --- Boundary and new resources ---------------------------------------------------------
def test_a_permissions_boundary_never_grants_and_must_also_allow() -> None:
    everything = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    narrow = doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"})
    request = read()
    assert evaluate_with_boundary([everything], narrow, request).decision is Decision.IMPLICIT_DENY
    assert evaluate_with_boundary([narrow], everything, request).decision is Decision.IMPLICIT_DENY
    assert evaluate_with_boundary([everything], everything, request).decision is Decision.ALLOWED


def test_a_statement_about_one_existing_interface_does_not_cover_new_ones() -> None:
    new = Request(
        "ec2:CreateNetworkInterface",
        "arn:aws:ec2:us-east-1:111122223333:network-interface/*",
        resource_is_template=True,
    )

    def grant(resource: str) -> Decision:
        statement = {"Effect": "Allow", "Action": "ec2:*", "Resource": resource}
        return evaluate([doc(statement)], new).decision

    assert grant("*") is Decision.ALLOWED
    assert grant("arn:aws:ec2:*:*:network-interface/*") is Decision.ALLOWED
    assert grant("arn:aws:ec2:us-east-1:111122223333:network-interface/eni-0abc") is (
        Decision.IMPLICIT_DENY
    )
    assert grant("arn:aws:ec2:us-east-1:111122223333:subnet/*") is Decision.IMPLICIT_DENY
    assert grant("arn:aws:ec2:us-east-1:111122223333:network-interface/eni-0a*") is (
        Decision.UNDETERMINED
    )


def test_unparseable_policy_reads_as_empty() -> None:
    assert parse("not json") == {} and parse(None) == {} and parse("[1]") == {}


# --- Properties ---------------------------------------------------------------------------
CONDITIONS = st.sampled_from(
    [
        None,
        {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
        {"StringEquals": {"aws:PrincipalArn": ROLE}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-1"}},
        {"Bool": {"aws:SecureTransport": "false"}},
    ]
)
STATEMENTS = st.builds(
    lambda effect, action, resource, condition: {
        "Effect": effect,
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        **({"Condition": condition} if condition else {}),
    },
    st.sampled_from(["Allow", "Deny"]),
    st.sampled_from(["s3:GetObject", "s3:*", "s3:Put*", "*"]),
    st.sampled_from([OBJECT, "arn:aws:s3:::models/*", "arn:aws:s3:::other/*", "*"]),
    CONDITIONS,
)
REQUEST = read(
    {"aws:principalarn": (ROLE,), "aws:securetransport": ("true",)},
    absent=VPC_CONTEXT_KEYS,
    principal=ROLE_PRINCIPAL,
)
RANK = {
    Decision.ALLOWED: 0,
    Decision.UNDETERMINED: 1,
    Decision.IMPLICIT_DENY: 2,
    Decision.EXPLICIT_DENY: 3,
}


@given(st.lists(STATEMENTS, max_size=6), STATEMENTS)
def test_adding_a_deny_never_turns_denied_into_allowed(
    statements: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    extra = {**extra, "Effect": "Deny"}
    before = evaluate([doc(*statements)], REQUEST).decision
    after = evaluate([doc(*statements, extra)], REQUEST).decision
    assert RANK[after] >= RANK[before] or before is Decision.IMPLICIT_DENY
    if before in {Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY}:
        assert after in {Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY}


@given(st.lists(STATEMENTS, max_size=6))
def test_an_allow_that_matches_nothing_changes_no_decision(
    statements: list[dict[str, Any]],
) -> None:
    nothing = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "x"}
    before = evaluate([doc(*statements)], REQUEST).decision
    assert evaluate([doc(*statements, nothing)], REQUEST).decision is before


@given(st.lists(STATEMENTS, max_size=6), st.randoms())
def test_statement_order_does_not_matter(statements: list[dict[str, Any]], rng: Any) -> None:
    shuffled = list(statements)
    rng.shuffle(shuffled)
    before = evaluate([doc(*statements)], REQUEST).decision
    assert evaluate([doc(*shuffled)], REQUEST).decision is before
