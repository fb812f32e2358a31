"""R5/R7: network ACLs are ordered (first match wins) and stateless (return path matters)."""

import json
from datetime import date

from ir_vpc_guard.delivery import mutes
from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import Severity
from tests.checks.helpers import finding, found
from tests.snapshots import SUBNETS, VPC, acl_entry, compliant, subnet


def _acl(*entries: dict[str, object]) -> list[str]:
    acl = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": s} for s in SUBNETS],
        "Entries": list(entries),
    }
    return found(compliant(network_acls=Read(value=[acl])))


ALLOW_OUT = acl_entry(100, "allow", "0.0.0.0/0", egress=True)
ALLOW_IN = acl_entry(100, "allow", "0.0.0.0/0", egress=False)


def test_lower_rule_number_wins() -> None:
    deny_s3_first = acl_entry(
        50, "deny", "52.216.0.0/15", egress=True, protocol="6", ports=(443, 443)
    )
    assert _acl(ALLOW_OUT, ALLOW_IN, deny_s3_first) == ["NACL_BLOCKS_S3"]
    deny_s3_later = acl_entry(
        200, "deny", "52.216.0.0/15", egress=True, protocol="6", ports=(443, 443)
    )
    assert _acl(ALLOW_OUT, ALLOW_IN, deny_s3_later) == []


def test_return_path_on_ephemeral_ports_is_required() -> None:
    https_in_only = acl_entry(
        100, "allow", "0.0.0.0/0", egress=False, protocol="6", ports=(443, 443)
    )
    vpc_in = acl_entry(110, "allow", "10.0.0.0/16", egress=False)
    assert _acl(ALLOW_OUT, https_in_only, vpc_in) == ["NACL_BLOCKS_S3"]
    ephemeral = acl_entry(
        120, "allow", "0.0.0.0/0", egress=False, protocol="6", ports=(1024, 65535)
    )
    assert _acl(ALLOW_OUT, https_in_only, vpc_in, ephemeral) == []


def test_no_matching_rule_means_deny() -> None:
    assert set(_acl(ALLOW_OUT)) == {"NACL_BLOCKS_S3", "NACL_BLOCKS_SUBNETS"}


def test_traffic_between_job_subnets_must_pass_both_ways() -> None:
    block_b = acl_entry(10, "deny", "10.0.2.0/24", egress=True)
    result = finding(
        compliant(
            network_acls=Read(
                value=[
                    {
                        "NetworkAclId": "acl-9",
                        "Associations": [{"SubnetId": s} for s in SUBNETS],
                        "Entries": [block_b, ALLOW_OUT, ALLOW_IN],
                    }
                ]
            )
        ),
        "NACL_BLOCKS_SUBNETS",
    )
    assert result.evidence["blocked"] == {
        "acl-9 (subnet-a)": {"10.0.2.0/24": ["egress TCP 0-65535"]}
    }


def test_udp_rules_do_not_allow_tcp() -> None:
    udp_out = acl_entry(100, "allow", "0.0.0.0/0", egress=True, protocol="17", ports=(0, 65535))
    assert "NACL_BLOCKS_S3" in _acl(udp_out, ALLOW_IN)


def _return_path(low: int, high: int) -> list[dict[str, object]]:
    https_in = acl_entry(100, "allow", "0.0.0.0/0", egress=False, protocol="6", ports=(low, high))
    return [ALLOW_OUT, https_in, acl_entry(110, "allow", "10.0.0.0/16", egress=False)]


def _s3_finding(low: int, high: int) -> object:
    acl = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": s} for s in SUBNETS],
        "Entries": _return_path(low, high),
    }
    return finding(compliant(network_acls=Read(value=[acl])), "NACL_BLOCKS_S3")


