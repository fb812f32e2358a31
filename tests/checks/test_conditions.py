"""Condition blocks in three values, as the IAM User Guide states them ("Condition operators",
"Conditions with multiple context keys or values"): called directly, without a policy."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ir_vpc_guard.checks.conditions import Context, Truth, all_of, any_of, evaluate

ROLE = "arn:aws:iam::111122223333:role/IrRole"
VPC_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"})


def truth(
    condition: Any, context: Context | None = None, absent: frozenset[str] = VPC_KEYS
) -> Truth:
    return evaluate(condition, context or {}, absent).truth


# --- Three-valued logic -------------------------------------------------------------------
TRUTHS = st.sampled_from(list(Truth))


@given(st.lists(TRUTHS, max_size=5))
def test_all_of_and_any_of_are_kleene_and_and_or(values: list[Truth]) -> None:
    if Truth.FALSE in values:
        assert all_of(values) is Truth.FALSE
    elif Truth.UNKNOWN in values:
        assert all_of(values) is Truth.UNKNOWN
    else:
        assert all_of(values) is Truth.TRUE
    # De Morgan holds in Kleene logic: OR is NOT AND NOT.
    assert any_of(values) is ~all_of(~v for v in values)


def test_not_unknown_stays_unknown() -> None:
    assert ~Truth.TRUE is Truth.FALSE and ~Truth.FALSE is Truth.TRUE
    assert ~Truth.UNKNOWN is Truth.UNKNOWN
    assert Truth.of(True) is Truth.TRUE and Truth.of(False) is Truth.FALSE


# --- Blocks: AND across operators and keys, OR across values -------------------------------
def test_no_condition_is_true() -> None:
    assert truth(None) is Truth.TRUE and truth({}) is Truth.TRUE


def test_and_across_operators_and_keys_or_across_values() -> None:
    context = {"aws:principalarn": (ROLE,), "aws:requestedregion": ("eu-west-1",)}
    one_value_matches = {"StringEquals": {"aws:PrincipalArn": ["arn:x", ROLE]}}
    assert truth(one_value_matches, context) is Truth.TRUE
    two_keys = {
        "StringEquals": {"aws:PrincipalArn": ROLE, "aws:RequestedRegion": "us-east-1"},
    }
    assert truth(two_keys, context) is Truth.FALSE
    two_operators = {**one_value_matches, "StringLike": {"aws:RequestedRegion": "us-*"}}
    assert truth(two_operators, context) is Truth.FALSE
    assert truth({**one_value_matches, "StringLike": {"aws:RequestedRegion": "eu-*"}}, context) is (
        Truth.TRUE
    )


def test_negated_operators_are_nor_across_values() -> None:
    context = {"aws:principalarn": (ROLE,)}
    assert truth({"StringNotEquals": {"aws:PrincipalArn": ["arn:x", ROLE]}}, context) is (
        Truth.FALSE
    )
    assert truth({"StringNotEquals": {"aws:PrincipalArn": ["arn:x", "arn:y"]}}, context) is (
        Truth.TRUE
    )


def test_condition_key_names_ignore_case() -> None:
    context = {"aws:sourcevpce": ("vpce-1",)}
    assert truth({"StringEquals": {"AWS:SourceVpce": "vpce-1"}}, context) is Truth.TRUE


# --- Absent keys: false, except negated operators, IfExists and Null ----------------------
def test_an_absent_key_makes_a_positive_operator_false() -> None:
    assert truth({"StringEquals": {"aws:SourceVpce": "vpce-1"}}) is Truth.FALSE
    assert truth({"ArnLike": {"aws:SourceVpc": "*"}}) is Truth.FALSE


def test_an_absent_key_makes_a_negated_operator_true() -> None:
    """Why "Deny unless aws:SourceVpce is X" refuses SageMaker's reads from outside the VPC."""
    assert truth({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}) is Truth.TRUE
    assert truth({"StringNotLike": {"aws:SourceVpc": "vpc-*"}}) is Truth.TRUE
    assert truth({"NotIpAddress": {"aws:VpcSourceIp": "10.0.0.0/8"}}) is Truth.TRUE


