"""R6: the VPC's DNS resolves the S3 names (checks/dns.py)."""

from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import Severity
from tests.checks.helpers import finding, found
from tests.snapshots import compliant, job


def test_dns_support_off_is_flagged() -> None:
    assert found(compliant(dns_support=Read(value=False))) == ["VPC_DNS_DISABLED"]


def test_custom_dns_servers_are_flagged_amazon_dns_is_not() -> None:
    custom = compliant(
        dhcp_name_servers=Read(value=("10.0.0.53",)), vpc=Read(value={"DhcpOptionsId": "dopt-1"})
    )
    assert finding(custom, "VPC_CUSTOM_DNS").severity is Severity.MEDIUM
    both = compliant(dhcp_name_servers=Read(value=("AmazonProvidedDNS", "10.0.0.53")))
    assert found(both) == []


def test_amazon_dns_listed_after_a_custom_server_is_no_fallback() -> None:
    custom_first = compliant(
        dhcp_name_servers=Read(value=("10.0.0.53", "AmazonProvidedDNS")),
        vpc=Read(value={"DhcpOptionsId": "dopt-1"}),
    )
    result = finding(custom_first, "VPC_CUSTOM_DNS")
    assert result.evidence["domainNameServers"] == ["10.0.0.53", "AmazonProvidedDNS"]
    assert "not first" in result.detail


def test_the_vpc_resolver_by_address_is_not_custom_dns() -> None:
    """Base + 2 of the VPC's CIDR and 169.254.169.253 are the Amazon resolver itself."""
    for server in ("10.0.0.2", "169.254.169.253"):
        snapshot = compliant(
            dhcp_name_servers=Read(value=(server,)),
            vpc=Read(value={"DhcpOptionsId": "dopt-1", "CidrBlock": "10.0.0.0/16"}),
        )
        assert found(snapshot) == [], server
    other = compliant(
        dhcp_name_servers=Read(value=("10.0.0.53", "10.0.0.2")),
        vpc=Read(value={"DhcpOptionsId": "dopt-1", "CidrBlock": "10.0.0.0/16"}),
    )
    assert "10.0.0.53" in finding(other, "VPC_CUSTOM_DNS").evidence["undetermined"]


def test_the_command_asks_the_custom_server_for_s3s_name_in_the_jobs_partition() -> None:
    # Undetermined: the read that answers is the server's own answer, not the DHCP options.
    custom = compliant(
        job=job(region="eusc-de-east-1"),
        dhcp_name_servers=Read(value=("10.0.0.53",)),
        vpc=Read(value={"DhcpOptionsId": "dopt-1"}),
    )
    result = finding(custom, "VPC_CUSTOM_DNS")
    assert result.remediation is not None
    assert (result.remediation.command or "").startswith(
        "dig +short s3.eusc-de-east-1.amazonaws.eu @10.0.0.53"
    )


def test_dns_support_off_hangs_on_a_custom_first_server_not_on_the_amazon_one() -> None:
    """enableDnsSupport=false turns off only the Amazon resolver (docs/aws-rules.md, "DNS")."""
    vpc = Read(value={"DhcpOptionsId": "dopt-1", "CidrBlock": "10.0.0.0/16"})
    custom = compliant(
        dns_support=Read(value=False), vpc=vpc, dhcp_name_servers=Read(value=("10.0.0.53",))
    )
    result = finding(custom, "VPC_DNS_DISABLED")
    assert result.severity is Severity.MEDIUM and "10.0.0.53" in result.evidence["undetermined"]
    for amazon in ("AmazonProvidedDNS", "10.0.0.2", "169.254.169.253"):
        off = compliant(
            dns_support=Read(value=False), vpc=vpc, dhcp_name_servers=Read(value=(amazon,))
        )
        certain = finding(off, "VPC_DNS_DISABLED")
        assert certain.severity is Severity.HIGH and "undetermined" not in certain.evidence


def test_dns_support_off_with_a_custom_server_after_amazons_is_undetermined() -> None:
    """The Amazon resolver is off and does not answer: the resolver moves on to the next
    listed server, which may resolve S3's names. Only an all-Amazon list is certain."""
    vpc = Read(value={"DhcpOptionsId": "dopt-1", "CidrBlock": "10.0.0.0/16"})
    later = compliant(
        dns_support=Read(value=False),
        vpc=vpc,
        dhcp_name_servers=Read(value=("AmazonProvidedDNS", "10.0.0.53")),
    )
    result = finding(later, "VPC_DNS_DISABLED")
    assert result.severity is Severity.MEDIUM and "10.0.0.53" in result.evidence["undetermined"]
