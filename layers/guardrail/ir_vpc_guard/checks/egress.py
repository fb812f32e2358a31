"""R7: the union of the job's security groups allows egress to S3 and to the job subnets.

The egress model (union of allow-only rules; CIDRs, prefix lists, group references) is
checks/network.py's, shared with remediation. A list whose entries could not be read may or
may not allow the traffic: when the verdict hangs on it, the finding is undetermined
(MEDIUM), never a silent pass or a false HIGH.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.checks.network import (
    allows_https_to_a_group,
    allows_s3,
    ipv6_cidrs,
    job_groups,
    judge,
    subnet_gaps,
    subnet_label,
    tcp_egress,
)
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.s3path import private_dns_interfaces
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Severity

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import (
        SecurityGroupTypeDef,
        SubnetTypeDef,
        VpcEndpointTypeDef,
    )


def _undetermined(snapshot: Snapshot, unknown: Iterable[str]) -> dict[str, Any]:
    """Evidence and a confirming command for lists whose entries could not be read."""
    lists = snapshot.referenced_prefix_lists.get()
    reasons = []
    for pl in unknown:
        error = lists[pl].error
        reasons.append(f"{pl} ({error.api}: {error.code})" if error else pl)
    return {
        "undetermined": "entries of prefix list " + ", ".join(reasons),
        "command": "; ".join(
            f"aws ec2 get-managed-prefix-list-entries --prefix-list-id {pl}" for pl in unknown
        ),
    }


@register(
    "SG_EGRESS_S3_MISSING",
    title="The job's security groups do not allow HTTPS to S3",
    severity=Severity.HIGH,
    requirement="R7",
    reads=("security_groups", "s3_prefix_list", "referenced_prefix_lists"),
    consults=("s3_endpoints", "dns_support", "vpc"),
    risk="The endpoints cannot download the model or payload from S3 and the job fails.",
    fix="Add an egress rule TCP 443 to the S3 prefix list on one of the job's groups.",
    remediation_action=ActionName.ADD_S3_EGRESS_RULE,
    blocks_job=True,
)
def sg_egress_s3_missing(snapshot: Snapshot) -> Iterator[Problem]:
    groups = job_groups(snapshot)
    if not groups:
        return  # SECURITY_GROUP_NOT_FOUND says it
    prefix_list = snapshot.s3_prefix_list.get()
    group_ids = tuple(g["GroupId"] for g in groups)
    evidence: dict[str, Any] = {
        "prefixListId": prefix_list.prefix_list_id,
        "s3Cidrs": list(prefix_list.cidrs),
    }
    endpoints = snapshot.s3_endpoints.value if snapshot.s3_endpoints.ok else None
    interfaces = private_dns_interfaces(endpoints or [], snapshot.dns_support.value)
    if interfaces:
        # S3's names resolve to the interface endpoint's own addresses: egress to the S3
        # prefix list is beside the point, egress to those addresses decides.
        if not _reaches_interfaces(snapshot, groups, interfaces):
            yield _through_interface(group_ids, interfaces, evidence)
        return
    allowed, unknown = judge(
        tcp_egress(groups),
        snapshot.referenced_prefix_lists.get(),
        lambda egress: allows_s3(egress, prefix_list.prefix_list_id, prefix_list.cidrs),
    )
    if allowed:
        return
    if endpoints is None:
        yield _endpoints_unread(snapshot, group_ids, evidence)
        return
    if unknown:
        confirm = _undetermined(snapshot, unknown)
        yield Problem(
            detail=(
                f"No readable rule of {', '.join(group_ids)} allows TCP 443 to "
                f"{prefix_list.prefix_list_id} (S3); a rule to {', '.join(unknown)} might, "
                "but its entries could not be read."
            ),
            resources=(*group_ids, *unknown),
            evidence={**evidence, "undetermined": confirm["undetermined"]},
            severity=Severity.MEDIUM,
            command=confirm["command"],
        )
        return
    yield Problem(
        detail=(
            f"No rule of {', '.join(group_ids)} allows TCP 443 to "
            f"{prefix_list.prefix_list_id} (S3) or to CIDRs covering it."
        ),
        resources=group_ids,
        evidence=evidence,
        command=(
            f"aws ec2 authorize-security-group-egress --group-id {group_ids[0]} --ip-permissions "
            f"'IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{{PrefixListId="
            f'{prefix_list.prefix_list_id},Description="S3 for SageMaker IR jobs"}}]\''
        ),
    )


def _reaches_interfaces(
    snapshot: Snapshot, groups: list[SecurityGroupTypeDef], interfaces: list[VpcEndpointTypeDef]
) -> bool:
    """The groups allow TCP 443 to every CIDR of the VPC (where the endpoint's interfaces
    are), or to one of the endpoint's own security groups."""
    endpoint_groups = {str(g.get("GroupId")) for e in interfaces for g in e.get("Groups", [])}
    vpc = snapshot.vpc.value if snapshot.vpc.ok else None
    cidrs = [
        str(a["CidrBlock"])
        for a in (vpc or {}).get("CidrBlockAssociationSet", [])
        if str(a.get("CidrBlockState", {}).get("State", "associated")) == "associated"
    ] or ([str(vpc["CidrBlock"])] if vpc and vpc.get("CidrBlock") else [])
    allowed, _ = judge(
        tcp_egress(groups),
        snapshot.referenced_prefix_lists.get(),
        lambda egress: (
            allows_https_to_a_group(egress, endpoint_groups)
            or (bool(cidrs) and allows_s3(egress, "", cidrs))
        ),
    )
    return allowed


