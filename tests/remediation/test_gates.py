"""Gates: report mode plans, apply mode approves, and every opt-out is honoured."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read, Snapshot, failed
from ir_vpc_guard.findings import Mode, RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.gates import gate
from ir_vpc_guard.remediation.planner import plan
from ir_vpc_guard.settings import Settings
from tests.snapshots import GROUP, VPC, compliant, group, rule

OPT_OUT = [{"Key": "ir-vpc-guard:remediate", "Value": "false"}]
ACTIONS = ("create-s3-gateway-endpoint", "add-s3-egress-rule", "add-subnet-egress-rules")


def broken(**changes: Any) -> Snapshot:
    """No endpoint; the group allows only HTTPS to 10.0.0.0/8."""
    base = compliant(
        s3_endpoints=Read(value=[]),
        security_groups=Read(
            value={GROUP: group(egress=[rule("tcp", 443, 443, cidrs=["192.168.0.0/16"])])}
        ),
    )
    return replace(base, **changes)


def gated(snapshot: Snapshot, settings: Settings) -> dict[str, Action]:
    actions = gate(plan(snapshot, run_checks(snapshot).findings), snapshot, settings)
    return {a.name: a for a in actions}


def test_report_mode_plans_every_action() -> None:
    actions = gated(broken(), Settings())
    assert set(actions) == {
        "create-s3-gateway-endpoint",
        "add-s3-egress-rule",
        "add-subnet-egress-rules",
    }
    assert all(a.status is RemediationStatus.PLANNED and not a.approved for a in actions.values())
    assert actions["create-s3-gateway-endpoint"].route_table_ids == ("rtb-1",)
    assert actions["add-subnet-egress-rules"].cidrs == ("10.0.1.0/24", "10.0.2.0/24")


def test_apply_mode_approves() -> None:
    actions = gated(broken(), Settings(remediation_mode=Mode.APPLY))
    assert all(a.approved for a in actions.values())


def test_opt_out_tag_value_is_case_insensitive_and_only_false_counts() -> None:
    apply = Settings(remediation_mode=Mode.APPLY)
    vpc = {"VpcId": VPC, "Tags": [{"Key": "ir-vpc-guard:remediate", "Value": "FALSE"}]}
    skipped = gated(broken(vpc=Read(value=vpc)), apply)
    assert {n: a.status for n, a in skipped.items()} == dict.fromkeys(
        ACTIONS, RemediationStatus.SKIPPED
    )
    vpc_true = {"VpcId": VPC, "Tags": [{"Key": "ir-vpc-guard:remediate", "Value": "true"}]}
    approved = gated(broken(vpc=Read(value=vpc_true)), apply)
    assert {n: a.approved for n, a in approved.items()} == dict.fromkeys(ACTIONS, True)


def test_custom_opt_out_key() -> None:
    settings = Settings(remediation_mode=Mode.APPLY, opt_out_tag_key="team:hands-off")
    vpc = {"VpcId": VPC, "Tags": [{"Key": "team:hands-off", "Value": "false"}]}
    actions = gated(broken(vpc=Read(value=vpc)), settings)
    assert {a.reason for a in actions.values()} == {f"{VPC} is tagged team:hands-off=false"}


def test_group_opt_out_leaves_the_endpoint_action() -> None:
    tagged = {
        **group(egress=[rule("tcp", 443, 443, cidrs=["192.168.0.0/16"])]),
        "Tags": OPT_OUT,
    }
    actions = gated(
        broken(security_groups=Read(value={GROUP: tagged})), Settings(remediation_mode=Mode.APPLY)
    )
    assert actions["create-s3-gateway-endpoint"].approved
    assert actions["add-s3-egress-rule"].status is RemediationStatus.SKIPPED
    assert (
        actions["add-subnet-egress-rules"].reason
        == f"{GROUP} is tagged ir-vpc-guard:remediate=false"
    )


def test_unreadable_vpc_tags_mean_no_write() -> None:
    actions = gated(
        broken(vpc=failed("ec2:DescribeVpcs", "AccessDenied")),
        Settings(remediation_mode=Mode.APPLY),
    )
    assert {n: a.approved for n, a in actions.items()} == dict.fromkeys(ACTIONS, False)
