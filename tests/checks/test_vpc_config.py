"""R2: the job's subnets and groups exist, in one VPC (checks/vpc_config.py)."""

from ir_vpc_guard.discovery.snapshot import Read
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
