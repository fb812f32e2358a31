"""The planner is pure: a snapshot and its findings in, actions out (no AWS, no settings).
Each fix plans its own actions; the planner keeps what holds for all of them."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, Snapshot, failed
from ir_vpc_guard.findings import RemediationStatus, Severity
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.planner import plan
from tests.snapshots import (
    GROUP,
    S3_PL,
    SUBNETS,
    VPC,
    compliant,
    endpoint,
    group,
    route_table,
    rule,
)

NAT_ROUTE = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}
IGW_ROUTE = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}
PUBLIC_NAT = {"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}
HTTPS_TO_PROXY = [rule("tcp", 443, 443, cidrs=["192.168.0.0/16"])]  # neither S3 nor a job subnet


def broken(**changes: Any) -> Snapshot:
    """No endpoint; the job group allows only HTTPS to 10.0.0.0/8."""
    base = {
        "s3_endpoints": Read(value=[]),
        "security_groups": Read(value={GROUP: group(egress=HTTPS_TO_PROXY)}),
    }
    return compliant(**(base | changes))


def planned(snapshot: Snapshot) -> list[Action]:
    return plan(snapshot, run_checks(snapshot).findings)


def summary(actions: list[Action]) -> list[tuple[str, str, dict[str, Any], RemediationStatus]]:
    return [(a.name.value, a.resource, a.target, a.status) for a in actions]


def test_a_broken_vpc_gets_each_fix_naming_exactly_what_it_adds() -> None:
    assert summary(planned(broken())) == [  # in the order of the findings
        ("add-s3-egress-rule", GROUP, {"prefixListId": S3_PL}, "PLANNED"),
        ("add-subnet-egress-rules", GROUP, {"cidrs": ["10.0.1.0/24", "10.0.2.0/24"]}, "PLANNED"),
        ("create-s3-gateway-endpoint", VPC, {"routeTableIds": ["rtb-1"]}, "PLANNED"),
    ]
    assert all(a.check_id for a in planned(broken()))


def test_a_compliant_vpc_gets_nothing() -> None:
    assert planned(compliant()) == []


def test_tables_missing_from_the_endpoint_are_added_to_it() -> None:
    tables = [route_table("rtb-main", main=True), route_table("rtb-1", SUBNETS)]
    snapshot = compliant(
        route_tables=Read(value=tables), s3_endpoints=Read(value=[endpoint(["rtb-main"])])
    )
    assert summary(planned(snapshot)) == [
        ("add-endpoint-route-tables", "vpce-1", {"routeTableIds": ["rtb-1"]}, "PLANNED")
    ]


def test_tables_with_a_nat_path_are_left_alone_saying_why() -> None:
    tables = [
        route_table("rtb-main", main=True),
        route_table("rtb-nat", ("subnet-a",), routes=[NAT_ROUTE]),
        route_table("rtb-1", ("subnet-b",)),
        route_table("rtb-pub", ("subnet-pub",), routes=[IGW_ROUTE]),
    ]
    snapshot = broken(
        route_tables=Read(value=tables), nat_gateways=Read(value={"nat-1": PUBLIC_NAT})
    )
    endpoints = [a for a in planned(snapshot) if a.name == "create-s3-gateway-endpoint"]
    assert [(a.route_table_ids, a.status) for a in endpoints] == [
        (("rtb-1",), RemediationStatus.PLANNED),
        (("rtb-nat",), RemediationStatus.SKIPPED),
    ]
    assert "reach S3 through a NAT" in endpoints[1].reason


def test_an_uncertain_finding_proposes_its_actions_skipped() -> None:
    snapshot = broken()
    findings = [replace(f, severity=Severity.MEDIUM) for f in run_checks(snapshot).findings]
    actions = plan(snapshot, findings)
    assert len(actions) == 3
    assert {a.status for a in actions} == {RemediationStatus.SKIPPED}
    assert {a.reason.split(" is ")[1] for a in actions} == {"MEDIUM, not a certain HIGH"}


def test_a_finding_whose_inputs_were_not_all_read_proposes_nothing() -> None:
    snapshot = broken()
    findings = run_checks(snapshot).findings
    unread = replace(snapshot, route_tables=failed("DescribeRouteTables", "AccessDenied"))
    assert [a.name.value for a in plan(unread, findings)] == [
        "add-s3-egress-rule",
        "add-subnet-egress-rules",
    ]  # no endpoint: its check reads the route tables
    assert plan(replace(snapshot, vpc_id=None), findings) == []


def test_only_a_group_of_the_jobs_own_vpc_is_ever_written() -> None:
    elsewhere = {**group("sg-0", egress=HTTPS_TO_PROXY), "VpcId": "vpc-2"}
    groups = {"sg-0": elsewhere, GROUP: group(egress=HTTPS_TO_PROXY)}
    job = replace(compliant().job, security_groups=("sg-0", GROUP))
    snapshot = broken(job=job, security_groups=Read(value=groups))
    rules = [a for a in planned(snapshot) if a.name != "create-s3-gateway-endpoint"]
    assert {a.resource for a in rules} == {GROUP}


def test_an_ipv6_only_subnet_gets_no_ipv4_rule_and_says_so() -> None:
    ipv6_only = {
        "SubnetId": "subnet-b",
        "VpcId": VPC,
        "AvailableIpAddressCount": 0,
        "Ipv6Native": True,
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": "2600:1f18:1:2::/64", "Ipv6CidrBlockState": {"State": "associated"}}
        ],
    }
    subnets = {"subnet-a": compliant().subnets.get()["subnet-a"], "subnet-b": ipv6_only}
    snapshot = broken(subnets=Read(value=subnets))
    [rules] = [a for a in planned(snapshot) if a.name == "add-subnet-egress-rules"]
    assert rules.status is RemediationStatus.SKIPPED
    assert "subnet-b" in rules.reason and "has no IPv4 CIDR" in rules.reason


def test_tables_are_never_attached_to_an_endpoint_whose_policy_refuses_the_job() -> None:
    deny = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        ]
    }
    tables = [route_table("rtb-main", main=True), route_table("rtb-1", SUBNETS)]
    refusing = endpoint(["rtb-main"], json.dumps(deny))
    snapshot = compliant(route_tables=Read(value=tables), s3_endpoints=Read(value=[refusing]))
    [action] = [a for a in planned(snapshot) if a.name == "add-endpoint-route-tables"]
    assert action.status is RemediationStatus.MANUAL
    assert "policy does not allow the job's objects" in action.reason
