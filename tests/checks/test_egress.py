"""R7: security group egress, with AWS semantics (union, -1, ports, CIDR/prefix list/group)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import given
from hypothesis import strategies as st

from ir_vpc_guard.discovery.snapshot import Read, ReadError, ReferencedPrefixList, Snapshot
from ir_vpc_guard.findings import Severity
from tests.checks.helpers import finding, found
from tests.snapshots import (
    GROUP,
    S3_CIDRS,
    S3_PL,
    VPC,
    compliant,
    group,
    job,
    rule,
    subnet,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import SecurityGroupTypeDef


def _egress(*groups: SecurityGroupTypeDef) -> list[str]:
    ids = tuple(g["GroupId"] for g in groups)
    return found(
        compliant(
            job=job(security_groups=ids),
            security_groups=Read(value={g["GroupId"]: g for g in groups}),
        )
    )


def test_rules_are_unioned_across_the_jobs_groups() -> None:
    s3_only = group("sg-1", [rule("tcp", 443, 443, prefix_lists=[S3_PL])])
    vpc_only = group("sg-2", [rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"])])
    assert _egress(s3_only) == ["SG_EGRESS_SUBNETS_MISSING"]
    assert _egress(vpc_only) == ["SG_EGRESS_S3_MISSING"]
    assert _egress(s3_only, vpc_only) == []


def test_protocol_all_covers_every_port() -> None:
    assert _egress(group(egress=[rule("-1", cidrs=["0.0.0.0/0"])])) == []


def test_open_https_covers_s3_but_open_http_does_not() -> None:
    vpc = rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"])
    assert _egress(group(egress=[vpc, rule("tcp", 443, 443, cidrs=["0.0.0.0/0"])])) == []
    assert _egress(group(egress=[vpc, rule("tcp", 80, 80, cidrs=["0.0.0.0/0"])])) == [
        "SG_EGRESS_S3_MISSING"
    ]


def test_cidrs_must_cover_every_s3_range() -> None:
    vpc = rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"])
    one_range = rule("tcp", 443, 443, cidrs=["52.216.0.0/15"])
    both = rule("tcp", 443, 443, cidrs=["52.216.0.0/15", "3.5.0.0/19"])
    assert _egress(group(egress=[vpc, one_range])) == ["SG_EGRESS_S3_MISSING"]
    assert _egress(group(egress=[vpc, both])) == []


def test_udp_or_wrong_port_to_prefix_list_does_not_count() -> None:
    vpc = rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"])
    assert _egress(group(egress=[vpc, rule("udp", 443, 443, prefix_lists=[S3_PL])])) == [
        "SG_EGRESS_S3_MISSING"
    ]
    assert _egress(group(egress=[vpc, rule("tcp", 444, 500, prefix_lists=[S3_PL])])) == [
        "SG_EGRESS_S3_MISSING"
    ]
    assert _egress(group(egress=[vpc, rule("tcp", 400, 500, prefix_lists=[S3_PL])])) == []


def test_reference_to_a_job_group_satisfies_subnet_egress() -> None:
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    assert _egress(group(egress=[s3, rule("-1", groups=[GROUP])])) == []
    assert _egress(group(egress=[s3, rule("-1", groups=["sg-elsewhere"])])) == [
        "SG_EGRESS_SUBNETS_MISSING"
    ]


def test_port_ranges_are_unioned_too() -> None:
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    low = rule("tcp", 0, 1000, cidrs=["10.0.0.0/16"])
    high = rule("tcp", 1001, 65535, cidrs=["10.0.0.0/8"])
    assert _egress(group(egress=[s3, low])) == ["SG_EGRESS_SUBNETS_MISSING"]
    assert _egress(group(egress=[s3, low, high])) == []


def test_subnet_finding_names_the_uncovered_cidr() -> None:
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    snapshot = compliant(
        security_groups=Read(value={GROUP: group(egress=[s3, rule("-1", cidrs=["10.0.1.0/24"])])})
    )
    result = finding(snapshot, "SG_EGRESS_SUBNETS_MISSING")
    assert result.evidence["missingCidrs"] == {"subnet-b": "10.0.2.0/24"}
    assert "10.0.2.0/24" in ((result.remediation and result.remediation.command) or "")


RULES = st.builds(
    rule,
    st.sampled_from(["tcp", "-1", "udp"]),
    st.integers(0, 65535),
    st.integers(0, 65535),
    cidrs=st.lists(
        st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "10.0.1.0/24", "52.216.0.0/15", "3.5.0.0/19"]),
        max_size=2,
    ),
    prefix_lists=st.lists(st.just(S3_PL), max_size=1),
    groups=st.lists(st.sampled_from([GROUP, "sg-other"]), max_size=1),
).map(lambda r: {**r, "ToPort": max(r["FromPort"], r["ToPort"])})


@given(st.lists(RULES, max_size=6), RULES)
def test_adding_an_allow_rule_never_adds_a_finding(
    rules: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    before = set(_egress(group(egress=rules)))
    after = set(_egress(group(egress=[*rules, extra])))
    assert after <= before


def _with_lists(egress: list[dict[str, Any]], **lists: ReferencedPrefixList) -> Snapshot:
    return compliant(
        security_groups=Read(value={GROUP: group(egress=egress)}),
        referenced_prefix_lists=Read(value=lists),
    )


VPC_RULE = rule("tcp", 0, 65535, cidrs=["10.0.0.0/16"])
DENIED = ReadError("ec2:GetManagedPrefixListEntries", "AccessDenied")


def test_a_customer_list_is_judged_by_its_entries() -> None:
    https_to_corp = rule("tcp", 443, 443, prefix_lists=["pl-corp"])
    covering = ReferencedPrefixList("pl-corp", S3_CIDRS)
    partial_list = ReferencedPrefixList("pl-corp", S3_CIDRS[:1])
    assert found(_with_lists([VPC_RULE, https_to_corp], **{"pl-corp": covering})) == []
    assert found(_with_lists([VPC_RULE, https_to_corp], **{"pl-corp": partial_list})) == [
        "SG_EGRESS_S3_MISSING"
    ]
    vpc_list = ReferencedPrefixList("pl-corp", ("10.0.0.0/16",))
    all_tcp_to_corp = rule("tcp", 0, 65535, prefix_lists=["pl-corp"])
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    assert found(_with_lists([s3, all_tcp_to_corp], **{"pl-corp": vpc_list})) == []


def test_unreadable_list_that_could_allow_it_is_undetermined_not_high() -> None:
    https_to_corp = rule("tcp", 443, 443, prefix_lists=["pl-corp"])
    unread = ReferencedPrefixList("pl-corp", error=DENIED)
    result = finding(
        _with_lists([VPC_RULE, https_to_corp], **{"pl-corp": unread}), "SG_EGRESS_S3_MISSING"
    )
    assert result.severity is Severity.MEDIUM
    assert result.evidence["undetermined"] == (
        "entries of prefix list pl-corp (ec2:GetManagedPrefixListEntries: AccessDenied)"
    )
    assert result.remediation is not None
    assert result.remediation.command == (
        "aws ec2 get-managed-prefix-list-entries --prefix-list-id pl-corp"
    )


def test_unreadable_list_that_cannot_matter_leaves_a_certain_verdict() -> None:
    unread = ReferencedPrefixList("pl-corp", error=DENIED)
    http_to_corp = rule("tcp", 80, 80, prefix_lists=["pl-corp"])
    result = finding(
        _with_lists([VPC_RULE, http_to_corp], **{"pl-corp": unread}), "SG_EGRESS_S3_MISSING"
    )
    assert result.severity is Severity.HIGH and "undetermined" not in result.evidence
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    assert found(_with_lists([VPC_RULE, s3, http_to_corp], **{"pl-corp": unread})) == []


def test_unreadable_list_for_the_subnets_is_undetermined_per_subnet() -> None:
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    half = rule("tcp", 0, 65535, cidrs=["10.0.1.0/24"])
    to_corp = rule("tcp", 0, 65535, prefix_lists=["pl-corp"])
    unread = ReferencedPrefixList("pl-corp", error=DENIED)
    result = finding(
        _with_lists([s3, half, to_corp], **{"pl-corp": unread}), "SG_EGRESS_SUBNETS_MISSING"
    )
    assert result.severity is Severity.MEDIUM
    assert result.evidence["undeterminedCidrs"] == {"subnet-b": "10.0.2.0/24"}
    assert "pl-corp" in result.evidence["undetermined"]


IPV6_ONLY = {
    "SubnetId": "subnet-b",
    "VpcId": VPC,
    "AvailableIpAddressCount": 0,
    "Ipv6Native": True,
    "Ipv6CidrBlockAssociationSet": [
        {"Ipv6CidrBlock": "2600:1f18:1:2::/64", "Ipv6CidrBlockState": {"State": "associated"}}
    ],
}


def _ipv6_only(egress: list[dict[str, Any]]) -> Snapshot:
    """Subnet b is IPv6-only (the baseline ACL has no IPv6 entries: NACL says that part)."""
    return compliant(
        subnets=Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": IPV6_ONLY}),
        security_groups=Read(value={GROUP: group(egress=egress)}),
    )


def test_ipv6_only_subnet_is_judged_by_ipv6_rules_and_named_as_such() -> None:
    s3 = rule("tcp", 443, 443, prefix_lists=[S3_PL])
    ipv6 = {**rule("tcp", 0, 65535), "Ipv6Ranges": [{"CidrIpv6": "2600:1f18:1::/56"}]}
    assert "SG_EGRESS_SUBNETS_MISSING" not in found(_ipv6_only([s3, VPC_RULE, ipv6]))
    result = finding(_ipv6_only([s3, VPC_RULE]), "SG_EGRESS_SUBNETS_MISSING")
    assert result.evidence["missingCidrs"] == {"subnet-b": "IPv6-only (2600:1f18:1:2::/64)"}
    command = (result.remediation and result.remediation.command) or ""
    assert "Ipv6Ranges=[{CidrIpv6=2600:1f18:1:2::/64}]" in command
    assert "None" not in command and "None" not in result.detail
    # A reference to a job group covers it whatever its address family.
    assert "SG_EGRESS_SUBNETS_MISSING" not in found(
        _ipv6_only([s3, VPC_RULE, rule("-1", groups=[GROUP])])
    )


_INTERFACE = {
    "VpcEndpointId": "vpce-if",
    "VpcEndpointType": "Interface",
    "State": "available",
    "PrivateDnsEnabled": True,
    "Groups": [{"GroupId": "sg-endpoint"}],
    "NetworkInterfaceIds": ["eni-1"],
}


def _through_an_interface_endpoint(egress: list[dict[str, Any]]) -> Snapshot:
    """No gateway endpoint; S3's names resolve to an interface endpoint in the VPC."""
    return compliant(
        security_groups=Read(value={GROUP: group(GROUP, egress)}),
        s3_endpoints=Read(value=[_INTERFACE]),
        vpc=Read(value={"VpcId": VPC, "DhcpOptionsId": "default", "CidrBlock": "10.0.0.0/16"}),
    )


def test_with_an_s3_interface_endpoint_egress_to_its_addresses_decides() -> None:
    """Egress to the S3 prefix list alone does not reach the interface endpoint's private
    addresses (the red team's world): undetermined, since those addresses were not read."""
    s3_list_only = [rule("tcp", 443, 443, prefix_lists=[S3_PL])]
    result = finding(_through_an_interface_endpoint(s3_list_only), "SG_EGRESS_S3_MISSING")
    assert result.severity is Severity.MEDIUM and "vpce-if" in result.evidence["interfaceEndpoints"]
    to_the_vpc = [rule("tcp", 443, 443, cidrs=["10.0.0.0/16"])]
    to_its_group = [rule("tcp", 443, 443, groups=["sg-endpoint"])]
    for egress in (to_the_vpc, to_its_group):
        assert "SG_EGRESS_S3_MISSING" not in found(_through_an_interface_endpoint(egress))
