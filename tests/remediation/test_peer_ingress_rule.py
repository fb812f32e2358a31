"""add-peer-ingress-rule on moto worlds: planned only from a certain inbound peer finding,
gated like the egress fixes, re-read before writing, and never wider than the group itself."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.discover import Discovery
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Mode, RemediationStatus
from ir_vpc_guard.intake.event import parse_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.executor import Executor
from ir_vpc_guard.remediation.gates import gate
from ir_vpc_guard.remediation.planner import plan
from ir_vpc_guard.remediation.safety import peer_ingress_is_safe
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION
from tests.integration.calls import clients_factory, counting_session
from tests.integration.test_training import training_event

APPLY = Settings(remediation_mode=Mode.APPLY)
PEER_FIX = ActionName.ADD_PEER_INGRESS_RULE
INGRESS_WRITE = "ec2.AuthorizeSecurityGroupIngress"


def no_peer_rule(aws: Any) -> World:
    return build_world(aws, REGION, peer_rule=False)


def inbound_rules(aws: Any, world: World) -> list[dict[str, Any]]:
    answer = aws.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": world.group_ids}]
    )
    return [r for r in answer["SecurityGroupRules"] if not r["IsEgress"]]


def discovered(world: World, **params: Any) -> Snapshot:
    event = training_event(world)
    event["detail"]["requestParameters"].update(params)
    job = parse_event(event)
    assert isinstance(job, JobRequest)
    return Discovery(AwsClients(REGION, session=counting_session(Counter()))).discover(job)


def peer_actions(snapshot: Snapshot, settings: Settings = APPLY) -> list[Action]:
    actions = gate(plan(snapshot, run_checks(snapshot).findings), snapshot, settings)
    return [a for a in actions if a.name is PEER_FIX]


def run(world: World, settings: Settings, calls: Counter[str]) -> dict[str, Any]:
    session = counting_session(calls)
    (report,) = handle_event(
        training_event(world), settings, clients_factory(session), lock=LocalVpcLock()
    )
    return report.to_dict()


def test_apply_adds_exactly_one_self_referencing_rule_and_the_job_then_passes(aws: Any) -> None:
    world = no_peer_rule(aws)
    group = world.group_ids[0]
    calls: Counter[str] = Counter()
    report = run(world, APPLY, calls)
    assert report["outcome"] == "REMEDIATED"
    [action] = [a for a in report["actions"] if a["action"] == PEER_FIX]
    assert action["status"] == "APPLIED" and action["resource"] == group
    assert action["reason"] == f"added inbound all traffic from {group} on {group}"
    assert calls[INGRESS_WRITE] == 1
    [rule] = inbound_rules(aws, world)
    assert rule["IpProtocol"] == "-1"
    assert rule["ReferencedGroupInfo"]["GroupId"] == group
    assert not rule.get("CidrIpv4") and not rule.get("CidrIpv6") and not rule.get("PrefixListId")
    assert {t["Key"] for t in rule["Tags"]} >= {"ir-vpc-guard:created-by", "ir-vpc-guard:job"}
    # The re-check on the new rules: the peer check passes.
    assert "SG_PEER_TRAFFIC_BLOCKED" in report["summary"]["checks"]["passed"]
    # Run again: nothing left to add, nothing written.
    again: Counter[str] = Counter()
    assert run(world, APPLY, again)["outcome"] == "PASS"
    assert again[INGRESS_WRITE] == 0 and len(inbound_rules(aws, world)) == 1


def test_report_mode_plans_and_writes_nothing(aws: Any) -> None:
    world = no_peer_rule(aws)
    calls: Counter[str] = Counter()
    report = run(world, Settings(), calls)
    assert report["outcome"] == "FAIL"
    [action] = [a for a in report["actions"] if a["action"] == PEER_FIX]
    assert action["status"] == "PLANNED"
    assert calls[INGRESS_WRITE] == 0 and inbound_rules(aws, world) == []


def test_a_rule_added_meanwhile_is_reread_not_duplicated(aws: Any) -> None:
    world = no_peer_rule(aws)
    snapshot = discovered(world)
    [action] = peer_actions(snapshot)
    assert action.approved
    group = world.group_ids[0]
    aws.client("ec2").authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}],
    )
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    [settled] = Executor(AwsClients(REGION, session=session), snapshot).apply([action])
    assert settled.status is RemediationStatus.APPLIED
    assert settled.reason == "already allowed: nothing to add"
    assert calls[INGRESS_WRITE] == 0 and len(inbound_rules(aws, world)) == 1


def test_only_a_certain_inbound_finding_plans_it(aws: Any) -> None:
    world = no_peer_rule(aws)
    group = world.group_ids[0]
    ec2 = aws.client("ec2")
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{**https, "UserIdGroupPairs": [{"GroupId": group}]}]
    )
    # A partial port range is MEDIUM: proposed, never applied.
    [action] = peer_actions(discovered(world))
    assert action.status is RemediationStatus.SKIPPED and not action.approved
    assert action.reason == "SG_PEER_TRAFFIC_BLOCKED is MEDIUM, not a certain HIGH"
    # Inbound met, outbound UDP 500 / ESP certainly missing (HIGH): not this rule's to add.
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}],
    )
    snapshot = discovered(world, enableInterContainerTrafficEncryption=True)
    found = run_checks(snapshot).findings
    [finding] = [f for f in found if f.check_id == "SG_PEER_TRAFFIC_BLOCKED"]
    assert finding.evidence["direction"] == "outbound" and finding.severity.value == "HIGH"
    assert peer_actions(snapshot) == []


def test_the_gates_of_the_egress_fixes_apply(aws: Any) -> None:
    world = no_peer_rule(aws)
    snapshot = discovered(world)
    [outside] = peer_actions(
        snapshot, Settings(remediation_mode=Mode.APPLY, vpc_allowlist=frozenset({"vpc-other"}))
    )
    assert outside.status is RemediationStatus.SKIPPED
    assert outside.reason == f"{world.vpc_id} is not in VPC_ALLOWLIST"
    [unselected] = peer_actions(
        snapshot,
        Settings(
            remediation_mode=Mode.APPLY,
            remediation_actions=frozenset({ActionName.ADD_S3_EGRESS_RULE}),
        ),
    )
    assert unselected.reason == "add-peer-ingress-rule is not in REMEDIATION_ACTIONS"
    aws.client("ec2").create_tags(
        Resources=[world.group_ids[0]], Tags=[{"Key": "ir-vpc-guard:remediate", "Value": "false"}]
    )
    [opted_out] = peer_actions(discovered(world))
    assert opted_out.status is RemediationStatus.SKIPPED
    assert opted_out.reason.endswith("is tagged ir-vpc-guard:remediate=false")


def test_nothing_wider_than_the_group_itself_is_ever_written() -> None:
    group = "sg-0123456789abcdef0"
    itself = {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}]}
    assert peer_ingress_is_safe(itself, group)
    for wider in (
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.1.0/24"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-other"}]},
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group, "UserId": "999988887777"}]},
        {
            "IpProtocol": "-1",
            "UserIdGroupPairs": [{"GroupId": group}],
            "PrefixListIds": [{"PrefixListId": "pl-1"}],
        },
        {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group}, {"GroupId": "sg-other"}]},
    ):
        assert not peer_ingress_is_safe(wider, group), wider
