"""The orchestrator: every read of the snapshot declared once with its IAM actions, made in
waves within the budget; the re-read after remediation makes only its two calls."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields, replace
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.discovery import (
    group_associations,
    model,
    network,
    prefix_lists,
    private_registry,
    resource_policies,
    role,
)
from ir_vpc_guard.discovery.discover import READ_ACTIONS, Discovery
from ir_vpc_guard.discovery.snapshot import Read, Snapshot
from ir_vpc_guard.discovery.waves import TIMEOUT_BUDGET
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard_dev.sandbox import World, set_group_egress
from tests.integration.test_call_budget import EXPECTED

DECLARATIONS = (
    network,
    group_associations,
    prefix_lists,
    role,
    model,
    resource_policies,
    private_registry,
)

# The reads and actions the template grants, as they were declared in one place before the
# split (tests/template/test_iam.py compares them with the template's role). The role's entry
# is its read's own declaration: tests/discovery/test_role.py pins that to the seven calls the
# read makes, so it is not restated here.
GRANTED = {
    "subnets": ("ec2:DescribeSubnets",),
    "security_groups": ("ec2:DescribeSecurityGroups",),
    "group_vpc_associations": ("ec2:DescribeSecurityGroupVpcAssociations",),
    "network_acls": ("ec2:DescribeNetworkAcls",),
    "s3_prefix_list": ("ec2:DescribePrefixLists", "ec2:GetManagedPrefixListEntries"),
    "referenced_prefix_lists": ("ec2:GetManagedPrefixListEntries",),
    "vpc": ("ec2:DescribeVpcs",),
    "dns_support": ("ec2:DescribeVpcAttribute",),
    "dhcp_name_servers": ("ec2:DescribeDhcpOptions",),
    "route_tables": ("ec2:DescribeRouteTables",),
    "s3_endpoints": ("ec2:DescribeVpcEndpoints",),
    "nat_gateways": ("ec2:DescribeNatGateways",),
    "route_prefix_lists": ("ec2:GetManagedPrefixListEntries",),
    "role": role.READ_ACTIONS["role"],
    "model": ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModel"),
    "artifact_bucket_policies": ("s3:GetBucketPolicy",),
    "payload_bucket_policies": ("s3:GetBucketPolicy",),
    "repository_policies": ("ecr:GetRepositoryPolicy",),
    "job_bucket_policies": ("s3:GetBucketPolicy", "s3:ListAllMyBuckets"),
    "lambda_endpoints": ("ec2:DescribeVpcEndpoints",),
    "dns_hostnames": ("ec2:DescribeVpcAttribute",),
}
# Reads of workloads whose data path is the VPC (training) and of private registries: never
# made for an Inference Recommender job, whose reads and calls are as before them.
NOT_IR = {"job_bucket_policies", "lambda_endpoints", "dns_hostnames"}


def _reads(snapshot: Snapshot) -> dict[str, Read[Any]]:
    return {f.name: v for f in fields(snapshot) if isinstance(v := getattr(snapshot, f.name), Read)}


def test_every_read_is_declared_once_by_the_module_that_makes_it(job: JobRequest) -> None:
    declared = [name for module in DECLARATIONS for name in module.READ_ACTIONS]
    assert len(declared) == len(set(declared))
    assert READ_ACTIONS == GRANTED
    assert set(READ_ACTIONS) == set(_reads(Snapshot(job=job)))


def test_a_job_is_read_in_fourteen_calls_and_every_read_has_its_value(
    world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    snapshot = Discovery(clients).discover(job)
    unread = {name: read for name, read in _reads(snapshot).items() if not read.ok}
    assert set(unread) == NOT_IR and all(r.not_applicable for r in unread.values())
    assert snapshot.vpc_id == world.vpc_id and not snapshot.shared_vpc
    assert snapshot.vpc_owner == snapshot.reader_account == world.account
    assert calls == EXPECTED


def test_past_the_deadline_nothing_is_read_and_every_read_says_so(
    world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    spent = Budget(remaining=lambda: 1.0, reserve=8.0)
    snapshot = Discovery(clients, spent).discover(job)
    timed_out = {
        n for n, r in _reads(snapshot).items() if r.error and r.error.code == TIMEOUT_BUDGET
    }
    # Those the VPC's ID would have named are not applicable: no subnet or group was read.
    assert timed_out == set(READ_ACTIONS) - {
        "vpc",
        "dns_support",
        "dhcp_name_servers",
        "route_tables",
        "s3_endpoints",
        "nat_gateways",
        "route_prefix_lists",
        *NOT_IR,
    }
    assert not any(read.ok for read in _reads(snapshot).values())
    assert calls == Counter()


def test_after_remediation_the_groups_and_endpoints_are_read_again(
    aws: Any, world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    discovery = Discovery(clients)
    before = discovery.discover(job)
    ec2 = aws.client("ec2")
    set_group_egress(ec2, world.group_ids[0], "none", world.prefix_list_id)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[world.endpoint_id])
    calls.clear()
    after = discovery.refresh_after_remediation(before)
    assert calls == Counter({"ec2.DescribeSecurityGroups": 1, "ec2.DescribeVpcEndpoints": 1})
    (group,) = after.security_groups.get().values()
    assert group["IpPermissionsEgress"] == []
    assert [e["State"].lower() for e in after.s3_endpoints.get()] == ["deleted"]
    unchanged = replace(after, security_groups=before.security_groups)
    assert replace(unchanged, s3_endpoints=before.s3_endpoints) == before


def test_in_a_shared_vpc_only_the_jobs_own_groups_are_read_again(
    world: World, clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    shared = replace(Discovery(clients).discover(job), vpc_owner="111111111111")
    calls.clear()
    after = Discovery(clients).refresh_after_remediation(shared)
    assert calls == Counter({"ec2.DescribeSecurityGroups": 1})
    assert after.s3_endpoints is shared.s3_endpoints


def test_without_a_vpc_there_is_nothing_to_read_again(
    clients: AwsClients, calls: Counter[str], job: JobRequest
) -> None:
    snapshot = Snapshot(job=job)
    assert Discovery(clients).refresh_after_remediation(snapshot) is snapshot
    assert calls == Counter()
