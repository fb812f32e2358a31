"""R5/R7: network ACLs are ordered (first match wins) and stateless (return path matters)."""

from ir_vpc_guard.snapshot import Read
from tests.unit.checks.helpers import finding, found
from tests.unit.snapshots import SUBNETS, acl_entry, compliant


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
