"""R7 between a distributed job's instances (SG_PEER_TRAFFIC_BLOCKED), on moto worlds: the
job's groups admit their own members inbound (a self or cross reference, or the job subnets'
CIDRs), with UDP 500 and ESP in and out when inter-container traffic is encrypted, and all
traffic (MEDIUM: EFA use is unknown) for EFA-capable types."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, failed
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, load_event
from tests.integration.test_training import check, training_event
from tests.snapshots import GROUP, compliant, group, job

PEERS = "SG_PEER_TRAFFIC_BLOCKED"
ENCRYPTED = {"enableInterContainerTrafficEncryption": True}
ALL_TCP = {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535}


def no_peer_rule(aws: Any) -> World:
    """A world like every other, whose group admits nothing inbound (a new group's default)."""
    return build_world(aws, REGION, peer_rule=False)


def allow_in(aws: Any, world: World, rule: dict[str, Any], group: str | None = None) -> None:
    aws.client("ec2").authorize_security_group_ingress(
        GroupId=group or world.group_ids[0], IpPermissions=[rule]
    )


def allow_out(aws: Any, world: World, rule: dict[str, Any]) -> None:
    aws.client("ec2").authorize_security_group_egress(
        GroupId=world.group_ids[0], IpPermissions=[rule]
    )


def from_group(group: str, rule: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(rule or {"IpProtocol": "-1"}), "UserIdGroupPairs": [{"GroupId": group}]}


def peer_findings(
    world: World,
    instance_type: str = "ml.m5.xlarge",
    count: int = 2,
    params: dict[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The check's findings on the training sample in `world`, and the report's checks."""
    event = training_event(world)
    request = event["detail"]["requestParameters"]
    request["resourceConfig"] = {"instanceType": instance_type, "instanceCount": count}
    request.update(params or {})
    report = check(event)
    found = [f for f in report["findings"] if f["checkId"] == PEERS]
    return found, report["summary"]["checks"]


def test_a_self_referencing_rule_admits_the_peers(aws: Any, world: World) -> None:
    found, checks = peer_findings(world)
    assert found == [] and PEERS in checks["passed"]


def test_no_inbound_rule_at_all_is_certain(aws: Any) -> None:
    world = no_peer_rule(aws)
    [finding], _ = peer_findings(world)
    group = world.group_ids[0]
    assert finding["severity"] == "HIGH"
    assert finding["evidence"]["direction"] == "inbound"
    assert finding["evidence"]["missing"] == ["every TCP port"]
    assert "undetermined" not in finding["evidence"]
    assert finding["remediation"]["action"] == "add-peer-ingress-rule"
    assert finding["remediation"]["command"] == (
        f"aws ec2 authorize-security-group-ingress --group-id {group} --ip-permissions "
        f"'IpProtocol=-1,UserIdGroupPairs=[{{GroupId={group}}}]'"
    )


def test_a_rule_from_another_job_group_admits_the_peers(aws: Any) -> None:
    # Every interface of the job carries both groups: a reference to either admits them.
    world = no_peer_rule(aws)
    ec2 = aws.client("ec2")
    other = ec2.create_security_group(
        GroupName="ir-job-peers", Description="peers", VpcId=world.vpc_id
    )["GroupId"]
    allow_in(aws, world, from_group(other))
    # While the job does not carry that group, the reference admits no peer.
    [finding], _ = peer_findings(world)
    assert finding["severity"] == "HIGH"
    world.group_ids.append(other)
    found, _ = peer_findings(world)
    assert found == []


def test_a_rule_from_the_subnet_cidrs_admits_the_peers(aws: Any) -> None:
    world = no_peer_rule(aws)
    allow_in(aws, world, {**ALL_TCP, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]})
    found, _ = peer_findings(world)
    assert found == []


def test_a_cidr_covering_one_job_subnet_only_is_undetermined(aws: Any) -> None:
    # Whether SageMaker places instances in the other subnet is not documented.
    world = no_peer_rule(aws)
    allow_in(aws, world, {**ALL_TCP, "IpRanges": [{"CidrIp": "10.0.1.0/24"}]})
    [finding], _ = peer_findings(world)
    assert finding["severity"] == "MEDIUM"
    assert finding["evidence"]["rules"] == ["tcp (all ports) from 10.0.1.0/24"]


def test_a_self_rule_on_https_only_is_a_partial_port_range(aws: Any) -> None:
    world = no_peer_rule(aws)
    group = world.group_ids[0]
    allow_in(aws, world, from_group(group, {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}))
    [finding], _ = peer_findings(world)
    assert finding["severity"] == "MEDIUM"
    assert finding["evidence"]["rules"] == [f"tcp 443 from {group}"]
    assert "which ports" in finding["evidence"]["undetermined"]


def test_a_single_instance_has_no_peers(aws: Any) -> None:
    found, checks = peer_findings(no_peer_rule(aws), count=1)
    assert found == [] and PEERS in checks["passed"]


def test_inference_recommender_has_no_peer_rule(aws: Any) -> None:
    world = no_peer_rule(aws)
    report = check(world.event(load_event("good_job")))
    checks = report["summary"]["checks"]
    # No requirement of Inference Recommender's: its report does not name the check.
    assert PEERS not in {*checks["passed"], *checks["notEvaluated"], *checks["failed"]}


def test_encryption_needs_udp_500_and_esp_in_and_out(aws: Any) -> None:
    """The world admits all traffic from its own group (inbound satisfied) and sends TCP only
    to the VPC: outbound UDP 500 and ESP are certainly missing."""
    world = build_world(aws, REGION)
    [finding], _ = peer_findings(world, params=ENCRYPTED)
    assert (finding["severity"], finding["evidence"]["direction"]) == ("HIGH", "outbound")
    assert finding["evidence"]["missing"] == ["UDP 500", "ESP (IP protocol 50)"]
    assert finding["remediation"]["command"].startswith("aws ec2 authorize-security-group-egress")
    # Off, the same world passes: outbound TCP to the job subnets is enough.
    assert peer_findings(world)[0] == []
    group = world.group_ids[0]
    allow_out(aws, world, from_group(group, {"IpProtocol": "udp", "FromPort": 500, "ToPort": 500}))
    allow_out(aws, world, from_group(group, {"IpProtocol": "50", "FromPort": -1, "ToPort": -1}))
    assert peer_findings(world, params=ENCRYPTED)[0] == []


def test_encryption_without_inbound_udp_500_and_esp_is_certain(aws: Any) -> None:
    world = no_peer_rule(aws)
    group = world.group_ids[0]
    allow_in(aws, world, from_group(group, ALL_TCP))
    allow_out(aws, world, {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    [finding], _ = peer_findings(world, params=ENCRYPTED)
    assert (finding["severity"], finding["evidence"]["direction"]) == ("HIGH", "inbound")
    assert finding["evidence"]["missing"] == ["UDP 500", "ESP (IP protocol 50)"]
    # UDP that leaves out port 500, and ESP: UDP 500 is still certainly missing.
    allow_in(aws, world, from_group(group, {"IpProtocol": "udp", "FromPort": 501, "ToPort": 4500}))
    allow_in(aws, world, from_group(group, {"IpProtocol": "50", "FromPort": -1, "ToPort": -1}))
    [finding], _ = peer_findings(world, params=ENCRYPTED)
    assert (finding["severity"], finding["evidence"]["missing"]) == ("HIGH", ["UDP 500"])
    # A UDP range that holds 500 from the group itself: nothing left.
    allow_in(aws, world, from_group(group, {"IpProtocol": "udp", "FromPort": 0, "ToPort": 1024}))
    assert peer_findings(world, params=ENCRYPTED)[0] == []


def test_an_efa_capable_type_without_all_traffic_is_undetermined(aws: Any) -> None:
    world = no_peer_rule(aws)
    group = world.group_ids[0]
    allow_in(aws, world, from_group(group, ALL_TCP))
    found, _ = peer_findings(world, instance_type="ml.p4d.24xlarge")
    by_direction = {f["evidence"]["direction"]: f for f in found}
    assert set(by_direction) == {"inbound", "outbound"}
    for finding in found:
        assert finding["severity"] == "MEDIUM"
        assert finding["evidence"]["missing"] == ["all traffic"]
        assert "Elastic Fabric Adapter" in finding["evidence"]["undetermined"]
    # All traffic to and from the group itself: EFA's rule as AWS words it.
    allow_in(aws, world, from_group(group))
    allow_out(aws, world, from_group(group))
    assert peer_findings(world, instance_type="ml.p4d.24xlarge")[0] == []


def test_an_inbound_prefix_list_whose_entries_are_unread_is_never_a_pass(aws: Any) -> None:
    world = no_peer_rule(aws)
    ec2 = aws.client("ec2")
    corp = ec2.create_managed_prefix_list(
        PrefixListName="corp",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "10.0.0.0/16"}],
    )["PrefixList"]["PrefixListId"]
    allow_in(aws, world, {"IpProtocol": "-1", "PrefixListIds": [{"PrefixListId": corp}]})
    [finding], _ = peer_findings(world)
    assert finding["severity"] == "MEDIUM"
    assert corp in finding["evidence"]["undetermined"]
    assert finding["remediation"]["command"].startswith(
        f"aws ec2 get-managed-prefix-list-entries --prefix-list-id {corp}; "
    )


def test_groups_whose_rules_could_not_be_read_are_a_check_error() -> None:
    training = job(
        workload="training",
        model_package_arn=None,
        instance_count=2,
        instance_groups=(("ml.m5.xlarge", 2),),
    )
    run = run_checks(
        compliant(
            job=training, security_groups=failed("ec2:DescribeSecurityGroups", "AccessDenied")
        )
    )
    [error] = [f for f in run.findings if f.check_id == "CHECK_ERROR"]
    assert PEERS in error.evidence["checks"] and PEERS not in run.passed
    # One instance: nothing to read, nothing to doubt.
    single = replace(training, instance_count=1, instance_groups=(("ml.m5.xlarge", 1),))
    run = run_checks(
        compliant(job=single, security_groups=failed("ec2:DescribeSecurityGroups", "AccessDenied"))
    )
    assert PEERS in run.passed


def test_a_job_group_not_found_leaves_a_gap_undetermined() -> None:
    """Its rules might admit the peers: no HIGH (SECURITY_GROUP_NOT_FOUND says it is missing)."""
    training = job(
        workload="training",
        model_package_arn=None,
        security_groups=(GROUP, "sg-missing"),
        instance_count=2,
        instance_groups=(("ml.m5.xlarge", 2),),
    )
    found = run_checks(compliant(job=training)).findings
    [peers] = [f for f in found if f.check_id == PEERS]
    assert peers.severity.value == "MEDIUM"
    assert peers.evidence["undetermined"] == "the rules of sg-missing (not found)"
    # Found, the same group without inbound rules is a certain gap.
    both = Read(value={GROUP: group(), "sg-missing": group("sg-missing")})
    found = run_checks(compliant(job=training, security_groups=both)).findings
    [peers] = [f for f in found if f.check_id == PEERS]
    assert peers.severity.value == "HIGH"
