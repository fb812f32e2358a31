"""R8: the execution role may manage the job's interfaces (checks/identity.py)."""

from dataclasses import replace
from typing import Any

from ir_vpc_guard.discovery.snapshot import Read, RoleAccess, Source
from ir_vpc_guard.findings import Finding, Severity
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS
from tests.checks.helpers import finding, found
from tests.snapshots import compliant, group, subnet

MISSING = "ROLE_VPC_PERMISSIONS_MISSING"
ADVISORY = "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED"
MODIFY = "ec2:ModifyNetworkInterfaceAttribute"
FULL_ACCESS = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
ALL_EC2 = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
INTERFACE_ACTIONS = [a for a in ROLE_REQUIRED_ACTIONS if ":Describe" not in a]
DESCRIBES = {
    "Effect": "Allow",
    "Action": [a for a in ROLE_REQUIRED_ACTIONS if ":Describe" in a],
    "Resource": "*",
}


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


# --- ec2:ModifyNetworkInterfaceAttribute: AWS's page lists it, its own policy lacks it ------
def test_lacking_only_modify_network_interface_attribute_is_a_low_advisory() -> None:
    everything_but = {
        "Effect": "Allow",
        "Action": [a for a in ROLE_REQUIRED_ACTIONS if a != MODIFY],
        "Resource": "*",
    }
    assert _role(everything_but) == [ADVISORY]
    result = finding(compliant(role=Read(value=_access(everything_but))), ADVISORY)
    assert result.severity is Severity.LOW
    assert "AmazonSageMakerFullAccess" in result.detail and "page" in result.detail
    # Its command never suggests the managed policy, which lacks the action.
    assert "attach-role-policy" not in _command(result)
    assert MODIFY in _command(result)


def test_the_simulator_path_judges_modify_network_interface_attribute_alike() -> None:
    decisions = dict.fromkeys(ROLE_REQUIRED_ACTIONS, "allowed") | {MODIFY: "implicitDeny"}
    snapshot = compliant(role=Read(value=RoleAccess(simulated=decisions)))
    assert found(snapshot) == [ADVISORY]
    assert finding(snapshot, ADVISORY).severity is Severity.LOW


def test_the_advisory_is_left_to_the_high_when_other_actions_are_refused() -> None:
    describe_only = {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}
    assert _role(describe_only) == [MISSING]
    result = finding(compliant(role=Read(value=_access(describe_only))), MISSING)
    assert MODIFY not in result.evidence["denied"]


# --- The command fits the cause ------------------------------------------------------------
def test_an_explicit_deny_names_the_policy_and_statement_to_change() -> None:
    deny = {
        "Sid": "NoEni",
        "Effect": "Deny",
        "Action": "ec2:CreateNetworkInterface",
        "Resource": "*",
    }
    access = RoleAccess(
        policies=({"Statement": [ALL_EC2]}, {"Statement": [ALL_EC2, deny]}),
        inline_policy_names=("ec2", "guard"),
    )
    result = finding(compliant(role=Read(value=access)), MISSING)
    command = _command(result)
    assert "--policy-name guard" in command and "NoEni" in command
    assert "attach-role-policy" not in command
    assert result.evidence["causes"] == {"ec2:CreateNetworkInterface": "explicit Deny"}


def test_a_deny_without_sid_is_named_by_its_place_in_a_managed_policy() -> None:
    deny = {"Effect": "Deny", "Action": "ec2:DeleteNetworkInterface", "Resource": "*"}
    arn = "arn:aws:iam::123456789012:policy/guard"
    access = RoleAccess(
        policies=({"Statement": [ALL_EC2]}, {"Statement": [ALL_EC2, deny]}),
        inline_policy_names=("ec2",),
        attached_policy_arns=(arn,),
    )
    command = _command(finding(compliant(role=Read(value=access)), MISSING))
    assert f"create-policy-version --policy-arn {arn}" in command
    assert "Statement[1]" in command


def test_a_deny_in_an_aws_managed_policy_says_to_detach_it_not_to_edit_it() -> None:
    """AWS's own policies (AWSDenyAll) cannot be changed: the fix is to detach it."""
    deny_all = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    arn = "arn:aws:iam::aws:policy/AWSDenyAll"
    access = RoleAccess(
        policies=({"Statement": [ALL_EC2]}, {"Statement": [deny_all]}),
        inline_policy_names=("ec2",),
        attached_policy_arns=(arn,),
    )
    command = _command(finding(compliant(role=Read(value=access)), MISSING))
    assert f"detach-role-policy --role-name R --policy-arn {arn}" in command
    assert "create-policy-version" not in command


