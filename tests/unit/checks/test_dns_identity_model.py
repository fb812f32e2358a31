"""R6 DNS, R8 execution role, R1 registry and R3 resource policies."""

import json
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, RoleAccess
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS
from tests.unit.checks.helpers import finding, found
from tests.unit.snapshots import compliant, job


def test_dns_support_off_is_flagged() -> None:
    assert found(compliant(dns_support=Read(value=False))) == ["VPC_DNS_DISABLED"]


def test_custom_dns_servers_are_flagged_amazon_dns_is_not() -> None:
    custom = compliant(
        dhcp_name_servers=Read(value=("10.0.0.53",)), vpc=Read(value={"DhcpOptionsId": "dopt-1"})
    )
    assert finding(custom, "VPC_CUSTOM_DNS").severity is Severity.MEDIUM
    both = compliant(dhcp_name_servers=Read(value=("AmazonProvidedDNS", "10.0.0.53")))
    assert found(both) == []


def test_amazon_dns_listed_after_a_custom_server_is_no_fallback() -> None:
    custom_first = compliant(
        dhcp_name_servers=Read(value=("10.0.0.53", "AmazonProvidedDNS")),
        vpc=Read(value={"DhcpOptionsId": "dopt-1"}),
    )
    result = finding(custom_first, "VPC_CUSTOM_DNS")
    assert result.evidence["domainNameServers"] == ["10.0.0.53", "AmazonProvidedDNS"]
    assert "not first" in result.detail


def _role(*statements: Any, attached: tuple[str, ...] = ()) -> list[str]:
    access = RoleAccess(policies=({"Statement": list(statements)},), attached_policy_arns=attached)
    return found(compliant(role=Read(value=access)))


def test_role_wildcards_count() -> None:
    assert _role({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}) == []
    describe_only = {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}
    assert _role(describe_only) == ["ROLE_VPC_PERMISSIONS_MISSING"]
    writes = {
        "Effect": "Allow",
        "Action": ["ec2:*NetworkInterface*", "ec2:ModifyNetworkInterfaceAttribute"],
        "Resource": "*",
    }
    assert _role(describe_only, writes) == []


def test_explicit_deny_beats_allow() -> None:
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "ec2:CreateNetworkInterface", "Resource": "*"}
    snapshot = compliant(role=Read(value=RoleAccess(policies=({"Statement": [allow, deny]},))))
    assert finding(snapshot, "ROLE_VPC_PERMISSIONS_MISSING").evidence["denied"] == {
        "ec2:CreateNetworkInterface": "explicitDeny"
    }


def test_a_policy_is_judged_by_its_document_never_its_name() -> None:
    """A customer policy that borrows the managed policy's name grants only what it says."""
    borrowed = "arn:aws:iam::111122223333:policy/AmazonSageMakerFullAccess"
    s3_only = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    assert _role(s3_only, attached=(borrowed,)) == ["ROLE_VPC_PERMISSIONS_MISSING"]
    managed = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    assert _role(s3_only, attached=(managed,)) == ["ROLE_VPC_PERMISSIONS_MISSING"]


def test_simulator_decisions_are_used_when_available() -> None:
    decisions = dict.fromkeys(ROLE_REQUIRED_ACTIONS, "allowed") | {
        "ec2:DeleteNetworkInterface": "implicitDeny"
    }
    result = finding(
        compliant(role=Read(value=RoleAccess(simulated=decisions))), "ROLE_VPC_PERMISSIONS_MISSING"
    )
    assert result.severity is Severity.HIGH
    assert result.evidence["denied"] == {"ec2:DeleteNetworkInterface": "implicitDeny"}
    assert result.evidence["method"] == "iam:SimulatePrincipalPolicy"


def test_simulator_refusal_for_want_of_context_is_undetermined() -> None:
    decisions = dict.fromkeys(ROLE_REQUIRED_ACTIONS, "allowed") | {
        "ec2:CreateNetworkInterface": "implicitDeny"
    }
    access = RoleAccess(
        simulated=decisions,
        missing_context={"ec2:CreateNetworkInterface": ("aws:PrincipalTag/team",)},
    )
    result = finding(compliant(role=Read(value=access)), "ROLE_VPC_PERMISSIONS_MISSING")
    assert result.severity is Severity.MEDIUM
    assert result.evidence["undetermined"] == "aws:PrincipalTag/team"


def test_model_name_instead_of_package_is_flagged() -> None:
    snapshot = compliant(job=job(model_package_arn=None, model_name="my-model"))
    assert finding(snapshot, "MODEL_NOT_IN_REGISTRY").resources == ("my-model",)


def test_a_preflight_without_a_model_is_not_judged_on_it() -> None:
    snapshot = compliant(job=job(model_package_arn=None, model_name=None))
    assert "MODEL_NOT_IN_REGISTRY" not in {f.check_id for f in run_checks(snapshot).findings}


VPC_DENY = {
    "Sid": "OnlyFromVpc",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::models", "arn:aws:s3:::models/*"],
    "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
}


def test_bucket_policy_denying_outside_an_endpoint_is_flagged() -> None:
    policy = json.dumps({"Statement": [VPC_DENY]})
    result = finding(
        compliant(artifact_bucket_policies=Read(value={"models": policy})),
        "MODEL_ARTIFACT_VPC_RESTRICTED",
    )
    assert result.severity is Severity.HIGH and result.evidence["statements"] == ["OnlyFromVpc"]


def test_bucket_policy_allowing_only_from_a_vpc_is_flagged_medium() -> None:
    allow_vpc = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::pay/*",
        "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
    }
    snapshot = compliant(
        job=job(sample_payload_url="s3://pay/payload.tar.gz"),
        payload_bucket_policies=Read(value={"pay": json.dumps({"Statement": [allow_vpc]})}),
    )
    assert finding(snapshot, "SAMPLE_PAYLOAD_VPC_RESTRICTED").severity is Severity.MEDIUM


def test_unrelated_conditions_and_other_actions_are_not_flagged() -> None:
    tls = {**VPC_DENY, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    puts = {**VPC_DENY, "Action": "s3:PutObject"}
    policy = json.dumps({"Statement": [tls, puts]})
    assert found(compliant(artifact_bucket_policies=Read(value={"models": policy}))) == []


def test_repository_policy_restricted_to_vpc_is_flagged() -> None:
    # Repository policies name no Resource: the repository they are attached to.
    ecr_deny = {k: v for k, v in VPC_DENY.items() if k != "Resource"}
    ecr_deny["Action"] = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    snapshot = compliant(
        repository_policies=Read(value={"repo": json.dumps({"Statement": [ecr_deny]})})
    )
    assert finding(snapshot, "IMAGE_VPC_RESTRICTED").resources == ("repo",)


def test_the_vpc_resolver_by_address_is_not_custom_dns() -> None:
    """Base + 2 of the VPC's CIDR and 169.254.169.253 are the Amazon resolver itself."""
    for server in ("10.0.0.2", "169.254.169.253"):
        snapshot = compliant(
            dhcp_name_servers=Read(value=(server,)),
            vpc=Read(value={"DhcpOptionsId": "dopt-1", "CidrBlock": "10.0.0.0/16"}),
        )
        assert found(snapshot) == [], server
    other = compliant(
        dhcp_name_servers=Read(value=("10.0.0.53", "10.0.0.2")),
        vpc=Read(value={"DhcpOptionsId": "dopt-1", "CidrBlock": "10.0.0.0/16"}),
    )
    assert "10.0.0.53" in finding(other, "VPC_CUSTOM_DNS").evidence["undetermined"]
