"""The ARNs each EC2 call of the job's role names (R8), from the request alone."""

from ir_vpc_guard.intake.role_arns import role_resources
from tests.snapshots import job


def test_create_network_interface_names_the_new_interface_the_subnets_and_the_groups() -> None:
    prefix = "arn:aws:ec2:us-east-1:123456789012"
    assert role_resources(job(), "ec2:CreateNetworkInterface") == (
        f"{prefix}:network-interface/*",
        f"{prefix}:subnet/subnet-a",
        f"{prefix}:subnet/subnet-b",
        f"{prefix}:security-group/sg-1",
    )
    assert role_resources(job(), "ec2:DeleteNetworkInterface") == (f"{prefix}:network-interface/*",)
    assert role_resources(job(), "ec2:ModifyNetworkInterfaceAttribute") == (
        f"{prefix}:network-interface/*",
        f"{prefix}:security-group/sg-1",
    )
