"""Remediation against moto: broken worlds are fixed in apply mode, exactly once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.findings import ActionName, Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, ROLE_ADVISORY, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.report_schema import validate_report
from tests.world_reads import live_endpoints

APPLY = Settings(remediation_mode=Mode.APPLY)


@pytest.fixture
def broken(aws: Any) -> World:
    """No S3 endpoint; the group allows only HTTPS to an on-premises proxy: neither S3 nor
    the job subnets."""
    return build_world(aws, REGION, with_endpoint=False, group_egress="proxy-https-only")


def run(event: dict[str, Any], settings: Settings = APPLY) -> dict[str, Any]:
    report = handle_event(event, settings, lock=LocalVpcLock())[0].to_dict()
    validate_report(report)
    return report


def egress_rules(session: Any, world: World) -> list[dict[str, Any]]:
    answer = session.client("ec2").describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": world.group_ids}]
    )
    return [r for r in answer["SecurityGroupRules"] if r["IsEgress"]]


def fixes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The remediation actions (a report may also have `stop-job`: see test_stop.py)."""
    return [a for a in report.get("actions", []) if a["action"] != "stop-job"]


def test_report_mode_plans_and_writes_nothing(aws: Any, broken: World) -> None:
    report = run(broken.event(load_event("good_job")), Settings())
    assert report["outcome"] == "FAIL"
    assert {a["status"] for a in fixes(report)} == {"PLANNED"}
    assert {a["action"] for a in fixes(report)} == {
        "create-s3-gateway-endpoint",
        "add-s3-egress-rule",
        "add-subnet-egress-rules",
    }
    (stop,) = [a for a in report["actions"] if a["action"] == "stop-job"]
    assert stop["status"] == "PLANNED" and "STOP_DOOMED_JOBS is false" in stop["reason"]
    assert live_endpoints(aws, broken) == []
    assert len(egress_rules(aws, broken)) == 1


def test_apply_fixes_the_world_and_a_second_run_passes(aws: Any, broken: World) -> None:
    event = broken.event(load_event("good_job"))
    report = run(event)
    assert report["outcome"] == "REMEDIATED", report["findings"]
    # Left: only the role's LOW advisory (AWS's AmazonSageMakerFullAccess lacks one action).
    assert [f["checkId"] for f in report["findings"]] == [ROLE_ADVISORY]
    assert {a["status"] for a in fixes(report)} == {"APPLIED"}
    [endpoint] = live_endpoints(aws, broken)
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert sorted(endpoint["RouteTableIds"]) == sorted(broken.route_table_ids)
    tags = {t["Key"]: t["Value"] for t in endpoint.get("Tags", [])}
    assert tags["ir-vpc-guard:created-by"] == "ir-vpc-guard"
    assert tags["ir-vpc-guard:job"] == report["job"]["name"]
    rules_after_first = egress_rules(aws, broken)
    assert {
        r.get("CidrIpv4") for r in rules_after_first if "ir-vpc-guard" in r.get("Description", "")
    } == {
        "10.0.1.0/24",
        "10.0.2.0/24",
    }
    # moto's DescribeSecurityGroupRules leaves out PrefixListId: read the group instead.
    group = aws.client("ec2").describe_security_groups(GroupIds=broken.group_ids)
    https = [p for p in group["SecurityGroups"][0]["IpPermissionsEgress"] if p["FromPort"] == 443]
    assert {pl["PrefixListId"] for p in https for pl in p["PrefixListIds"]} == {
        broken.prefix_list_id
    }
    assert all(r.get("CidrIpv4") != "0.0.0.0/0" for r in rules_after_first)

    second = run(event)
    assert second["outcome"] == "PASS"
    assert "actions" not in second
    assert len(live_endpoints(aws, broken)) == 1
    assert len(egress_rules(aws, broken)) == len(rules_after_first)


def test_replaying_the_same_event_three_times_creates_one_of_everything(
    aws: Any, broken: World
) -> None:
    event = broken.event(load_event("good_job"))
    outcomes = [run(event)["outcome"] for _ in range(3)]
    assert outcomes == ["REMEDIATED", "PASS", "PASS"]
    assert len(live_endpoints(aws, broken)) == 1
    rules = egress_rules(aws, broken)
    keys = [
        (r["IpProtocol"], r["FromPort"], r.get("CidrIpv4"), r.get("Description")) for r in rules
    ]
    assert len(keys) == len(set(keys))