def test_linux_ephemeral_return_path_is_a_low_advisory_only() -> None:
    for low, high in ((32768, 65535), (32768, 60999)):
        result = _s3_finding(low, high)
        assert result.severity is Severity.LOW, (low, high)  # type: ignore[attr-defined]
        assert result.evidence["linuxEphemeralPorts"] == [32768, 60999]  # type: ignore[attr-defined]


def test_return_path_short_of_linux_range_stays_high() -> None:
    for low, high in ((32768, 60000), (49152, 65535)):
        result = _s3_finding(low, high)
        assert result.severity is Severity.HIGH, (low, high)  # type: ignore[attr-defined]
        assert "blocked" in result.evidence  # type: ignore[attr-defined]


IPV6_ONLY = {
    "SubnetId": "subnet-b",
    "VpcId": VPC,
    "AvailableIpAddressCount": 0,
    "Ipv6CidrBlockAssociationSet": [
        {"Ipv6CidrBlock": "2600:1f18:1:2::/64", "Ipv6CidrBlockState": {"State": "associated"}}
    ],
}


def test_ipv6_only_subnet_is_judged_by_ipv6_entries_and_named_as_such() -> None:
    subnets = Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": IPV6_ONLY})
    ipv4_only = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": s} for s in SUBNETS],
        "Entries": [ALLOW_OUT, ALLOW_IN],
    }
    result = finding(
        compliant(subnets=subnets, network_acls=Read(value=[ipv4_only])), "NACL_BLOCKS_SUBNETS"
    )
    assert result.evidence["blocked"] == {
        "acl-9 (subnet-a)": {"2600:1f18:1:2::/64": ["egress TCP 0-65535", "ingress TCP 0-65535"]}
    }
    assert result.evidence["ipv6OnlySubnets"] == {"subnet-b": "IPv6-only (2600:1f18:1:2::/64)"}
    command = (result.remediation and result.remediation.command) or ""
    assert "--ipv6-cidr-block 2600:1f18:1:2::/64" in command and "None" not in command
    ipv6_open = [
        {
            "RuleNumber": 101,
            "RuleAction": "allow",
            "Ipv6CidrBlock": "::/0",
            "Egress": e,
            "Protocol": "-1",
        }
        for e in (True, False)
    ]
    dual = {**ipv4_only, "Entries": [ALLOW_OUT, ALLOW_IN, *ipv6_open]}
    assert "NACL_BLOCKS_SUBNETS" not in found(
        compliant(subnets=subnets, network_acls=Read(value=[dual]))
    )


def test_a_subnet_of_another_vpc_is_left_to_vpc_mismatch() -> None:
    foreign = subnet("subnet-b", "10.9.2.0/24", vpc="vpc-2")
    subnets = Read(value={"subnet-a": subnet("subnet-a", "10.0.1.0/24"), "subnet-b": foreign})
    deny_foreign = acl_entry(10, "deny", "10.9.2.0/24", egress=True)
    acl = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": s} for s in SUBNETS],
        "Entries": [deny_foreign, ALLOW_OUT, ALLOW_IN],
    }
    result = found(compliant(subnets=subnets, network_acls=Read(value=[acl])))
    assert "NACL_BLOCKS_SUBNETS" not in result and "VPC_MISMATCH" in result


def test_an_acl_shared_by_the_job_subnets_gets_each_entry_once() -> None:
    """Two subnets on one ACL that lets nothing out: one egress entry per S3 range on that
    ACL, not one per subnet (run twice, they would be duplicate rules)."""
    acl = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": s} for s in SUBNETS],
        "Entries": [ALLOW_IN, acl_entry(100, "allow", "10.0.0.0/16", egress=True)],
    }
    result = finding(compliant(network_acls=Read(value=[acl])), "NACL_BLOCKS_S3")
    commands = str(result.remediation and result.remediation.command).split(" && ")
    ranges = {c for blocked in result.evidence["blocked"].values() for c in blocked}
    assert len(SUBNETS) > 1 and len(commands) == len(ranges)
    assert all("--egress" in c and "acl-9" in c for c in commands)