def test_a_boundary_says_the_boundary_must_allow_the_actions() -> None:
    boundary = "arn:aws:iam::123456789012:policy/s3-only"
    access = RoleAccess(
        policies=({"Statement": [ALL_EC2]},),
        boundary={"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
        boundary_arn=boundary,
    )
    result = finding(compliant(role=Read(value=access)), MISSING)
    command = _command(result)
    assert "permissions boundary" in command and boundary in command
    assert "attach-role-policy" not in command and "put-role-policy" not in command


def test_a_missing_allow_suggests_the_managed_policy_unless_the_role_has_it() -> None:
    without = finding(compliant(role=Read(value=_access(DESCRIBES))), MISSING)
    assert f"attach-role-policy --role-name R --policy-arn {FULL_ACCESS}" in _command(without)
    # The role already holds it (in a version that grants less): never suggest it again.
    holding = replace(_access(DESCRIBES), attached_policy_arns=(FULL_ACCESS,))
    command = _command(finding(compliant(role=Read(value=holding)), MISSING))
    assert "attach-role-policy" not in command and "put-role-policy" in command


def test_the_simulators_deny_and_boundary_give_their_own_commands() -> None:
    decisions = dict.fromkeys(ROLE_REQUIRED_ACTIONS, "allowed") | {
        "ec2:CreateNetworkInterface": "explicitDeny",
        "ec2:DeleteNetworkInterface": "implicitDeny",
    }
    access = RoleAccess(
        simulated=decisions,
        denied_by={
            "ec2:CreateNetworkInterface": (Source("inline", "guard", "at line 4, column 5"),)
        },
        boundary_refuses=frozenset({"ec2:DeleteNetworkInterface"}),
        simulated_boundary=True,
    )
    command = _command(finding(compliant(role=Read(value=access)), MISSING))
    assert "--policy-name guard" in command and "line 4" in command
    assert "permissions boundary" in command and "attach-role-policy" not in command


# --- What the request gives away decides ---------------------------------------------------
def _arn(account: str, kind: str, rid: str) -> str:
    return f"arn:aws:ec2:us-east-1:{account}:{kind}/{rid}"


def test_a_condition_on_the_jobs_subnets_is_decided() -> None:
    def on(subnets: list[str]) -> dict[str, Any]:
        return {
            "Effect": "Allow",
            "Action": INTERFACE_ACTIONS,
            "Resource": "*",
            "Condition": {"ArnEquals": {"ec2:Subnet": subnets}},
        }

    subnets = [_arn("123456789012", "subnet", s) for s in ("subnet-a", "subnet-b")]
    # Only the interface requests carry ec2:Subnet: the subnet and group requests are allowed
    # by a statement without the condition.
    others = {
        "Effect": "Allow",
        "Action": INTERFACE_ACTIONS,
        "Resource": [
            _arn("123456789012", "subnet", "*"),
            _arn("123456789012", "security-group", "*"),
        ],
    }
    assert _role(DESCRIBES, others, on(subnets)) == []
    refused = finding(
        compliant(role=Read(value=_access(DESCRIBES, others, on(subnets[:1])))), MISSING
    )
    assert refused.severity is Severity.HIGH


def test_a_condition_on_the_region_is_decided() -> None:
    def in_region(region: str) -> dict[str, Any]:
        return {
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region, "ec2:Region": region}},
        }

    assert _role(in_region("us-east-1")) == []
    assert (
        finding(compliant(role=Read(value=_access(in_region("eu-west-1")))), MISSING).severity
        is Severity.HIGH
    )


def test_the_roles_tags_decide_principal_tag_conditions() -> None:
    team = {
        "Effect": "Allow",
        "Action": "ec2:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "ml"}},
    }
    tagged = replace(_access(team), tags={"Team": "ml"})
    assert found(compliant(role=Read(value=tagged))) == []
    other = replace(_access(team), tags={"team": "web"})
    assert finding(compliant(role=Read(value=other)), MISSING).severity is Severity.HIGH
    untagged = replace(_access(team), tags={})
    assert finding(compliant(role=Read(value=untagged)), MISSING).severity is Severity.HIGH
    unread = finding(compliant(role=Read(value=_access(team))), MISSING)
    assert unread.severity is Severity.MEDIUM


def test_shared_subnets_groups_and_vpc_are_judged_in_their_owners_account() -> None:
    owner = "210987654321"
    shared = {**subnet("subnet-a", "10.0.1.0/24"), "OwnerId": owner}
    shared_b = {**subnet("subnet-b", "10.0.2.0/24"), "OwnerId": owner}
    groups = {"sg-1": {**group(), "OwnerId": owner}}
    scoped = {
        "Effect": "Allow",
        "Action": INTERFACE_ACTIONS,
        "Resource": [
            "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
            _arn(owner, "subnet", "*"),
            _arn(owner, "security-group", "*"),
        ],
        "Condition": {"ArnEquals": {"ec2:Vpc": _arn(owner, "vpc", "vpc-1")}},
    }
    snapshot = compliant(
        subnets=Read(value={"subnet-a": shared, "subnet-b": shared_b}),
        security_groups=Read(value=groups),
        vpc_owner=owner,
        role=Read(value=_access(DESCRIBES, scoped)),
    )
    assert found(snapshot) == []
    own_account = compliant(role=Read(value=_access(DESCRIBES, scoped)))
    assert finding(own_account, MISSING).severity is Severity.HIGH


def _command(result: Finding) -> str:
    assert result.remediation is not None
    return str(result.remediation.command)


def _access(*statements: Any) -> RoleAccess:
    return RoleAccess(policies=({"Statement": list(statements)},))


def test_an_undetermined_role_says_which_keys_to_give_the_simulator() -> None:
    """The command reads what answers the unknown (the organization's ID) and fills each
    key's name in the simulator's context entries: no placeholder key left to guess."""
    allow = {**ALL_EC2, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}
    snapshot = compliant(role=Read(value=RoleAccess(policies=({"Statement": [allow]},))))
    result = finding(snapshot, MISSING)
    command = (result.remediation and result.remediation.command) or ""
    assert result.severity is Severity.MEDIUM
    assert command.startswith("aws organizations describe-organization")
    assert "ContextKeyName=aws:PrincipalOrgID," in command and "<key>" not in command
