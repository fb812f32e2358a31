"""The requests the job makes, as IAM sees them: who makes them, on which ARNs (in the
partition of the job's region), and which context keys they carry or lack."""

from dataclasses import replace

from ir_vpc_guard.checks.policy import VPC_CONTEXT_KEYS, Decision, Principal, explicit_deny
from ir_vpc_guard.checks.requests import (
    endpoint_read,
    job_objects,
    object_arn,
    role_calls,
    role_facts,
    role_principal,
    service_read,
)
from ir_vpc_guard.discovery.snapshot import ModelInfo, Read, ReadError, RoleAccess
from ir_vpc_guard.intake.role_arns import role_resources
from tests.snapshots import compliant, job

ROLE = "arn:aws:iam::123456789012:role/R"
OBJECT = "arn:aws:s3:::models/m.tar.gz"
CN = job(region="cn-north-1", role_arn="arn:aws-cn:iam::123456789012:role/R")
GOV = job(region="us-gov-west-1", role_arn="arn:aws-us-gov:iam::123456789012:role/R")


# --- Who -----------------------------------------------------------------------------------
def test_the_principal_is_the_execution_roles_sessions_in_the_roles_account() -> None:
    assert role_principal(job()) == Principal(account="123456789012", role_arn=ROLE)
    other = "arn:aws:iam::444455556666:role/Shared"
    assert role_principal(job(role_arn=other)) == Principal(account="444455556666", role_arn=other)
    assert role_principal(job(role_arn=None)) == Principal(account="123456789012")


# --- Context -------------------------------------------------------------------------------
def test_a_service_read_carries_no_vpc_keys() -> None:
    request = service_read(job(), "s3:GetObject", OBJECT)
    assert (request.action, request.resource) == ("s3:GetObject", OBJECT)
    assert request.absent == VPC_CONTEXT_KEYS
    assert not VPC_CONTEXT_KEYS & set(request.context)
    assert request.context["aws:principalarn"] == (ROLE,)
    assert request.context["aws:principalaccount"] == ("123456789012",)
    assert request.context["aws:requestedregion"] == ("us-east-1",)
    assert request.context["aws:securetransport"] == ("true",)
    assert request.implicit_resource is False
    assert service_read(job(), "ecr:BatchGetImage", "arn", repository=True).implicit_resource


def test_a_service_read_without_a_role_does_not_claim_a_principal_arn() -> None:
    request = service_read(job(role_arn=None), "s3:GetObject", OBJECT)
    assert "aws:principalarn" not in request.context
    assert "aws:principalaccount" not in request.context


def test_an_endpoint_read_carries_the_endpoint_and_the_vpc() -> None:
    request = endpoint_read(job(), "vpce-1", "vpc-1", OBJECT)
    assert (request.action, request.resource) == ("s3:GetObject", OBJECT)
    assert request.context["aws:sourcevpce"] == ("vpce-1",)
    assert request.context["aws:sourcevpc"] == ("vpc-1",)
    assert request.principal == role_principal(job())
    assert request.absent == frozenset()


def test_deny_unless_source_vpce_refuses_the_service_read_not_the_endpoint_read() -> None:
    """IAM User Guide: StringNotEquals on an absent key is true, so SageMaker's own read from
    outside the VPC is denied; the instances' read through the named endpoint is not."""
    policy = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::models/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
            }
        ]
    }
    outside = explicit_deny([policy], service_read(job(), "s3:GetObject", OBJECT))
    assert outside.decision is Decision.EXPLICIT_DENY
    inside = explicit_deny([policy], endpoint_read(job(), "vpce-1", "vpc-1", OBJECT))
    assert inside.decision is Decision.IMPLICIT_DENY


