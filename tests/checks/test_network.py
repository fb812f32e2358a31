"""The network reasoning the checks share with remediation: the job's subnets, and the TCP
egress the union of its security groups allows (AWS semantics, judged exactly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks.netmath import Grant, cidr_interval
from ir_vpc_guard.checks.network import (
    SubnetGaps,
    allows_s3,
    allows_subnet,
    ipv6_cidrs,
    job_groups,
    job_vpc_subnets,
    judge,
    reaches_subnet,
    subnet_gaps,
    subnet_label,
    tcp_egress,
    tcp_ports,
)
from ir_vpc_guard.discovery.snapshot import Read, ReadError, ReferencedPrefixList
from ir_vpc_guard.requirements import ALL_PORTS
from tests.snapshots import GROUP, S3_CIDRS, S3_PL, compliant, group, job, rule, subnet

if TYPE_CHECKING:
    from mypy_boto3_ec2.literals import SubnetCidrBlockStateCodeType
    from mypy_boto3_ec2.type_defs import SubnetTypeDef

V6 = "2600:1f18::/64"


def ipv6_subnet(
    sid: str, *cidrs: str, state: SubnetCidrBlockStateCodeType = "associated"
) -> SubnetTypeDef:
    return {
        "SubnetId": sid,
        "VpcId": "vpc-1",
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": c, "Ipv6CidrBlockState": {"State": state}} for c in cidrs
        ],
    }


def v6_rule(cidr: str, low: int = 0, high: int = 65535) -> dict[str, Any]:
    """TCP egress to an IPv6 CIDR (rule() builds the IPv4, prefix-list and group kinds)."""
    return {**rule("tcp", low, high), "Ipv6Ranges": [{"CidrIpv6": cidr}]}


# --- The job's subnets -----------------------------------------------------------------
def test_job_vpc_subnets_leave_out_a_subnet_of_another_vpc() -> None:
    stray = subnet("subnet-b", "10.9.0.0/24", vpc="vpc-2")
    snapshot = compliant(
        subnets=Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": stray})
    )
    assert list(job_vpc_subnets(snapshot)) == ["subnet-a"]


def test_ipv6_cidrs_are_the_associated_ones() -> None:
    assert ipv6_cidrs(ipv6_subnet("s", V6)) == (V6,)
    assert ipv6_cidrs(ipv6_subnet("s", V6, state="disassociated")) == ()
    no_state: SubnetTypeDef = {"Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": V6}]}
    assert ipv6_cidrs(no_state) == (V6,)
    assert ipv6_cidrs(subnet("s", "10.0.1.0/24")) == ()


def test_subnet_label_is_the_ipv4_cidr_else_says_ipv6_only() -> None:
    assert subnet_label(subnet("s", "10.0.1.0/24")) == "10.0.1.0/24"
    assert subnet_label(ipv6_subnet("s", V6)) == f"IPv6-only ({V6})"
    assert subnet_label({"SubnetId": "s"}) == "IPv6-only (no CIDR)"


# --- The TCP egress of the job's groups --------------------------------------------------
def test_tcp_ports_by_protocol() -> None:
    assert tcp_ports(rule("-1")) == ALL_PORTS
    assert tcp_ports(rule("tcp", 443, 443)) == (443, 443)
    assert tcp_ports(rule("6", 22, 80)) == (22, 80)
    assert tcp_ports(rule("TCP")) == ALL_PORTS  # no ports given: every port
    assert tcp_ports(rule("udp", 53, 53)) is None
    assert tcp_ports(rule("17", 53, 53)) is None


def test_tcp_egress_splits_destinations_and_ignores_other_protocols() -> None:
    egress = tcp_egress(
        [
            group("sg-1", [rule("tcp", 443, 443, prefix_lists=[S3_PL]), rule("udp", 53, 53)]),
            group("sg-2", [rule("-1", cidrs=["10.0.0.0/16"], groups=["sg-1"]), v6_rule(V6)]),
        ]
    )
    assert egress.to_prefix_lists == {S3_PL: ((443, 443),)}
    assert egress.to_groups == {"sg-1": (ALL_PORTS,)}
    assert egress.to_addresses == (Grant(cidr_interval("10.0.0.0/16") or (0, 0), ALL_PORTS),)
    assert len(egress.to_ipv6) == 1


def test_with_lists_adds_entries_on_the_rules_ports() -> None:
    egress = tcp_egress([group(egress=[rule("tcp", 443, 443, prefix_lists=["pl-corp"])])])
    widened = egress.with_lists({"pl-corp": ("10.1.0.0/16", V6), "pl-unused": ("10.2.0.0/16",)})
    assert widened.to_addresses == (Grant(cidr_interval("10.1.0.0/16") or (0, 0), (443, 443)),)
    assert len(widened.to_ipv6) == 1
    assert egress.to_addresses == ()  # the original is unchanged


def test_allows_s3_through_the_prefix_list_or_covering_cidrs() -> None:
    def allows(*rules: dict[str, Any]) -> bool:
        return allows_s3(tcp_egress([group(egress=list(rules))]), S3_PL, S3_CIDRS)

    assert allows(rule("tcp", 443, 443, prefix_lists=[S3_PL]))
    assert allows(rule("-1", prefix_lists=[S3_PL]))
    assert allows(rule("tcp", 443, 443, cidrs=list(S3_CIDRS)))
    assert allows(rule("tcp", 0, 65535, cidrs=["0.0.0.0/0"]))
    assert not allows(rule("tcp", 443, 443, cidrs=[S3_CIDRS[0]]))  # one range missing
    assert not allows(rule("tcp", 80, 80, prefix_lists=[S3_PL]))
    assert not allows(rule("udp", 443, 443, prefix_lists=[S3_PL]))
    assert not allows_s3(tcp_egress([group(egress=[])]), S3_PL, ())


def test_allows_subnet_needs_every_tcp_port() -> None:
    def allows(cidr: str, *rules: dict[str, Any], groups: tuple[str, ...] = ()) -> bool:
        return allows_subnet(tcp_egress([group(egress=list(rules))]), cidr, groups)

    assert allows("10.0.1.0/24", rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"]))
    assert not allows("10.0.1.0/24", rule("tcp", 1, 65535, cidrs=["10.0.0.0/16"]))
    assert allows(
        "10.0.1.0/24",
        rule("tcp", 0, 1000, cidrs=["10.0.0.0/16"]),
        rule("tcp", 1001, 65535, cidrs=["10.0.1.0/24"]),
    )
    assert allows("10.0.1.0/24", rule("-1", groups=[GROUP]), groups=(GROUP,))
    assert not allows("10.0.1.0/24", rule("-1", groups=["sg-other"]), groups=(GROUP,))
    assert not allows("garbage", rule("-1", cidrs=["0.0.0.0/0"]))


def test_ipv6_cidrs_are_judged_against_ipv6_rules_only() -> None:
    egress = tcp_egress([group(egress=[rule("-1", cidrs=["0.0.0.0/0"])])])
    assert not allows_subnet(egress, V6, ())
    assert allows_subnet(tcp_egress([group(egress=[v6_rule("::/0")])]), V6, ())


def test_reaches_subnet_by_its_ipv4_cidr_else_each_ipv6_cidr() -> None:
    second = "2600:1f18:0:1::/64"
    only_first = tcp_egress([group(egress=[v6_rule(V6)])])
    assert reaches_subnet(only_first, ipv6_subnet("s", V6), ())
    assert not reaches_subnet(only_first, ipv6_subnet("s", V6, second), ())
    assert not reaches_subnet(only_first, {"SubnetId": "s"}, ())  # no CIDR at all
    v4 = tcp_egress([group(egress=[rule("-1", cidrs=["10.0.0.0/16"])])])
    assert reaches_subnet(v4, subnet("s", "10.0.1.0/24"), ())


def test_judge_names_the_unreadable_lists_a_verdict_hangs_on() -> None:
    egress = tcp_egress([group(egress=[rule("tcp", 443, 443, prefix_lists=["pl-corp"])])])

    def to_s3(e: Any) -> bool:
        return allows_s3(e, S3_PL, S3_CIDRS)

    readable = {"pl-corp": ReferencedPrefixList("pl-corp", S3_CIDRS)}
    assert judge(egress, readable, to_s3) == (True, ())
    unreadable = {"pl-corp": ReferencedPrefixList("pl-corp", error=ReadError("api", "Denied"))}
    assert judge(egress, unreadable, to_s3) == (False, ("pl-corp",))
    assert judge(egress, {}, to_s3) == (False, ())
    # An unreadable list no rule names cannot change the verdict.
    other = {"pl-x": ReferencedPrefixList("pl-x", error=ReadError("api", "Denied"))}
    assert judge(egress, other, to_s3) == (False, ())


# --- The job's groups and subnets together ------------------------------------------------
def test_job_groups_are_the_found_ones_in_the_jobs_order() -> None:
    snapshot = compliant(
        job=job(security_groups=("sg-2", "sg-gone", "sg-1")),
        security_groups=Read(value={"sg-1": group("sg-1"), "sg-2": group("sg-2")}),
    )
    assert [g["GroupId"] for g in job_groups(snapshot)] == ["sg-2", "sg-1"]


NO_GAPS = SubnetGaps({}, {}, {})


def test_subnet_gaps_are_certain_or_hang_on_unreadable_lists() -> None:
    assert subnet_gaps(compliant()) == NO_GAPS
    to_a = rule("tcp", 0, 65535, cidrs=["10.0.1.0/24"])
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    gaps = subnet_gaps(compliant(security_groups=Read(value={GROUP: group(egress=[s3, to_a])})))
    assert list(gaps.unreached) == ["subnet-b"] and not gaps.partly and not gaps.undetermined
    via_list = rule("tcp", 0, 65535, prefix_lists=["pl-corp"])
    lists = {"pl-corp": ReferencedPrefixList("pl-corp", error=ReadError("api", "Denied"))}
    gaps = subnet_gaps(
        compliant(
            security_groups=Read(value={GROUP: group(egress=[s3, to_a, via_list])}),
            referenced_prefix_lists=Read(value=lists),
        )
    )
    assert gaps == SubnetGaps({}, {}, {"subnet-b": ("pl-corp",)})


def test_a_subnet_some_rule_reaches_is_only_partly_reached() -> None:
    """AWS names no ports for traffic between the job's subnets: a rule that reaches a
    subnet on some port or protocol makes its gap uncertain, not a certain one."""
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    for partial_rule, described in [
        (rule("tcp", 443, 443, cidrs=["10.0.0.0/8"]), "tcp 443 to 10.0.0.0/8"),
        (rule("udp", 0, 65535, cidrs=["10.0.0.0/16"]), "udp (all ports) to 10.0.0.0/16"),
        (rule("tcp", 22, 22, groups=[GROUP]), f"tcp 22 to {GROUP}"),
    ]:
        groups = {GROUP: group(egress=[s3, partial_rule])}
        gaps = subnet_gaps(compliant(security_groups=Read(value=groups)))
        assert gaps.unreached == {} and gaps.undetermined == {}
        assert gaps.partly == {"subnet-a": (described,), "subnet-b": (described,)}


def test_rules_to_addresses_outside_the_subnets_reach_nothing() -> None:
    """Another range, another group, S3's own list: none of them is a job subnet."""
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    elsewhere = [
        rule("-1", cidrs=["192.168.0.0/16", "10.1.0.0/16"]),
        rule("-1", groups=["sg-other"]),
        rule("tcp", 0, 65535, cidrs=["2600:1f18::/56"]),
    ]
    groups = {GROUP: group(egress=[s3, *elsewhere])}
    gaps = subnet_gaps(compliant(security_groups=Read(value=groups)))
    assert list(gaps.unreached) == ["subnet-a", "subnet-b"] and not gaps.partly


def test_subnet_gaps_never_judge_a_subnet_of_another_vpc() -> None:
    stray = subnet("subnet-b", "10.9.0.0/24", vpc="vpc-2")
    snapshot = compliant(
        subnets=Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": stray})
    )
    assert subnet_gaps(snapshot) == NO_GAPS
