"""R8: the execution role may manage the job's interfaces (checks/identity.py)."""

from typing import Any

from ir_vpc_guard.discovery.snapshot import Read, RoleAccess
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS
from tests.checks.helpers import finding, found
from tests.snapshots import compliant


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


def _role(*statements: Any, attached: tuple[str, ...] = ()) -> list[str]:
    access = RoleAccess(policies=({"Statement": list(statements)},), attached_policy_arns=attached)
    return found(compliant(role=Read(value=access)))