# --- S3 objects ----------------------------------------------------------------------------
def test_object_arns_are_in_the_partition_of_the_jobs_region() -> None:
    assert object_arn(job(), "s3://models/m.tar.gz") == OBJECT
    assert object_arn(CN, "s3://models/m.tar.gz") == "arn:aws-cn:s3:::models/m.tar.gz"
    assert object_arn(GOV, "s3://models/m.tar.gz") == "arn:aws-us-gov:s3:::models/m.tar.gz"


def test_a_prefix_url_stands_for_the_objects_under_it() -> None:
    assert object_arn(job(), "s3://models/dir/") == "arn:aws:s3:::models/dir/*"
    assert object_arn(job(), "s3://models/") == "arn:aws:s3:::models/*"
    assert object_arn(job(), "s3://models") == "arn:aws:s3:::models/*"


def test_a_url_that_is_not_an_s3_url_has_no_arn() -> None:
    for url in (None, "", "https://models/m", "s3://Models/m", "s3://m/x"):
        assert object_arn(job(), url) is None, url


def test_job_objects_are_the_artifacts_and_the_payload_by_bucket_once_each() -> None:
    model = ModelInfo(
        source="pkg",
        artifact_urls=("s3://models/a.tar.gz", "s3://models/a.tar.gz", "s3://other/b/"),
        sample_payload_url="s3://payloads/model.tar.gz",
    )
    snapshot = compliant(
        job=job(sample_payload_url="s3://payloads/job.tar.gz"), model=Read(value=model)
    )
    assert job_objects(snapshot) == {
        "models": ["arn:aws:s3:::models/a.tar.gz"],
        "other": ["arn:aws:s3:::other/b/*"],
        "payloads": ["arn:aws:s3:::payloads/job.tar.gz"],
    }


def test_job_objects_fall_back_to_the_models_payload_and_skip_an_unread_model() -> None:
    model = ModelInfo(source="pkg", sample_payload_url="s3://payloads/model.tar.gz")
    assert job_objects(compliant(model=Read(value=model))) == {
        "payloads": ["arn:aws:s3:::payloads/model.tar.gz"]
    }
    unread = Read[ModelInfo](error=ReadError("DescribeModelPackage", "AccessDenied"))
    snapshot = compliant(job=job(sample_payload_url="s3://payloads/p"), model=unread)
    assert job_objects(snapshot) == {"payloads": ["arn:aws:s3:::payloads/p"]}


def test_job_objects_are_in_the_jobs_partition() -> None:
    assert job_objects(compliant(job=CN)) == {"models": ["arn:aws-cn:s3:::models/m.tar.gz"]}


# --- The role's EC2 calls (R8) -------------------------------------------------------------
def test_describe_calls_name_no_resource() -> None:
    assert role_resources(job(), "ec2:DescribeSubnets") == ("*",)
    (call,) = role_calls(job(), "ec2:DescribeSubnets", "vpc-1")
    assert call.resource == "*" and "ec2:vpc" not in call.context
    assert call.context["ec2:region"] == ("us-east-1",)


def test_ec2_arns_are_in_the_partition_of_the_jobs_region() -> None:
    cn = replace(CN, subnets=("subnet-a",), security_groups=("sg-1",))
    assert role_resources(cn, "ec2:CreateNetworkInterface") == (
        "arn:aws-cn:ec2:cn-north-1:123456789012:network-interface/*",
        "arn:aws-cn:ec2:cn-north-1:123456789012:subnet/subnet-a",
        "arn:aws-cn:ec2:cn-north-1:123456789012:security-group/sg-1",
    )
    (call,) = role_calls(replace(GOV, subnets=("subnet-a",)), "ec2:DeleteNetworkInterface", "vpc-1")
    assert call.context["ec2:vpc"] == ("arn:aws-us-gov:ec2:us-gov-west-1:123456789012:vpc/vpc-1",)


