"""The worlds the benchmarks run in, built in moto through boto3 (never measured).

A "crowded" VPC has the job's subnets plus `extra` unrelated subnets, and, in proportion,
one route table and one security group per two extra subnets (each table associated
with its two subnets) and one network ACL per ten: what the product must not read and
what the naive baseline has to page through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ir_vpc_guard.discovery.prefix_lists import forget_s3_prefix_lists
from ir_vpc_guard_dev.sandbox import World, build_world, create_table, set_group_egress

ROOT = Path(__file__).resolve().parents[1]
GOOD_EVENT = ROOT / "events" / "good_job.json"


def good_event(world: World) -> dict[str, Any]:
    """The sample CloudTrail event, pointed at `world`."""
    return world.event(json.loads(GOOD_EVENT.read_text()))


def job_event(world: World, subnets: int, groups: int) -> dict[str, Any]:
    """The sample event naming the first `subnets` subnets and `groups` groups of `world`."""
    event = good_event(world)
    vpc = event["detail"]["requestParameters"]["inputConfig"]["vpcConfig"]
    vpc["subnets"] = world.subnet_ids[:subnets]
    vpc["securityGroupIds"] = world.group_ids[:groups]
    return event


def crowded_world(session: Any, extra: int, *, job_subnets: int = 2) -> World:
    """A compliant world in a VPC with `extra` unrelated subnets and their neighbours."""
    forget_s3_prefix_lists()  # a new emulated account has another S3 prefix list ID
    world = build_world(session, subnets=job_subnets, extra_subnets=extra)
    ec2 = session.client("ec2")
    others = _other_subnets(ec2, world)
    for pair in range(len(others) // 2):
        table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
        for subnet in others[2 * pair : 2 * pair + 2]:
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        ec2.create_security_group(
            GroupName=f"noise-{pair}", Description="unrelated", VpcId=world.vpc_id
        )
    for _ in range(len(others) // 10):
        ec2.create_network_acl(VpcId=world.vpc_id)
    return world


def add_job_groups(session: Any, world: World, count: int) -> None:
    """`count` more compliant groups for the job, so events can name up to 1 + count."""
    ec2 = session.client("ec2")
    for n in range(count):
        group = ec2.create_security_group(
            GroupName=f"ir-job-{n}", Description="job group", VpcId=world.vpc_id
        )["GroupId"]
        set_group_egress(ec2, group, "compliant", world.prefix_list_id)
        world.group_ids.append(group)


def broken_world(session: Any) -> World:
    """No S3 endpoint and HTTPS egress only to 10.0.0.0/8: what apply mode can fix."""
    return build_world(session, with_endpoint=False, group_egress="proxy-https-only")


def _other_subnets(ec2: Any, world: World) -> list[str]:
    found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}])
    return sorted(s["SubnetId"] for s in found["Subnets"] if s["SubnetId"] not in world.subnet_ids)


def lock_table(session: Any, name: str = "ir-vpc-guard-bench") -> str:
    """The idempotency table as the template makes it (partition key `id`): the VPC lock's."""
    return create_table(session, name)