def test_missing_route_table_is_added_to_the_existing_endpoint(aws: Any) -> None:
    world = build_world(aws, REGION)
    ec2 = aws.client("ec2")
    ec2.modify_vpc_endpoint(
        VpcEndpointId=world.endpoint_id, RemoveRouteTableIds=world.route_table_ids
    )
    report = run(world.event(load_event("good_job")))
    assert report["outcome"] == "REMEDIATED"
    [action] = fixes(report)
    assert action["action"] == "add-endpoint-route-tables"
    assert action["resource"] == world.endpoint_id
    [endpoint] = live_endpoints(aws, world)
    assert endpoint["RouteTableIds"] == world.route_table_ids


def test_opt_out_tag_on_the_vpc_skips_every_change(aws: Any, broken: World) -> None:
    aws.client("ec2").create_tags(
        Resources=[broken.vpc_id], Tags=[{"Key": "ir-vpc-guard:remediate", "Value": "False"}]
    )
    report = run(broken.event(load_event("good_job")))
    assert report["outcome"] == "FAIL"
    assert {a["status"] for a in fixes(report)} == {"SKIPPED"}
    assert all("ir-vpc-guard:remediate=false" in a["reason"] for a in fixes(report))
    statuses = {f["checkId"]: f["remediation"]["status"] for f in report["findings"]}
    assert statuses["S3_ENDPOINT_MISSING"] == "SKIPPED"
    assert live_endpoints(aws, broken) == []


def test_opt_out_tag_on_the_group_skips_only_its_rules(aws: Any, broken: World) -> None:
    aws.client("ec2").create_tags(
        Resources=broken.group_ids, Tags=[{"Key": "ir-vpc-guard:remediate", "Value": "false"}]
    )
    report = run(broken.event(load_event("good_job")))
    status = {a["action"]: a["status"] for a in fixes(report)}
    assert status == {
        "create-s3-gateway-endpoint": "APPLIED",
        "add-s3-egress-rule": "SKIPPED",
        "add-subnet-egress-rules": "SKIPPED",
    }
    assert report["outcome"] == "PARTIAL"
    assert len(live_endpoints(aws, broken)) == 1


def test_allowlist_and_action_list_gate_each_action(aws: Any, broken: World) -> None:
    elsewhere = Settings(
        remediation_mode=Mode.APPLY, vpc_allowlist=frozenset({"vpc-0123456789abcdef0"})
    )
    report = run(broken.event(load_event("good_job")), elsewhere)
    assert {a["status"] for a in fixes(report)} == {"SKIPPED"}
    assert all("VPC_ALLOWLIST" in a["reason"] for a in fixes(report))

    only_endpoint = Settings(
        remediation_mode=Mode.APPLY,
        remediation_actions=frozenset({ActionName.CREATE_S3_GATEWAY_ENDPOINT}),
    )
    report = run(broken.event(load_event("good_job")), only_endpoint)
    status = {a["action"]: a["status"] for a in fixes(report)}
    assert status["create-s3-gateway-endpoint"] == "APPLIED"
    assert status["add-s3-egress-rule"] == "SKIPPED"
    assert {f["checkId"] for f in report["findings"]} == {
        "SG_EGRESS_S3_MISSING",
        "SG_EGRESS_SUBNETS_MISSING",
        ROLE_ADVISORY,
    }


def test_a_failed_write_fails_that_action_only(aws: Any, broken: World) -> None:
    calls: Counter[str] = Counter()
    session = counting_session(calls)

    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}},
            "AuthorizeSecurityGroupEgress",
        )

    session.events.register("before-call.ec2.AuthorizeSecurityGroupEgress", refuse)
    event = broken.event(load_event("good_job"))
    report = handle_event(event, APPLY, clients_factory(session), lock=LocalVpcLock())[0].to_dict()
    validate_report(report)
    assert report["outcome"] == "PARTIAL"
    status = {a["action"]: (a["status"], a.get("errorCode")) for a in fixes(report)}
    assert status["create-s3-gateway-endpoint"] == ("APPLIED", None)
    assert status["add-s3-egress-rule"] == ("FAILED", "UnauthorizedOperation")
    assert status["add-subnet-egress-rules"] == ("FAILED", "UnauthorizedOperation")
    left = {f["checkId"]: f["remediation"]["status"] for f in report["findings"]}
    assert left == {"SG_EGRESS_S3_MISSING": "FAILED", "SG_EGRESS_SUBNETS_MISSING": "FAILED"}
    # What was created is tagged in the create call itself: never half-made and untagged.
    assert all(e.get("Tags") for e in live_endpoints(aws, broken))