def test_a_mute_of_the_one_blocked_subnet_covers_the_finding() -> None:
    """The finding names the subnets its ACL blocks, so a mute scoped to that subnet covers
    it; the other subnet's ACL lets S3 through and is not part of it."""
    blocking = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": SUBNETS[0]}],
        "Entries": [ALLOW_IN, acl_entry(100, "allow", "10.0.0.0/16", egress=True)],
    }
    open_acl = {
        "NetworkAclId": "acl-8",
        "Associations": [{"SubnetId": SUBNETS[1]}],
        "Entries": [ALLOW_IN, ALLOW_OUT],
    }
    result = finding(compliant(network_acls=Read(value=[blocking, open_acl])), "NACL_BLOCKS_S3")
    assert SUBNETS[0] in result.resources and SUBNETS[1] not in result.resources
    accepted = {"checkId": "NACL_BLOCKS_S3", "subnet": SUBNETS[0], "reason": "r"}
    listed = mutes.parse(json.dumps({"mutes": [{**accepted, "expires": "2027-06-30"}]}), "t")
    context = mutes.Context(
        account="123456789012",
        region="us-east-1",
        vpc=VPC,
        job="job",
        subnets=SUBNETS,
        security_groups=("sg-1",),
    )
    (marked,) = mutes.mark(listed, [result], context, date(2026, 12, 2))
    assert marked.muted is not None and marked.partially_muted is None


def _between(*entries: dict[str, object]) -> object:
    acl = {
        "NetworkAclId": "acl-9",
        "Associations": [{"SubnetId": s} for s in SUBNETS],
        "Entries": [*entries, ALLOW_OUT, ALLOW_IN],
    }
    return finding(compliant(network_acls=Read(value=[acl])), "NACL_BLOCKS_SUBNETS")


def test_traffic_partly_blocked_between_job_subnets_is_not_certain() -> None:
    """AWS names no ports or protocols for traffic between the job's subnets: an ACL that
    lets some of it through (other ports, UDP, other addresses) is MEDIUM, with the entries
    that would let every TCP port through as the command; only a direction where nothing
    passes at all is a certain HIGH."""
    ssh_only = acl_entry(10, "deny", "10.0.0.0/16", egress=False, protocol="6", ports=(22, 22))
    returns = acl_entry(10, "deny", "10.0.0.0/16", egress=False, protocol="6", ports=(1024, 65535))
    one_address = acl_entry(10, "deny", "10.0.2.5/32", egress=False)
    https_and_linux = [
        acl_entry(40, "allow", "10.0.0.0/16", egress=False, protocol="6", ports=(443, 443)),
        acl_entry(45, "allow", "10.0.0.0/16", egress=False, protocol="6", ports=(32768, 60999)),
        acl_entry(50, "deny", "10.0.0.0/16", egress=False),
    ]
    for entries in ([ssh_only], [returns], [one_address], https_and_linux):
        result = _between(*entries)
        assert result.severity is Severity.MEDIUM, entries  # type: ignore[attr-defined]
        evidence = result.evidence  # type: ignore[attr-defined]
        assert "blocked" not in evidence and "ports" in evidence["undetermined"]
        assert evidence["partlyBlocked"]["acl-9 (subnet-a)"] == {
            "10.0.2.0/24": ["ingress TCP 0-65535"]
        }
        command = result.remediation.command  # type: ignore[attr-defined]
        assert "--ingress" in command and "From=0,To=65535" in command
    nothing_in = acl_entry(10, "deny", "10.0.0.0/16", egress=False)
    certain = _between(nothing_in)
    assert certain.severity is Severity.HIGH  # type: ignore[attr-defined]
    assert certain.evidence["blocked"]["acl-9 (subnet-b)"] == {  # type: ignore[attr-defined]
        "10.0.1.0/24": ["ingress TCP 0-65535"]
    }
