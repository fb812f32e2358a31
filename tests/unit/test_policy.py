"""The conservative IAM policy reader."""

from ir_vpc_guard.checks.policy import Decision, decide, parse, wildcard


def test_wildcards_are_star_and_question_mark_only() -> None:
    assert wildcard("ec2:Describe*", "ec2:describesubnets", ignore_case=True)
    assert wildcard("s3:Get?bject", "s3:GetObject", ignore_case=False)
    assert not wildcard("arn:aws:s3:::[ab]", "arn:aws:s3:::a", ignore_case=False)


def test_not_action_and_not_resource() -> None:
    document = {
        "Statement": {
            "Effect": "Allow",
            "NotAction": "iam:*",
            "NotResource": "arn:aws:s3:::secret/*",
        }
    }
    assert decide([document], "s3:GetObject", "arn:aws:s3:::models/m") is Decision.ALLOWED
    assert decide([document], "s3:GetObject", "arn:aws:s3:::secret/m") is Decision.IMPLICIT_DENY
    assert decide([document], "iam:PassRole", "*") is Decision.IMPLICIT_DENY


def test_conditional_statements_prove_nothing() -> None:
    conditional = {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"x": "true"}},
    }
    assert decide([{"Statement": [conditional]}], "ec2:DescribeVpcs") is Decision.IMPLICIT_DENY


def test_unparseable_policy_reads_as_empty() -> None:
    assert parse("not json") == {} and parse(None) == {} and parse("[1]") == {}
