"""R6: the VPC's DNS resolves the standard S3 names."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ir_vpc_guard.arns import dns_suffix
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import AMAZON_PROVIDED_DNS

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import VpcTypeDef


@register(
    "VPC_DNS_DISABLED",
    title="DNS resolution is turned off in the job's VPC",
    severity=Severity.HIGH,
    requirement="R6",
    reads=("dns_support", "vpc", "dhcp_name_servers"),
    risk="The endpoints cannot resolve S3's names and the job fails.",
    fix="Turn on DNS resolution (enableDnsSupport) for the VPC.",
)
def vpc_dns_disabled(snapshot: Snapshot) -> Iterator[Problem]:
    if snapshot.dns_support.get():
        return
    turn_on = (
        f"aws ec2 modify-vpc-attribute --vpc-id {snapshot.vpc_id} "
        '--enable-dns-support "{\\"Value\\":true}"'
    )
    servers = snapshot.dhcp_name_servers.get()
    custom = [s for s in servers if s not in _amazon_resolvers(snapshot.vpc.get())]
    if custom:
        # enableDnsSupport turns off only the Amazon resolver: instances ask the DHCP
        # options' servers in order, and one that does not answer gives way to the next, so
        # a custom server anywhere in the list may resolve S3's names on its own.
        region = snapshot.job.region
        name = f"<bucket>.s3.{region}.{dns_suffix(region)}"
        yield Problem(
            detail=f"enableDnsSupport is false in {snapshot.vpc_id}, so the Amazon resolver is "
            f"off; instances may still ask {', '.join(custom)} (DHCP options), which resolve "
            "S3's names only if they do not forward to the Amazon resolver.",
            resources=(str(snapshot.vpc_id),),
            evidence={
                "enableDnsSupport": False,
                "domainNameServers": list(servers),
                "undetermined": f"whether {', '.join(custom)} resolve {name} without the "
                "Amazon resolver",
            },
            severity=Severity.MEDIUM,
            command=f"nslookup {name} {custom[0]}  "
            f"# from an instance in a job subnet; if it fails: {turn_on}",
        )
        return
    yield Problem(
        detail=f"enableDnsSupport is false in {snapshot.vpc_id}.",
        resources=(str(snapshot.vpc_id),),
        evidence={"enableDnsSupport": False},
        command=turn_on,
    )


# The Amazon resolver's link-local address (VPC User Guide, "Amazon DNS server").
AMAZON_DNS_LINK_LOCAL = "169.254.169.253"


def _amazon_resolvers(vpc: VpcTypeDef) -> set[str]:
    """The names of the Amazon resolver: AmazonProvidedDNS, its link-local address, and the
    VPC's primary CIDR base + 2 (VPC User Guide, "Amazon DNS server")."""
    found = {AMAZON_PROVIDED_DNS, AMAZON_DNS_LINK_LOCAL}
    try:
        network = ipaddress.ip_network(str(vpc.get("CidrBlock")), strict=False)
    except ValueError:
        return found
    return found | {str(network.network_address + 2)}


@register(
    "VPC_CUSTOM_DNS",
    title="The VPC uses custom DNS servers",
    severity=Severity.MEDIUM,
    requirement="R6",
    reads=("vpc", "dhcp_name_servers"),
    risk="Unless those servers forward to the Amazon resolver, S3 names may not resolve.",
    fix="Make sure the servers resolve <bucket>.s3.<region>.amazonaws.com (forward to the "
    "VPC resolver at the VPC CIDR base + 2), or use AmazonProvidedDNS.",
)
def vpc_custom_dns(snapshot: Snapshot) -> Iterator[Problem]:
    # Instances ask the listed servers in order, and the first one that answers decides: a
    # later AmazonProvidedDNS is no fallback when the first cannot resolve S3's names.
    servers = snapshot.dhcp_name_servers.get()
    if not servers or servers[0] not in _amazon_resolvers(snapshot.vpc.get()):
        options = snapshot.vpc.get().get("DhcpOptionsId")
        region = snapshot.job.region
        later = " (AmazonProvidedDNS is not first)" if AMAZON_PROVIDED_DNS in servers else ""
        yield Problem(
            detail=f"{options} gives DNS servers {', '.join(servers) or '(none)'}{later}.",
            resources=(str(options), str(snapshot.vpc_id)),
            evidence={
                "dhcpOptionsId": options,
                "domainNameServers": list(servers),
                "undetermined": f"whether {servers[0] if servers else 'any server'} resolves "
                "S3's regional names",
            },
            # The read that answers it: ask that server for S3's regional name, from inside.
            command=f"dig +short s3.{region}.{dns_suffix(region)} "
            f"@{servers[0] if servers else '<server>'}  # on an instance in a job subnet",
        )
