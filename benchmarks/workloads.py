"""Table 8: the API calls one check costs, per workload, on a compliant world (moto, in
process), as the function's cold container makes them (nothing cached yet).

Each workload's good sample (events/) is pointed at a fresh compliant world built as the
integration tests build it (the training sample's bucket made, the model and endpoint config
the hosting samples name created, the peers' rules a transform job needs), replayed through
the pipeline, and every AWS call counted by "service.Operation". The exact counts are also
asserted by tests/integration/test_call_budget.py and the workloads' own tests.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
from moto import mock_aws

from benchmarks.tables import Table
from ir_vpc_guard.discovery.prefix_lists import forget_s3_prefix_lists
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, add_peer_egress, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.test_hosting import create_config, create_model, transform_event, variant
from tests.integration.test_processing import processing_event
from tests.integration.test_training import training_event
from tests.integration.test_tuning import tuning_event

# Why each workload's count differs from a training job's network and role reads.
WHY = {
    "inference-recommender": "+ DescribeModelPackage, the model's bucket and repository policies",
    "endpoint": "+ DescribeEndpointConfig, + DescribeModel once per distinct model, "
    "+ GetBucketPolicy of each bucket of their model data",
    "model": "+ GetBucketPolicy of each bucket of its model data",
    "processing": "+ GetBucketPolicy of its bucket, + the role's policy documents (their "
    "scope: AWS forbids scoped grants)",
    "training": "+ GetBucketPolicy of each of the job's buckets",
    "transform": "+ DescribeModel (its VpcConfig, role and containers), + GetBucketPolicy of "
    "each of the job's buckets",
    "tuning": "two definitions: two training checks, the S3 prefix list read once",
}


def _hosted(session: Any, world: World, sample: str) -> dict[str, Any]:
    create_model(session, world)
    create_config(session, "demo-endpoint-config", [variant(), variant(name="B")])
    event = load_event(sample)
    event["account"], event["region"] = world.account, world.region
    if sample == "model":
        params = event["detail"]["requestParameters"]
        params["executionRoleArn"] = world.role_arn
        params["vpcConfig"] = {"subnets": world.subnet_ids, "securityGroupIds": world.group_ids}
    return event


def _transform(session: Any, world: World) -> dict[str, Any]:
    add_peer_egress(session.client("ec2", region_name=REGION), world.group_ids[0])
    create_model(session, world)
    return transform_event(world)


EVENTS: dict[str, Callable[[Any, World], dict[str, Any]]] = {
    "inference-recommender": lambda _, world: world.event(load_event("good_job")),
    "endpoint": lambda session, world: _hosted(session, world, "endpoint"),
    "model": lambda session, world: _hosted(session, world, "model"),
    "processing": lambda _, world: processing_event(world),
    "training": lambda _, world: training_event(world),
    "transform": _transform,
    "tuning": lambda _, world: tuning_event(world),
}


def _calls(workload: str) -> tuple[int, str, Counter[str]]:
    forget_s3_prefix_lists()  # a cold container: nothing read yet
    with mock_aws():
        aws = boto3.session.Session(region_name=REGION)
        world = build_world(aws, REGION)
        event = EVENTS[workload](aws, world)
        calls: Counter[str] = Counter()
        session = counting_session(calls)
        # moto lacks DescribeSecurityGroupVpcAssociations: its narrow fake (none associated).
        FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
        reports = handle_event(event, Settings(), clients_factory(session), lock=LocalVpcLock())
        outcomes = ", ".join(r.outcome.value for r in reports)
        return len(reports), outcomes, calls


def workloads_table() -> Table:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    table = Table(
        "8. API calls per check, per workload (compliant world, cold container)",
        ["Workload", "Reports", "Outcome", "Calls", "Why it differs"],
    )
    for workload in WORKLOADS:
        reports, outcomes, calls = _calls(workload)
        table.add(workload, reports, outcomes, sum(calls.values()), WHY[workload])
    table.notes.append(
        "The network and role reads every job makes are 10 (subnets, groups, VPC, route "
        "tables, endpoints, prefix list and its entries, network ACLs, DHCP options, the "
        "role simulation); the rest is the workload's own (tests/integration/test_call_budget.py)."
    )
    return table
