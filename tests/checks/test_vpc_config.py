"""R2: the job's subnets and groups exist, in one VPC (checks/vpc_config.py)."""

from typing import Any

import pytest

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, Snapshot, failed
from ir_vpc_guard.findings import Severity
from tests.checks.helpers import finding, found
from tests.snapshots import GROUP, compliant, group, job, subnet


def test_missing_subnet_is_named() -> None:
    snapshot = compliant(subnets=Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24")}))
    result = finding(snapshot, "SUBNET_NOT_FOUND")
    assert result.resources == ("subnet-b",)


def test_missing_group_is_named() -> None:
    snapshot = compliant(job=job(security_groups=(GROUP, "sg-gone")))
    assert finding(snapshot, "SECURITY_GROUP_NOT_FOUND").resources == ("sg-gone",)


def test_group_in_another_vpc_is_a_mismatch() -> None:
    other = {**group("sg-2"), "VpcId": "vpc-2"}
    snapshot = compliant(
        job=job(security_groups=(GROUP, "sg-2")),
        security_groups=Read(value={GROUP: group(), "sg-2": other}),
    )
    assert finding(snapshot, "VPC_MISMATCH").resources == ("sg-2",)


def test_a_subnet_of_another_vpc_is_named_by_vpc_mismatch_only() -> None:
    foreign = subnet("subnet-b", "10.9.2.0/24", vpc="vpc-2")
    subnets = Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": foreign})
    run = compliant(subnets=subnets)
    mismatch = finding(run, "VPC_MISMATCH")
    assert mismatch.resources == ("subnet-b",)
    assert "SG_EGRESS_SUBNETS_MISSING" not in found(run)  # 10.9.2.0/24 is not this VPC's


def _with_platform_group(**changes: Any) -> Snapshot:
    """The job uses GROUP and sg-2, a group of vpc-2 (another VPC of the account)."""
    other = {**group("sg-2"), "VpcId": "vpc-2", **changes.pop("group", {})}
    return compliant(
        job=job(security_groups=(GROUP, "sg-2")),
        security_groups=Read(value={GROUP: group(), "sg-2": other}),
        **changes,
    )


def test_a_group_associated_with_the_jobs_vpc_is_medium_never_a_certain_mismatch() -> None:
    snapshot = _with_platform_group(group_vpc_associations=Read(value={"sg-2": "associated"}))
    result = finding(snapshot, "VPC_MISMATCH")
    assert (result.severity, result.resources) == (Severity.MEDIUM, ("sg-2",))
    why = result.evidence["undetermined"]
    assert "associated with vpc-1" in why and "undocumented" in why
    assert result.remediation is not None and result.remediation.command == (
        "aws ec2 describe-security-group-vpc-associations --region us-east-1 "
        "--filters Name=group-id,Values=sg-2 Name=vpc-id,Values=vpc-1"
    )


@pytest.mark.parametrize("state", ["associating", "disassociation-failed"])
def test_an_association_that_may_hold_is_medium(state: str) -> None:
    snapshot = _with_platform_group(group_vpc_associations=Read(value={"sg-2": state}))
    assert finding(snapshot, "VPC_MISMATCH").severity is Severity.MEDIUM


@pytest.mark.parametrize("state", ["disassociated", "association-failed"])
def test_an_association_that_ended_or_failed_leaves_a_certain_mismatch(state: str) -> None:
    snapshot = _with_platform_group(group_vpc_associations=Read(value={"sg-2": state}))
    result = finding(snapshot, "VPC_MISMATCH")
    assert result.severity is Severity.HIGH and "undetermined" not in result.evidence


def test_associations_not_read_leave_the_group_undetermined_with_the_error() -> None:
    refused = failed("ec2:DescribeSecurityGroupVpcAssociations", "UnauthorizedOperation")
    result = finding(_with_platform_group(group_vpc_associations=refused), "VPC_MISMATCH")
    assert result.severity is Severity.MEDIUM
    assert "UnauthorizedOperation" in result.evidence["undetermined"]


def test_another_accounts_group_without_a_visible_association_is_undetermined() -> None:
    """Its owner may have associated it: the job account may not see that association."""
    snapshot = _with_platform_group(group={"OwnerId": "111111111111"})
    result = finding(snapshot, "VPC_MISMATCH")
    assert result.severity is Severity.MEDIUM and "111111111111" in result.evidence["undetermined"]


def test_a_stray_subnet_stays_high_beside_an_associated_group() -> None:
    foreign = subnet("subnet-b", "10.9.2.0/24", vpc="vpc-2")
    subnets = Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": foreign})
    snapshot = _with_platform_group(
        subnets=subnets, group_vpc_associations=Read(value={"sg-2": "associated"})
    )
    found = [f for f in run_checks(snapshot).findings if f.check_id == "VPC_MISMATCH"]
    by_severity = {f.severity: f.resources for f in found}
    assert by_severity == {Severity.HIGH: ("subnet-b",), Severity.MEDIUM: ("sg-2",)}
