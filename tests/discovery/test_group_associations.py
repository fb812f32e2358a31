"""The associations of job groups of another VPC with the job's VPC: one read, filtered by
the stray groups and the job's VPC, made only when there is a stray group."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard_dev.sandbox import World
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.test_group_associations import ASSOCIATIONS, platform_group


def test_only_the_stray_groups_are_asked_about_and_only_with_the_jobs_vpc(
    aws: Any, world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    associated, alone = platform_group(aws, world), platform_group(aws, world)
    fake = FakeGroupAssociations(clients.ec2.meta.events, aws.client("ec2"))
    clients.ec2.associate_security_group_vpc(GroupId=associated, VpcId=world.vpc_id)
    calls.clear()
    job = replace(job, security_groups=(*world.group_ids, associated, alone))
    snapshot = Discovery(clients).discover(job)
    assert snapshot.group_vpc_associations.value == {associated: "associated"}
    assert calls[ASSOCIATIONS] == 1 and len(fake.associations) == 1
    assert fake.asked == [{"group-id": {associated, alone}, "vpc-id": {world.vpc_id}}]


def test_with_every_group_in_the_subnets_vpc_nothing_is_read(
    clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    snapshot = Discovery(clients).discover(job)
    assert snapshot.group_vpc_associations.value == {}
    assert ASSOCIATIONS not in calls