def test_if_exists_is_true_on_an_absent_key_and_the_operator_on_a_present_one() -> None:
    assert truth({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}) is Truth.TRUE
    present = {"aws:sourcevpce": ("vpce-2",)}
    assert truth({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, present) is Truth.FALSE
    assert truth({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-2"}}, present) is Truth.TRUE


def test_null_tests_presence() -> None:
    present = {"aws:sourcevpce": ("vpce-1",)}
    assert truth({"Null": {"aws:SourceVpce": "true"}}) is Truth.TRUE
    assert truth({"Null": {"aws:SourceVpce": "false"}}) is Truth.FALSE
    assert truth({"Null": {"aws:SourceVpce": "true"}}, present) is Truth.FALSE
    assert truth({"Null": {"aws:SourceVpce": "false"}}, present) is Truth.TRUE


# --- Multi-valued keys --------------------------------------------------------------------
def test_for_any_value_needs_one_value_in_the_set() -> None:
    tags = {"aws:tagkeys": ("team", "env")}
    assert truth({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, tags) is Truth.TRUE
    assert truth({"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}, tags) is Truth.FALSE
    assert truth({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env"]}}, tags) is Truth.TRUE
    both = ["team", "env"]
    assert truth({"ForAnyValue:StringNotEquals": {"aws:TagKeys": both}}, tags) is Truth.FALSE


def test_for_all_values_needs_every_value_in_the_set() -> None:
    tags = {"aws:tagkeys": ("team", "env")}
    assert truth({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, tags) is Truth.FALSE
    allowed = ["env", "team", "cost"]
    assert truth({"ForAllValues:StringEquals": {"aws:TagKeys": allowed}}, tags) is Truth.TRUE
    assert truth({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["x"]}}, tags) is Truth.TRUE
    assert truth({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["env"]}}, tags) is (Truth.FALSE)


def test_on_an_absent_key_for_all_values_is_true_and_for_any_value_false() -> None:
    absent = frozenset({"aws:tagkeys"})
    assert truth({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, absent=absent) is (
        Truth.TRUE
    )
    assert truth({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, absent=absent) is (
        Truth.FALSE
    )
    empty = {"aws:tagkeys": ()}
    assert truth({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, empty) is Truth.TRUE


# --- Unknown keys and operators: UNKNOWN, never a guess ------------------------------------
def test_a_key_the_product_cannot_know_is_unknown_and_named() -> None:
    result = evaluate({"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}, {}, VPC_KEYS)
    assert result.truth is Truth.UNKNOWN
    assert result.unknown_keys == ("aws:PrincipalOrgID",)


def test_a_known_false_test_decides_despite_an_unknown_key() -> None:
    context = {"aws:principalarn": (ROLE,)}
    condition = {
        "StringEquals": {"aws:PrincipalOrgID": "o-abc", "aws:PrincipalArn": "arn:x"},
    }
    result = evaluate(condition, context, VPC_KEYS)
    assert result.truth is Truth.FALSE
    assert result.unknown_keys == ("aws:PrincipalOrgID",)
    condition["StringEquals"]["aws:PrincipalArn"] = ROLE
    assert evaluate(condition, context, VPC_KEYS).truth is Truth.UNKNOWN


def test_an_operator_or_qualifier_it_does_not_evaluate_is_unknown() -> None:
    context = {"aws:principalarn": (ROLE,)}
    for operator in ("StringSomehow", "ForSomeValues:StringEquals"):
        result = evaluate({operator: {"aws:PrincipalArn": ROLE}}, context, VPC_KEYS)
        assert result.truth is Truth.UNKNOWN, operator
        assert result.unknown_keys and operator in result.unknown_keys[0]


def test_a_malformed_condition_is_unknown() -> None:
    assert truth(["StringEquals"]) is Truth.UNKNOWN
    assert truth({"StringEquals": "aws:SourceVpce"}) is Truth.UNKNOWN


# --- Operators ----------------------------------------------------------------------------
# Each row: what the request holds (a condition key, which the context names in lower case,
# and its value), an operator, the condition's value, and the answer.
REGION = ("aws:RequestedRegion", "eu-west-1")
MAX_KEYS = ("s3:max-keys", "10")
NOW = ("aws:CurrentTime", "2026-12-02T10:00:00Z")
NOW_IN_EPOCH_SECONDS = "1796205600"
SECURE_TRANSPORT = ("aws:SecureTransport", "true")
SOURCE_IP = ("aws:SourceIp", "10.1.2.3")
PRINCIPAL = ("aws:PrincipalArn", ROLE)
OPERATORS: list[tuple[tuple[str, str], str, Any, Truth]] = [
    # String operators are case-sensitive unless IgnoreCase.
    (REGION, "StringEquals", "EU-west-1", Truth.FALSE),
    (REGION, "StringEqualsIgnoreCase", "EU-west-1", Truth.TRUE),
    (REGION, "StringNotEqualsIgnoreCase", "EU-WEST-1", Truth.FALSE),
    (REGION, "StringLike", "EU-*", Truth.FALSE),
    (REGION, "StringLike", "eu-west-?", Truth.TRUE),
    # Numeric operators compare numbers and refuse text.
    (MAX_KEYS, "NumericEquals", "10.0", Truth.TRUE),
    (MAX_KEYS, "NumericNotEquals", "10", Truth.FALSE),
    (MAX_KEYS, "NumericLessThan", "9", Truth.FALSE),
    (MAX_KEYS, "NumericLessThanEquals", "10", Truth.TRUE),
    (MAX_KEYS, "NumericGreaterThan", "9", Truth.TRUE),
    (MAX_KEYS, "NumericGreaterThanEquals", "11", Truth.FALSE),
    (MAX_KEYS, "NumericEquals", "ten", Truth.FALSE),
    # Date operators accept ISO 8601 and epoch seconds.
    (NOW, "DateGreaterThan", "2026-01-01T00:00:00Z", Truth.TRUE),
    (NOW, "DateLessThan", "2026-01-01T00:00:00Z", Truth.FALSE),
    (NOW, "DateEquals", NOW_IN_EPOCH_SECONDS, Truth.TRUE),
    (NOW, "DateNotEquals", NOW_IN_EPOCH_SECONDS, Truth.FALSE),
    (NOW, "DateGreaterThanEquals", "not a date", Truth.FALSE),
    # Bool accepts JSON booleans and strings.
    (SECURE_TRANSPORT, "Bool", "true", Truth.TRUE),
    (SECURE_TRANSPORT, "Bool", True, Truth.TRUE),
    (SECURE_TRANSPORT, "Bool", False, Truth.FALSE),
    # IP operators test membership of a CIDR.
    (SOURCE_IP, "IpAddress", "10.0.0.0/8", Truth.TRUE),
    (SOURCE_IP, "IpAddress", "10.1.2.3", Truth.TRUE),
    (SOURCE_IP, "IpAddress", "192.168.0.0/16", Truth.FALSE),
    (SOURCE_IP, "NotIpAddress", "10.0.0.0/8", Truth.FALSE),
    (SOURCE_IP, "IpAddress", "not-a-cidr", Truth.FALSE),
    # ARN operators match field by field: ArnEquals and ArnLike both take `*` and `?` within
    # each of the six fields.
    (PRINCIPAL, "ArnLike", "arn:aws:iam::*:role/Ir*", Truth.TRUE),
    (PRINCIPAL, "ArnEquals", "arn:aws:iam::*:role/IrRole", Truth.TRUE),
    (PRINCIPAL, "ArnLike", "arn:aws:iam::*:role/irrole", Truth.FALSE),
    (PRINCIPAL, "ArnNotLike", "arn:aws:iam::*:role/*", Truth.FALSE),
    (PRINCIPAL, "ArnNotEquals", "arn:aws:iam::*:role/x", Truth.TRUE),
    (PRINCIPAL, "ArnLike", "arn:aws:iam::111122223333", Truth.FALSE),
]


@pytest.mark.parametrize(
    ("held", "operator", "value", "expected"),
    OPERATORS,
    ids=[f"{operator}({value})" for _, operator, value, _ in OPERATORS],
)
def test_an_operator_compares_the_value_the_request_holds(
    held: tuple[str, str], operator: str, value: Any, expected: Truth
) -> None:
    key, actual = held
    assert truth({operator: {key: value}}, {key.lower(): (actual,)}) is expected


def test_a_key_under_a_prefix_known_in_full_is_absent_not_unknown() -> None:
    """Once the role's tags are read, a tag it does not carry is absent from the request."""
    condition = {"StringEquals": {"aws:PrincipalTag/team": "ml"}}
    known = ("aws:principaltag/",)
    assert evaluate(condition, {}, frozenset()).truth is Truth.UNKNOWN
    assert evaluate(condition, {}, frozenset(), known).truth is Truth.FALSE
    negated = {"StringNotEquals": {"aws:PrincipalTag/team": "ml"}}
    assert evaluate(negated, {}, frozenset(), known).truth is Truth.TRUE
    tagged = {"aws:principaltag/team": ("ml",)}
    assert evaluate(condition, tagged, frozenset(), known).truth is Truth.TRUE
    # Other keys stay unknown.
    other = {"StringEquals": {"aws:ResourceTag/team": "ml"}}
    assert evaluate(other, {}, frozenset(), known).truth is Truth.UNKNOWN


def test_a_policy_variable_takes_the_requests_value_or_stays_unknown() -> None:
    # AmazonSageMakerJobFullAccess: aws:ResourceAccount must equal ${aws:PrincipalAccount}.
    same = {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}
    context = {"aws:resourceaccount": ("111122223333",), "aws:principalaccount": ("111122223333",)}
    assert evaluate(same, context, frozenset()).truth is Truth.TRUE
    other = {**context, "aws:resourceaccount": ("444455556666",)}
    assert evaluate(same, other, frozenset()).truth is Truth.FALSE
    unknown = evaluate(same, {"aws:resourceaccount": ("111122223333",)}, frozenset())
    assert (unknown.truth, unknown.unknown_keys) == (Truth.UNKNOWN, ("${aws:PrincipalAccount}",))
    # ${*} is a literal asterisk, not a wildcard's variable.
    star = {"StringEquals": {"aws:ResourceAccount": "${*}"}}
    assert evaluate(star, {"aws:resourceaccount": ("*",)}, frozenset()).truth is Truth.TRUE