def _endpoints_unread(
    snapshot: Snapshot, group_ids: tuple[str, ...], evidence: dict[str, Any]
) -> Problem:
    """The VPC's endpoints could not be read (a shared VPC without the owner's read role, or
    a refused read): an S3 interface endpoint with private DNS would take the job's S3
    traffic to its own interfaces instead, so the missing prefix-list rule is not certain."""
    return Problem(
        detail=f"No rule of {', '.join(group_ids)} allows TCP 443 to "
        f"{evidence['prefixListId']} (S3); whether the VPC has an S3 interface endpoint, "
        "which would make that rule unnecessary, could not be read.",
        resources=group_ids,
        evidence={
            **evidence,
            "undetermined": f"whether {snapshot.vpc_id} has an S3 interface endpoint with "
            "private DNS (its endpoints could not be read)",
        },
        severity=Severity.MEDIUM,
        command=f"aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values={snapshot.vpc_id} "
        "Name=vpc-endpoint-type,Values=Interface --query "
        "'VpcEndpoints[].{Id:VpcEndpointId,Service:ServiceName,Dns:PrivateDnsEnabled}'"
        "  # as the VPC's owner account in a shared VPC",
    )


def _through_interface(
    group_ids: tuple[str, ...], interfaces: list[VpcEndpointTypeDef], evidence: dict[str, Any]
) -> Problem:
    """S3's names resolve to an interface endpoint in the VPC (private DNS): the job reaches
    S3 at that endpoint's network interfaces, not at the S3 prefix list's ranges, so the
    groups' egress to those interfaces decides, and their addresses were not read."""
    ids = [str(e["VpcEndpointId"]) for e in interfaces]
    enis = sorted({str(n) for e in interfaces for n in e.get("NetworkInterfaceIds", [])})
    return Problem(
        detail=f"No rule of {', '.join(group_ids)} allows TCP 443 to the S3 prefix list, but "
        f"S3's names resolve to interface endpoint {', '.join(ids)} in the VPC: what matters "
        "is egress to its network interfaces.",
        resources=(*group_ids, *ids),
        evidence={
            **evidence,
            "interfaceEndpoints": ids,
            "networkInterfaces": enis,
            "undetermined": f"whether {', '.join(group_ids)} allow TCP 443 to the addresses "
            f"of {', '.join(enis) or 'the interface endpoint'}",
        },
        severity=Severity.MEDIUM,
        command="aws ec2 describe-network-interfaces --network-interface-ids "
        f"{' '.join(enis) or '<the endpoint ENIs>'} --query "
        "'NetworkInterfaces[].PrivateIpAddress'  # then compare with the groups' egress rules",
    )


