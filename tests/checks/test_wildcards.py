"""IAM wildcards ("IAM JSON policy elements"): `*` and `?` are the only ones; the caller
says whether case counts (actions: no; ARNs and resource names: yes)."""

from hypothesis import given
from hypothesis import strategies as st

from ir_vpc_guard.checks.wildcards import wildcard


def test_wildcards_are_star_and_question_mark_only() -> None:
    assert wildcard("ec2:Describe*", "ec2:describesubnets", ignore_case=True)
    assert wildcard("s3:Get?bject", "s3:GetObject", ignore_case=False)
    assert not wildcard("arn:aws:s3:::[ab]", "arn:aws:s3:::a", ignore_case=False)
    assert not wildcard("s3:Get.*", "s3:GetObject", ignore_case=False)


def test_star_matches_any_run_of_characters_including_none_and_separators() -> None:
    assert wildcard("arn:aws:s3:::models/*", "arn:aws:s3:::models/", ignore_case=False)
    assert wildcard("arn:aws:s3:::models/*", "arn:aws:s3:::models/a/b/c", ignore_case=False)
    assert wildcard("arn:*:iam::*:role/*", "arn:aws-cn:iam::1:role/p/R", ignore_case=False)
    assert wildcard("*", "", ignore_case=False)


def test_question_mark_matches_exactly_one_character() -> None:
    assert wildcard("vpce-?", "vpce-1", ignore_case=False)
    assert not wildcard("vpce-?", "vpce-", ignore_case=False)
    assert not wildcard("vpce-?", "vpce-12", ignore_case=False)


def test_the_whole_value_must_match() -> None:
    assert not wildcard("s3:Get", "s3:GetObject", ignore_case=True)
    assert not wildcard("GetObject", "s3:GetObject", ignore_case=True)
    assert not wildcard("arn:aws:s3:::models", "arn:aws:s3:::models/m", ignore_case=False)


def test_case_counts_only_when_the_caller_says_so() -> None:
    assert not wildcard("arn:aws:s3:::Models/*", "arn:aws:s3:::models/m", ignore_case=False)
    assert wildcard("arn:aws:s3:::Models/*", "arn:aws:s3:::models/m", ignore_case=True)
    assert not wildcard("S3:GETOBJECT", "s3:GetObject", ignore_case=False)
    assert wildcard("S3:GETOBJECT", "s3:GetObject", ignore_case=True)


def test_regex_characters_are_literal() -> None:
    for pattern, other in (
        ("a.b", "axb"),
        ("a+", "aa"),
        ("(a|b)", "a"),
        ("a{2}", "aa"),
        ("^a$", "a"),
        ("a\\d", "a1"),
    ):
        assert wildcard(pattern, pattern, ignore_case=False), pattern
        assert not wildcard(pattern, other, ignore_case=False), pattern


TEXT = st.text(alphabet="ab*?.:/[]\\\n", max_size=8)


@given(TEXT)
def test_every_pattern_matches_its_own_text(pattern: str) -> None:
    assert wildcard(pattern, pattern, ignore_case=False)


LITERAL = st.text(alphabet="ab:/.\n", max_size=6)


@given(LITERAL, LITERAL)
def test_a_pattern_without_wildcards_matches_only_itself(pattern: str, value: str) -> None:
    assert wildcard(pattern, value, ignore_case=False) is (pattern == value)


@given(LITERAL)
def test_star_matches_everything_and_question_marks_count_characters(value: str) -> None:
    assert wildcard("*", value, ignore_case=False)
    assert wildcard("?" * len(value), value, ignore_case=False)
    assert not wildcard("?" * (len(value) + 1), value, ignore_case=False)