def test_role_calls_carry_the_vpc_and_mark_new_interfaces_as_templates() -> None:
    calls = role_calls(job(), "ec2:CreateNetworkInterface", "vpc-1")
    interface, *others = role_resources(job(), "ec2:CreateNetworkInterface")
    # One request per subnet the new interface may be created in (each names its subnet).
    assert [c.resource for c in calls] == [interface] * len(job().subnets) + others
    assert all(c.action == "ec2:CreateNetworkInterface" for c in calls)
    assert [c.resource_is_template for c in calls] == [True, True, False, False, False]
    vpc = ("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1",)
    assert all(c.context["ec2:vpc"] == vpc for c in calls)
    assert all(c.principal is None for c in calls)
    unknown_vpc = role_calls(job(), "ec2:CreateNetworkInterface", None)
    assert all("ec2:vpc" not in c.context for c in unknown_vpc)


def test_new_interfaces_carry_their_subnet_and_every_call_the_region() -> None:
    calls = role_calls(job(), "ec2:DeleteNetworkInterface", "vpc-1")
    prefix = "arn:aws:ec2:us-east-1:123456789012"
    assert [c.context["ec2:subnet"] for c in calls] == [
        (f"{prefix}:subnet/subnet-a",),
        (f"{prefix}:subnet/subnet-b",),
    ]
    assert all(c.context["ec2:region"] == ("us-east-1",) for c in calls)
    assert all(c.context["aws:requestedregion"] == ("us-east-1",) for c in calls)


def test_shared_subnets_groups_and_vpcs_are_named_in_their_owners_account() -> None:
    owner = "210987654321"
    owners = {"subnet-a": owner, "subnet-b": owner, "sg-1": owner, "vpc-1": owner}
    calls = role_calls(job(), "ec2:CreateNetworkInterface", "vpc-1", owners)
    shared = f"arn:aws:ec2:us-east-1:{owner}"
    assert [c.resource for c in calls] == [
        "arn:aws:ec2:us-east-1:123456789012:network-interface/*",  # the job's own interface
        "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
        f"{shared}:subnet/subnet-a",
        f"{shared}:subnet/subnet-b",
        f"{shared}:security-group/sg-1",
    ]
    assert all(c.context["ec2:vpc"] == (f"{shared}:vpc/vpc-1",) for c in calls)
    assert calls[0].context["ec2:subnet"] == (f"{shared}:subnet/subnet-a",)


def test_the_roles_tags_are_its_principal_tags_and_no_other_tag_is_unknown() -> None:
    (call,) = role_calls(job(), "ec2:DescribeSubnets", None, tags={"Team": "ml"})
    assert call.context["aws:principaltag/team"] == ("ml",)
    assert call.known_prefixes == ("aws:principaltag/",)
    (unread,) = role_calls(job(), "ec2:DescribeSubnets", None)
    assert unread.known_prefixes == ()


def test_a_role_with_a_boundary_makes_bounded_reads() -> None:
    bounded = compliant(role=Read(value=RoleAccess(boundary={"Statement": []})))
    assert role_facts(bounded).bounded and not role_facts(compliant()).bounded
    request = service_read(job(), "s3:GetObject", OBJECT, role=role_facts(bounded))
    not_me = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": ROLE},
        "Action": "s3:GetObject",
        "Resource": OBJECT,
    }
    assert explicit_deny([{"Statement": [not_me]}], request).decision is Decision.EXPLICIT_DENY


def test_the_roles_tags_decide_a_resource_policys_principal_tag_condition() -> None:
    """The bucket's Deny unless aws:PrincipalTag/team = ml: decided by the role's own tags
    (iam:GetRole), not left undetermined; a tag the role lacks is absent, so the Deny holds."""
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": OBJECT,
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "ml"}},
    }
    for tags, decision in (({"team": "ml"}, Decision.IMPLICIT_DENY), ({}, Decision.EXPLICIT_DENY)):
        tagged = compliant(role=Read(value=RoleAccess(tags=tags)))
        request = service_read(job(), "s3:GetObject", OBJECT, role=role_facts(tagged))
        assert explicit_deny([{"Statement": [deny]}], request).decision is decision, tags