def _rule(group: str, subnet: SubnetTypeDef) -> str:
    """The egress rule that opens all TCP to a subnet, by address family."""
    if subnet.get("CidrBlock"):
        ranges = f"IpRanges=[{{CidrIp={subnet['CidrBlock']}}}]"
    else:
        ranges = "Ipv6Ranges=[" + ",".join(f"{{CidrIpv6={c}}}" for c in ipv6_cidrs(subnet)) + "]"
    return (
        f"aws ec2 authorize-security-group-egress --group-id {group} "
        f"--ip-permissions 'IpProtocol=tcp,FromPort=0,ToPort=65535,{ranges}'"
    )


@register(
    "SG_EGRESS_SUBNETS_MISSING",
    title="The job's security groups do not allow traffic to the job subnets",
    severity=Severity.HIGH,
    requirement="R7",
    reads=("security_groups", "subnets", "referenced_prefix_lists"),
    risk="Instances of the job cannot reach each other across its subnets.",
    fix="Add egress (all TCP) to each job subnet's CIDR, or to one of the job's groups.",
    remediation_action=ActionName.ADD_SUBNET_EGRESS_RULES,
)
def sg_egress_subnets_missing(snapshot: Snapshot) -> Iterator[Problem]:
    groups = job_groups(snapshot)
    if not groups:
        return
    group_ids = [g["GroupId"] for g in groups]
    gaps = subnet_gaps(snapshot)
    subnets = snapshot.subnets.get()
    if gaps.unreached:
        missing = {sid: subnet_label(s) for sid, s in gaps.unreached.items()}
        yield Problem(
            detail="No rule of the job's groups allows any traffic to "
            + ", ".join(f"{label} ({sid})" for sid, label in missing.items())
            + ".",
            resources=(*group_ids, *missing),
            evidence={"missingCidrs": missing, "groups": group_ids},
            command="; ".join(_rule(group_ids[0], s) for s in gaps.unreached.values()),
        )
    if gaps.partly:
        labels = {sid: subnet_label(subnets[sid]) for sid in gaps.partly}
        rules = tuple(dict.fromkeys(r for found in gaps.partly.values() for r in found))
        yield Problem(
            detail="The job's groups allow only some traffic to "
            + ", ".join(f"{label} ({sid})" for sid, label in labels.items())
            + f" ({'; '.join(rules)}), not every TCP port; AWS names no ports for traffic "
            "between the job's subnets, so whether that is enough is not known.",
            resources=(*group_ids, *gaps.partly),
            evidence={
                "partlyAllowedCidrs": labels,
                "rules": list(rules),
                "groups": group_ids,
                "undetermined": "the ports the job's instances use between its subnets",
            },
            severity=Severity.MEDIUM,
            command="; ".join(_rule(group_ids[0], subnets[sid]) for sid in gaps.partly)
            + "  # to open every TCP port, as AWS's wording allows",
        )
    if gaps.undetermined:
        unknown = tuple(dict.fromkeys(pl for lists in gaps.undetermined.values() for pl in lists))
        confirm = _undetermined(snapshot, unknown)
        labels = {sid: subnet_label(subnets[sid]) for sid in gaps.undetermined}
        yield Problem(
            detail="No readable rule of the job's groups allows all TCP to "
            + ", ".join(f"{label} ({sid})" for sid, label in labels.items())
            + f"; a rule to {', '.join(unknown)} might, but its entries could not be read.",
            resources=(*group_ids, *gaps.undetermined, *unknown),
            evidence={
                "undeterminedCidrs": labels,
                "groups": group_ids,
                "undetermined": confirm["undetermined"],
            },
            severity=Severity.MEDIUM,
            command=confirm["command"],
        )