def test_apply_makes_exactly_the_expected_calls(aws: Any, broken: World) -> None:
    calls: Counter[str] = Counter()
    event = broken.event(load_event("good_job"))
    handle_event(event, APPLY, clients_factory(counting_session(calls)), lock=LocalVpcLock())[0]
    writes = {"ec2.CreateVpcEndpoint": 1, "ec2.AuthorizeSecurityGroupEgress": 2}
    assert {k: calls[k] for k in writes} == writes
    assert not [k for k in calls if k.split(".")[1].startswith(("Delete", "Revoke", "Put"))]
    # 14 reads to check, then 2 re-reads before writing and 2 re-reads to verify.
    assert sum(calls.values()) - sum(writes.values()) == 14 + 2 + 2
    assert calls["ec2.DescribeVpcEndpoints"] == 3
    assert calls["ec2.DescribeSecurityGroups"] == 3


def test_manual_findings_are_never_touched(aws: Any) -> None:
    world = build_world(aws, REGION)
    ec2 = aws.client("ec2")
    ec2.modify_vpc_attribute(VpcId=world.vpc_id, EnableDnsSupport={"Value": False})
    report = run(world.event(load_event("good_job")))
    assert report["outcome"] == "FAIL"
    [finding, advisory] = report["findings"]
    assert advisory["checkId"] == ROLE_ADVISORY
    assert finding["checkId"] == "VPC_DNS_DISABLED"
    assert finding["remediation"]["status"] == "MANUAL"
    assert "modify-vpc-attribute" in finding["remediation"]["command"]
    assert "actions" not in report
    dns = ec2.describe_vpc_attribute(VpcId=world.vpc_id, Attribute="enableDnsSupport")
    assert dns["EnableDnsSupport"]["Value"] is False


def test_clients_come_from_the_region_of_the_event(aws: Any, broken: World) -> None:
    seen: list[str] = []

    def factory(region: str) -> AwsClients:
        seen.append(region)
        return AwsClients(region)

    handle_event(broken.event(load_event("good_job")), APPLY, factory, lock=LocalVpcLock())[0]
    assert seen == [REGION]


def test_https_only_between_the_job_subnets_is_uncertain_and_never_widened(aws: Any) -> None:
    """AWS asks for outbound traffic to the job subnets and names no ports: a group that
    sends HTTPS to the VPC (and S3 through its prefix list) may be all the job needs, so
    the gap is MEDIUM, with the rule that would open every port as the command, and apply
    mode writes nothing to the group."""
    world = build_world(aws, REGION, with_endpoint=True, group_egress="vpc-https-only")
    ec2 = aws.client("ec2")
    s3 = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "PrefixListIds": [{"PrefixListId": world.prefix_list_id}],
    }
    ec2.authorize_security_group_egress(GroupId=world.group_ids[0], IpPermissions=[s3])
    before = egress_rules(aws, world)
    report = run(world.event(load_event("good_job")))
    [finding] = [f for f in report["findings"] if f["checkId"] == "SG_EGRESS_SUBNETS_MISSING"]
    assert finding["severity"] == "MEDIUM" and report["outcome"] == "WARN"
    assert finding["evidence"]["rules"] == ["tcp 443 to 10.0.0.0/8"]
    assert "ports" in finding["evidence"]["undetermined"]
    assert "FromPort=0,ToPort=65535" in finding["remediation"]["command"]
    assert finding["remediation"]["status"] == "SKIPPED"  # never "PLANNED": nothing will be
    assert "not a certain HIGH" in finding["remediation"]["reason"]
    assert "add-subnet-egress-rules" not in {a["action"] for a in fixes(report)}
    assert egress_rules(aws, world) == before


def test_a_subnet_some_rule_reaches_keeps_its_own_verdict_after_the_fix(
    aws: Any, broken: World
) -> None:
    """One check, two findings: the subnet no rule reaches (HIGH: its rule is written) and
    the subnet HTTPS reaches (MEDIUM: left as it is, and said so, never "applied")."""
    ec2 = aws.client("ec2")
    first, second = ec2.describe_subnets(SubnetIds=broken.subnet_ids[:2])["Subnets"]
    https = {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": first["CidrBlock"]}],
    }
    ec2.authorize_security_group_egress(GroupId=broken.group_ids[0], IpPermissions=[https])
    report = run(broken.event(load_event("good_job")))
    [rules] = [a for a in fixes(report) if a["action"] == "add-subnet-egress-rules"]
    assert rules["status"] == "APPLIED" and rules["target"]["cidrs"] == [second["CidrBlock"]]
    [left] = [f for f in report["findings"] if f["checkId"] == "SG_EGRESS_SUBNETS_MISSING"]
    assert left["severity"] == "MEDIUM" and left["resources"][-1] == first["SubnetId"]
    assert left["remediation"]["status"] == "SKIPPED"
    assert report["outcome"] == "PARTIAL"
