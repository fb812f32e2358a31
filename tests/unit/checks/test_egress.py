"""R7: security group egress, with AWS semantics (union, -1, ports, CIDR/prefix list/group)."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ir_vpc_guard.snapshot import Read
from tests.unit.checks.helpers import finding, found
from tests.unit.snapshots import GROUP, S3_PL, compliant, group, job, rule


def _egress(*groups: dict[str, Any]) -> list[str]:
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
