"""Egress rules of the sandbox world's job group, as EC2 takes them: to take one away, or
to swap it for another, and see what the checks make of the change."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard_dev.sandbox import World


def https_to(prefix_list: str, low: int = 443, high: int = 443) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": low,
        "ToPort": high,
        "PrefixListIds": [{"PrefixListId": prefix_list}],
    }


def s3_rule(world: World) -> dict[str, Any]:
    """The world's own rule to S3: HTTPS to the region's S3 prefix list."""
    return https_to(world.prefix_list_id)


VPC_RULE = {
    "IpProtocol": "tcp",
    "FromPort": 0,
    "ToPort": 65535,
    "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
}


def revoke_rule(session: Any, world: World, rule: dict[str, Any]) -> None:
    """Take `rule` out of the job group's egress."""
    session.client("ec2").revoke_security_group_egress(
        GroupId=world.group_ids[0], IpPermissions=[rule]
    )


def replace_rule(session: Any, world: World, old: dict[str, Any], new: dict[str, Any]) -> None:
    revoke_rule(session, world, old)
    session.client("ec2").authorize_security_group_egress(
        GroupId=world.group_ids[0], IpPermissions=[new]
    )
