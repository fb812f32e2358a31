"""The limits remediation never crosses, whatever the findings say (property tests).

The executor talks to a recording EC2 double here, not moto: the property is about the
requests the guardrail would send, over thousands of generated snapshots, and moto would
reject many of the absurd inputs before the executor's own guard could be tested.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import ActionName, Mode, RemediationStatus
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.executor import Executor
from ir_vpc_guard.remediation.gates import gate
from ir_vpc_guard.remediation.planner import plan
from ir_vpc_guard.remediation.safety import safe_egress_cidr
from ir_vpc_guard.settings import Settings
from tests.snapshots import GROUP, compliant, group, route_table, rule, subnet

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import SecurityGroupTypeDef

APPLY = Settings(remediation_mode=Mode.APPLY)
ALLOWED_CALLS = {
    "describe_vpc_endpoints",
    "describe_security_groups",
    "create_vpc_endpoint",
    "modify_vpc_endpoint",
    "authorize_security_group_egress",
}


class RecordingEc2:
    """Answers like an empty VPC and records every request the executor makes."""

    def __init__(self, groups: list[SecurityGroupTypeDef]) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.groups = groups

    def __getattr__(self, name: str) -> Any:
        def call(**params: Any) -> dict[str, Any]:
            self.calls.append((name, params))
            if name == "describe_security_groups":
                return {"SecurityGroups": self.groups}
            if name == "create_vpc_endpoint":
                return {"VpcEndpoint": {"VpcEndpointId": "vpce-new"}}
            return {}

        return call


class Clients:
    def __init__(self, ec2: RecordingEc2) -> None:
        self.ec2 = ec2


cidrs = st.one_of(
    st.sampled_from(["0.0.0.0/0", "::/0", "0.0.0.0/1", "10.0.0.0/8", "2600::/64", "bogus"]),
    st.builds(
        lambda a, p: str(ipaddress.ip_network(f"{ipaddress.IPv4Address(a)}/{p}", strict=False)),
        st.integers(0, 2**32 - 1),
        st.integers(0, 32),
    ),
)
egress_rules = st.lists(
    st.builds(
        lambda proto, low, cidr: rule(proto, low, low + 10, cidrs=[cidr]),
        st.sampled_from(["tcp", "udp", "-1", "6"]),
        st.integers(0, 65000),
        cidrs,
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(subnet_cidrs=st.lists(cidrs, min_size=1, max_size=4), egress=egress_rules)
def test_no_request_ever_opens_egress_wider_than_a_subnet(
    subnet_cidrs: list[str], egress: list[dict[str, Any]]
) -> None:
    subnets = {f"subnet-{i}": subnet(f"subnet-{i}", c) for i, c in enumerate(subnet_cidrs)}
    snapshot = compliant(
        job=replace(compliant().job, subnets=tuple(subnets)),
        subnets=Read(value=subnets),
        security_groups=Read(value={GROUP: group(egress=egress)}),
        s3_endpoints=Read(value=[]),
        route_tables=Read(value=[route_table("rtb-1", tuple(subnets), main=True)]),
    )
    actions = gate(plan(snapshot, run_checks(snapshot).findings), snapshot, APPLY)
    ec2 = RecordingEc2([group(egress=egress)])
    settled = Executor(Clients(ec2), snapshot).apply(actions)  # type: ignore[arg-type]

    assert {name for name, _ in ec2.calls} <= ALLOWED_CALLS  # never deletes or revokes
    for name, params in ec2.calls:
        if name != "authorize_security_group_egress":
            continue
        for permission in params["IpPermissions"]:
            assert not permission.get("Ipv6Ranges")
            for ip_range in permission.get("IpRanges", []):
                assert safe_egress_cidr(ip_range["CidrIp"]), ip_range
                assert ipaddress.ip_network(ip_range["CidrIp"]).prefixlen >= 16
    for action in settled:
        if action.status is RemediationStatus.APPLIED:
            assert all(safe_egress_cidr(c) for c in action.cidrs)


def test_a_subnet_as_wide_as_the_internet_is_refused_not_opened() -> None:
    subnets = {"subnet-a": subnet("subnet-a", "0.0.0.0/0")}
    snapshot = compliant(
        job=replace(compliant().job, subnets=("subnet-a",)),
        subnets=Read(value=subnets),
        security_groups=Read(value={GROUP: group(egress=[])}),
    )
    actions = gate(plan(snapshot, run_checks(snapshot).findings), snapshot, APPLY)
    ec2 = RecordingEc2([group(egress=[])])
    settled = Executor(Clients(ec2), snapshot).apply(actions)  # type: ignore[arg-type]
    [subnet_rules] = [a for a in settled if a.name == "add-subnet-egress-rules"]
    assert subnet_rules.status is RemediationStatus.SKIPPED
    assert "0.0.0.0/0 is not a subnet-sized IPv4 CIDR" in subnet_rules.reason
    authorized = [p for n, p in ec2.calls if n == "authorize_security_group_egress"]
    assert [p["IpPermissions"][0]["PrefixListIds"][0]["PrefixListId"] for p in authorized] == [
        "pl-s3"
    ]


def test_manual_findings_produce_no_action() -> None:
    snapshot = compliant(dns_support=Read(value=False))
    findings = run_checks(snapshot).findings
    assert [f.check_id for f in findings] == ["VPC_DNS_DISABLED"]
    assert plan(snapshot, findings) == []


def test_the_executor_refuses_an_unsafe_rule_even_if_approved() -> None:
    """The executor's own guard, without the planner's: an approved action asking for
    0.0.0.0/0 sends nothing."""
    snapshot = compliant(security_groups=Read(value={GROUP: group(egress=[])}))
    action = replace(
        Action(ActionName.ADD_SUBNET_EGRESS_RULES, "SG_EGRESS_SUBNETS_MISSING", "vpc-1", GROUP),
        cidrs=("0.0.0.0/0", "::/0", "10.0.0.0/8"),
        approved=True,
    )
    ec2 = RecordingEc2([group(egress=[])])
    [settled] = Executor(Clients(ec2), snapshot).apply([action])  # type: ignore[arg-type]
    assert settled.status is RemediationStatus.SKIPPED
    assert [n for n, _ in ec2.calls if n == "authorize_security_group_egress"] == []


def test_a_subnet_not_found_never_changes_the_main_route_table() -> None:
    snapshot = compliant(
        job=replace(compliant().job, subnets=("subnet-a", "subnet-gone")),
        s3_endpoints=Read(value=[]),
        route_tables=Read(
            value=[route_table("rtb-main", main=True), route_table("rtb-1", ("subnet-a",))]
        ),
    )
    [action] = plan(snapshot, run_checks(snapshot).findings)
    assert action.route_table_ids == ("rtb-1",)


def test_a_nat_path_is_proposed_never_applied() -> None:
    nat = [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}]
    igw = [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}]
    public = {"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}
    snapshot = compliant(
        s3_endpoints=Read(value=[]),
        route_tables=Read(
            value=[
                route_table("rtb-1", ("subnet-a", "subnet-b"), True, nat),
                route_table("rtb-pub", ("subnet-pub",), routes=igw),
            ]
        ),
        nat_gateways=Read(value={"nat-1": public}),
    )
    findings = run_checks(snapshot).findings
    assert [(f.check_id, f.severity.value) for f in findings] == [("S3_ENDPOINT_MISSING", "LOW")]
    [action] = gate(plan(snapshot, findings), snapshot, APPLY)
    assert action.status is RemediationStatus.SKIPPED and not action.approved
    assert "through a NAT" in action.reason
