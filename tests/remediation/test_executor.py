"""The executor against moto: approved actions are applied by track, each re-reading first
and writing only what is still missing; one failure fails its own action only.

The worlds are built like real accounts (tests/conftest.py: the default VPC beside the
job's, AWS-managed policies); the snapshot is discovered from the world, not hand-made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import Budget
from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Mode, RemediationStatus
from ir_vpc_guard.intake.event import parse_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.executor import Executor
from ir_vpc_guard.remediation.gates import gate
from ir_vpc_guard.remediation.planner import plan
from ir_vpc_guard.settings import Settings
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import counting_session
from tests.reliability.faults import access_denied
from tests.world_reads import live_endpoints

APPLY = Settings(remediation_mode=Mode.APPLY)
APPLIED, FAILED = RemediationStatus.APPLIED, RemediationStatus.FAILED
WRITES = ("ec2.CreateVpcEndpoint", "ec2.ModifyVpcEndpoint", "ec2.AuthorizeSecurityGroupEgress")


@pytest.fixture
def broken(aws: Any) -> World:
    """No S3 endpoint; the group only allows HTTPS to 10.0.0.0/8 (not S3, not all TCP)."""
    return build_world(aws, REGION, with_endpoint=False, group_egress="proxy-https-only")


def approved(world: World) -> tuple[Snapshot, list[Action]]:
    """The world as discovered, and its actions gated in apply mode."""
    job = parse_event(world.event(load_event("good_job")))
    assert isinstance(job, JobRequest)
    snapshot = Discovery(AwsClients(REGION, session=counting_session(Counter()))).discover(job)
    return snapshot, gate(plan(snapshot, run_checks(snapshot).findings), snapshot, APPLY)


def execute(
    snapshot: Snapshot,
    actions: list[Action],
    calls: Counter[str] | None = None,
    hooks: dict[str, Callable[..., Any]] | None = None,
) -> list[Action]:
    """Apply with a session that counts calls; `hooks`: "event name" -> handler."""
    session = counting_session(Counter() if calls is None else calls)
    for event, hook in (hooks or {}).items():
        session.events.register_first(event, hook)
    return Executor(AwsClients(REGION, session=session), snapshot).apply(actions)


def by_name(actions: list[Action]) -> dict[str, Action]:
    return {a.name.value: a for a in actions}


def egress_rules(aws: Any, world: World) -> list[dict[str, Any]]:
    answer = aws.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": world.group_ids}]
    )
    return [r for r in answer["SecurityGroupRules"] if r["IsEgress"]]


def test_every_approved_fix_is_applied_and_results_keep_their_positions(
    aws: Any, broken: World
) -> None:
    snapshot, actions = approved(broken)
    assert len(actions) == 3 and all(a.approved for a in actions)
    left_alone = replace(actions[0], approved=False)  # not approved: returned as it is
    given = [actions[2], left_alone, actions[1], actions[0]]
    settled = execute(snapshot, given)
    assert [a.name for a in settled] == [a.name for a in given]
    assert settled[1] is left_alone
    assert [a.status for a in settled if a is not left_alone] == [APPLIED] * 3
    [endpoint] = live_endpoints(aws, broken)
    assert sorted(endpoint["RouteTableIds"]) == sorted(broken.route_table_ids)
    added = [r.get("CidrIpv4") for r in egress_rules(aws, broken) if r.get("Tags")]
    # The S3 rule names the prefix list (moto leaves PrefixListId out of this read).
    assert sorted(map(str, added)) == ["10.0.1.0/24", "10.0.2.0/24", "None"]


def test_a_second_apply_rereads_and_writes_nothing(aws: Any, broken: World) -> None:
    snapshot, actions = approved(broken)
    execute(snapshot, actions)
    rules = egress_rules(aws, broken)
    calls: Counter[str] = Counter()
    again = by_name(execute(snapshot, actions, calls))  # the same stale snapshot
    assert {a.status for a in again.values()} == {APPLIED}
    assert again["create-s3-gateway-endpoint"].reason.endswith("already existed; nothing to add")
    assert again["add-s3-egress-rule"].reason == "already allowed: nothing to add"
    assert again["add-subnet-egress-rules"].reason == "already allowed: nothing to add"
    assert not [c for c in calls if c in WRITES], calls
    assert calls["ec2.DescribeVpcEndpoints"] == calls["ec2.DescribeSecurityGroups"] == 1
    assert len(live_endpoints(aws, broken)) == 1
    assert len(egress_rules(aws, broken)) == len(rules)


def test_an_endpoint_made_meanwhile_is_completed_not_duplicated(aws: Any, broken: World) -> None:
    snapshot, actions = approved(broken)
    made = aws.client("ec2").create_vpc_endpoint(
        VpcId=broken.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[],
    )["VpcEndpoint"]["VpcEndpointId"]
    endpoint = by_name(execute(snapshot, actions))["create-s3-gateway-endpoint"]
    assert endpoint.status is APPLIED
    assert endpoint.reason.startswith(f"{made} already existed; added ")
    [live] = live_endpoints(aws, broken)
    assert live["VpcEndpointId"] == made
    assert sorted(live["RouteTableIds"]) == sorted(broken.route_table_ids)


def test_a_rule_added_between_reread_and_write_is_a_duplicate_then_reread(
    aws: Any, broken: World
) -> None:
    """Someone adds the same rule after the executor's re-read: AWS answers
    InvalidPermission.Duplicate, the executor reads again and finds nothing missing."""
    snapshot, actions = approved(broken)
    s3_rule = [replace(a, approved=a.name == "add-s3-egress-rule") for a in actions]
    raced: list[str] = []

    def someone_else(**_: Any) -> None:
        if not raced:
            raced.append("once")
            aws.client("ec2").authorize_security_group_egress(
                GroupId=broken.group_ids[0],
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "PrefixListIds": [{"PrefixListId": broken.prefix_list_id}],
                    }
                ],
            )

    calls: Counter[str] = Counter()
    hook = {"before-call.ec2.AuthorizeSecurityGroupEgress": someone_else}
    rule = by_name(execute(snapshot, s3_rule, calls, hooks=hook))["add-s3-egress-rule"]
    assert (rule.status, rule.reason) == (APPLIED, "already allowed: nothing to add")
    assert calls["ec2.AuthorizeSecurityGroupEgress"] == 1
    assert calls["ec2.DescribeSecurityGroups"] == 2  # the re-read, and the one after Duplicate
    assert not live_endpoints(aws, broken), "an action not approved is not applied"


def test_a_failed_write_fails_its_action_and_the_others_still_run(aws: Any, broken: World) -> None:
    snapshot, actions = approved(broken)
    hook = {"before-call.ec2.CreateVpcEndpoint": access_denied("CreateVpcEndpoint")}
    settled = by_name(execute(snapshot, actions, hooks=hook))
    endpoint = settled["create-s3-gateway-endpoint"]
    assert (endpoint.status, endpoint.error_code) == (FAILED, "AccessDenied")
    assert endpoint.reason == "CreateVpcEndpoint: injected"
    assert settled["add-s3-egress-rule"].status is APPLIED
    assert settled["add-subnet-egress-rules"].status is APPLIED
    assert live_endpoints(aws, broken) == []


def test_a_failed_reread_fails_its_track_only(aws: Any, broken: World) -> None:
    snapshot, actions = approved(broken)
    calls: Counter[str] = Counter()
    hook = {"before-call.ec2.DescribeSecurityGroups": access_denied("DescribeSecurityGroups")}
    settled = by_name(execute(snapshot, actions, calls, hooks=hook))
    for name in ("add-s3-egress-rule", "add-subnet-egress-rules"):
        assert (settled[name].status, settled[name].error_code) == (FAILED, "AccessDenied")
    assert calls["ec2.AuthorizeSecurityGroupEgress"] == 0, "nothing written unread"
    assert settled["create-s3-gateway-endpoint"].status is APPLIED
    assert len(live_endpoints(aws, broken)) == 1


def test_near_the_deadline_no_track_starts(aws: Any, broken: World) -> None:
    snapshot, actions = approved(broken)
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    late = Budget(remaining=lambda: 1.0, reserve=5.0)
    settled = Executor(AwsClients(REGION, session=session), snapshot, late).apply(actions)
    assert {(a.status, a.reason) for a in settled} == {
        (RemediationStatus.SKIPPED, "deadline near: not started")
    }
    assert not calls
