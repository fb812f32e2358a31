"""The reads that confirm what an undetermined resource-policy answer hangs on (confirm.py)."""

from ir_vpc_guard.checks.confirm import Target, commands, context_entry, role_allows

ROLE = "arn:aws:iam::123456789012:role/ir"
OBJECT = Target("s3:GetObject", "arn:aws:s3:::models/m.tar.gz", ROLE, "models", "m.tar.gz")
PREFIX = Target("s3:GetObject", "arn:aws:s3:::models/dir/*", ROLE, "models", "dir/*")
REPO_ARN = "arn:aws:ecr:us-east-1:123456789012:repository/serving"
REPO = Target("ecr:BatchGetImage", REPO_ARN, ROLE, repository="serving")


def test_a_prefix_reads_the_tags_of_every_object_under_it() -> None:
    command = commands(["s3:ExistingObjectTag/class"], [PREFIX])
    assert command.startswith("aws s3api list-objects-v2 --bucket models --prefix 'dir/'")
    assert command.endswith("aws s3api get-object-tagging --bucket models --key {}")


def test_resource_tags_are_read_from_the_bucket_or_the_repository() -> None:
    assert commands(["aws:ResourceTag/team"], [OBJECT]) == (
        "aws s3api get-bucket-tagging --bucket models"
    )
    assert commands(["aws:ResourceTag/team"], [REPO]) == (
        f"aws ecr list-tags-for-resource --resource-arn {REPO_ARN}"
    )


def test_the_roles_tags_and_organization_path_are_read_where_they_live() -> None:
    assert commands(["aws:PrincipalTag/team"], [OBJECT]) == "aws iam list-role-tags --role-name ir"
    assert commands(["aws:PrincipalOrgPaths"], [OBJECT]) == (
        "aws organizations list-parents --child-id 123456789012"
    )


def test_the_same_read_is_named_once_for_several_keys_and_objects() -> None:
    other = Target("s3:GetObject", "arn:aws:s3:::models/n", ROLE, "models", "n")
    command = commands(["aws:PrincipalOrgID", "aws:ResourceOrgID"], [OBJECT, other])
    assert command.count("describe-organization") == 1


def test_the_roles_own_policies_are_simulated_on_every_refused_resource() -> None:
    command = role_allows([OBJECT, PREFIX])
    assert f"--policy-source-arn {ROLE}" in command
    assert "--resource-arns arn:aws:s3:::models/m.tar.gz arn:aws:s3:::models/dir/*" in command


def test_the_simulator_gets_an_ip_key_as_an_ip_and_any_other_as_a_string() -> None:
    assert context_entry("aws:SourceIp").endswith("ContextKeyType=ip")
    assert context_entry("aws:SourceIdentity").endswith("ContextKeyType=string")
