"""Ten jobs created at once in one VPC, in apply mode: one endpoint, no duplicate rules.

A ClientToken only deduplicates identical requests, and jobs on different subnets have
different route tables, so they would each create an endpoint; a re-read cannot see a
create in flight. The per-VPC DynamoDB lease serializes the writers.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.findings import Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state import leases
from ir_vpc_guard.state.lock import LEASE_SECONDS, DynamoVpcLock, LockTimeoutError
from ir_vpc_guard_dev.sandbox import World, build_world, create_table
from tests.conftest import REGION, ROLE_ADVISORY, load_event
from tests.world_reads import live_endpoints

TABLE = "ir-vpc-guard-idempotency"
JOBS = 10


def make_table(session: Any) -> None:
    create_table(session, TABLE)


def job_events(world: World, count: int) -> list[dict[str, Any]]:
    """`count` jobs with their own names and event IDs, each on its own pair of subnets."""
    template = world.event(load_event("good_job"))
    events = []
    for index in range(count):
        event = copy.deepcopy(template)
        event["detail"]["eventID"] = f"00000000-0000-4000-8000-{index:012d}"
        params = event["detail"]["requestParameters"]
        params["jobName"] = f"job-{index}"
        subnets = world.subnet_ids[index % len(world.subnet_ids) :][:2] or world.subnet_ids[:1]
        params["inputConfig"]["vpcConfig"]["subnets"] = subnets
        events.append(event)
    return events


@pytest.fixture
def crowded(aws: Any) -> World:
    """A broken VPC whose job subnets each have their own route table."""
    world = build_world(
        aws, REGION, subnets=4, with_endpoint=False, group_egress="proxy-https-only"
    )
    ec2 = aws.client("ec2")
    for subnet in world.subnet_ids[1:]:
        table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
        old = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["RouteTables"][0]
        association = next(
            a["RouteTableAssociationId"] for a in old["Associations"] if a.get("SubnetId") == subnet
        )
        ec2.replace_route_table_association(AssociationId=association, RouteTableId=table)
    make_table(aws)
    return world


def rendezvous_clients(barrier: threading.Barrier) -> Callable[[str], AwsClients]:
    """Clients whose CreateVpcEndpoint waits until every job got there (or 1 s passed).

    This makes the race certain instead of lucky: without the lease, every job passes
    its re-read before any endpoint exists and each creates one (seen: 2 of 2 with the
    lock replaced by a no-op). With it, the first writer waits alone, then creates; the
    others re-read under the lease and find its endpoint.
    """

    def factory(region: str) -> AwsClients:
        session = boto3.session.Session(region_name=region)

        def wait(**_: Any) -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=1)

        session.events.register("before-call.ec2.CreateVpcEndpoint", wait)
        return AwsClients(region, session=session)

    return factory


def quick_polls(seconds: float) -> None:
    """A tenth of each backoff sleep: exclusion is what is tested here, on real time (the
    backoff's schedule is tested on simulated time, in test_lock_backoff.py)."""
    time.sleep(seconds / 10)


def test_ten_concurrent_jobs_in_one_vpc_make_one_endpoint(aws: Any, crowded: World) -> None:
    settings = Settings(remediation_mode=Mode.APPLY, idempotency_table=TABLE)
    clients = rendezvous_clients(threading.Barrier(JOBS))
    # The lease on the table, as the handler passes it, with the lock's own clock.
    lock = DynamoVpcLock(aws.client("dynamodb"), TABLE, sleep=quick_polls)

    def handle(event: dict[str, Any]) -> dict[str, Any]:
        return handle_event(event, settings, clients, lock=lock)[0].to_dict()

    with ThreadPoolExecutor(JOBS) as pool:
        reports = list(pool.map(handle, job_events(crowded, JOBS)))

    [endpoint] = live_endpoints(aws, crowded)
    used_tables = {
        a["RouteTableId"]
        for t in aws.client("ec2").describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [crowded.vpc_id]}]
        )["RouteTables"]
        for a in t["Associations"]
        if a.get("SubnetId") in crowded.subnet_ids
    }
    assert set(endpoint["RouteTableIds"]) == used_tables
    group = aws.client("ec2").describe_security_groups(GroupIds=crowded.group_ids)
    permissions = group["SecurityGroups"][0]["IpPermissionsEgress"]
    cidrs = [r["CidrIp"] for p in permissions for r in p["IpRanges"]]
    assert len(cidrs) == len(set(cidrs))
    prefix_lists = [pl["PrefixListId"] for p in permissions for pl in p["PrefixListIds"]]
    assert prefix_lists == [crowded.prefix_list_id]

    # Every report is consistent: it fixed its job, or found it fixed by another.
    assert {r["outcome"] for r in reports} <= {"REMEDIATED", "PASS"}
    # (only the role's LOW advisory: AWS's AmazonSageMakerFullAccess lacks one action)
    assert all([f["checkId"] for f in r["findings"]] == [ROLE_ADVISORY] for r in reports)
    created = [
        a for r in reports for a in r.get("actions", []) if a.get("details", {}).get("created")
    ]
    assert len(created) == 1
    # No lease is left behind.
    items = aws.client("dynamodb").scan(TableName=TABLE)["Items"]
    assert not [i for i in items if i["id"]["S"].startswith("lock#")]


class FakeClock:
    """Time that moves only when slept through, so lease expiry is tested without waiting."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_held_lease_times_out_the_second_writer(aws: Any) -> None:
    make_table(aws)
    clock = FakeClock()
    lock = DynamoVpcLock(aws.client("dynamodb"), TABLE, clock.time, clock.sleep)
    with lock.hold("vpc-0123456789abcdef0", 5), pytest.raises(LockTimeoutError):  # noqa: SIM117
        with lock.hold("vpc-0123456789abcdef0", 5):
            pass  # pragma: no cover - never reached
    with lock.hold("vpc-0123456789abcdef0", 0):  # released: free again at once
        pass


def test_an_expired_lease_of_a_crashed_writer_is_taken_over(aws: Any) -> None:
    make_table(aws)
    clock = FakeClock()
    lock = DynamoVpcLock(aws.client("dynamodb"), TABLE, clock.time, clock.sleep)
    crashed = lock.hold("vpc-0123456789abcdef0", 0)
    crashed.__enter__()  # never exits: the invocation died holding the lease
    with lock.hold("vpc-0123456789abcdef0", LEASE_SECONDS + 30):
        assert clock.now > 1_000_000.0 + LEASE_SECONDS  # waited for the lease to expire


def test_a_retried_write_that_finds_our_own_lease_is_a_success(aws: Any) -> None:
    """botocore retries a PutItem whose answer was lost; the item it then finds is ours."""
    make_table(aws)
    dynamodb = aws.client("dynamodb")
    item = {"id": {"S": "lock#vpc-0123456789abcdef0"}, "owner": {"S": "me"}}
    assert leases.take(dynamodb, TABLE, item, 1_000, 60)
    assert leases.take(dynamodb, TABLE, item, 1_001, 60)  # the retry of the same write
    someone_else = {**item, "owner": {"S": "them"}}
    assert not leases.take(dynamodb, TABLE, someone_else, 1_002, 60)
    leases.drop(dynamodb, TABLE, {"id": item["id"]}, {"S": "them"})  # not theirs to drop
    assert "Item" in dynamodb.get_item(TableName=TABLE, Key={"id": item["id"]})
