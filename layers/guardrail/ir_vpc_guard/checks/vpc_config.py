"""R2: the VPC config is valid, its subnets and groups exist, and they share one VPC."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity


@register(
    "VPC_CONFIG_INVALID",
    title="The job's VPC config breaks the API's limits",
    severity=Severity.HIGH,
    requirement="R2",
    reads=(),
    risk="SageMaker refuses the job; none of its IDs was sent to AWS.",
    fix="Give 1-16 subnet IDs and 1-5 security group IDs, each [-0-9a-zA-Z]+ and ≤ 32 characters.",
    blocks_job=True,
)
def vpc_config_invalid(snapshot: Snapshot) -> Iterator[Problem]:
    problems = snapshot.job.vpc_config_problems
    if problems:
        yield Problem(detail="; ".join(problems), evidence={"problems": list(problems)})


@register(
    "SUBNET_NOT_FOUND",
    title="A job subnet does not exist in this account and region",
    severity=Severity.HIGH,
    requirement="R2",
    reads=("subnets",),
    risk="The job cannot place its endpoints' network interfaces and fails.",
    fix="Use subnet IDs from this account and region (aws ec2 describe-subnets).",
    blocks_job=True,
)
def subnet_not_found(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _not_found(
        snapshot, snapshot.job.subnets, snapshot.subnets.get(), "describe-subnets"
    )


@register(
    "SECURITY_GROUP_NOT_FOUND",
    title="A job security group does not exist in this account and region",
    severity=Severity.HIGH,
    requirement="R2",
    reads=("security_groups",),
    risk="The job cannot attach its network interfaces to the group and fails.",
    fix="Use security group IDs from this account and region, in the job subnets' VPC.",
    blocks_job=True,
)
def security_group_not_found(snapshot: Snapshot) -> Iterator[Problem]:
    yield from _not_found(
        snapshot,
        snapshot.job.security_groups,
        snapshot.security_groups.get(),
        "describe-security-groups",
    )


@register(
    "VPC_MISMATCH",
    title="The job's subnets and security groups are not all in one VPC",
    severity=Severity.HIGH,
    requirement="R2",
    reads=("subnets", "security_groups"),
    risk="Network interfaces cannot use a security group of another VPC: the job fails.",
    fix="Choose subnets and security groups of the same VPC.",
    blocks_job=True,
)
def vpc_mismatch(snapshot: Snapshot) -> Iterator[Problem]:
    """HIGH for what is certainly elsewhere; MEDIUM for a group of another VPC that is (or
    may be) associated with the job's VPC (AssociateSecurityGroupVpc): interfaces there may
    use it, and whether SageMaker accepts such a group is undocumented."""
    by_resource = {
        **{sid: s.get("VpcId") for sid, s in snapshot.subnets.get().items()},
        **{gid: g.get("VpcId") for gid, g in snapshot.security_groups.get().items()},
    }
    evidence: dict[str, object] = {"jobVpc": snapshot.vpc_id, "vpcByResource": by_resource}
    stray = [rid for rid, vpc in by_resource.items() if vpc != snapshot.vpc_id]
    doubts = _association_doubts(snapshot, stray)
    certain = tuple(rid for rid in stray if rid not in doubts)
    if certain:
        yield Problem(
            detail=f"Not in {snapshot.vpc_id}: "
            + ", ".join(f"{rid} ({by_resource[rid]})" for rid in certain),
            resources=certain,
            evidence=evidence,
        )
    for why, groups in _grouped(doubts).items():
        yield Problem(
            detail=f"{', '.join(f'{g} ({by_resource[g]})' for g in groups)}: {why}.",
            resources=groups,
            evidence={**evidence, "associations": _states(snapshot), "undetermined": why},
            severity=Severity.MEDIUM,
            command=_describe_associations(snapshot, groups),
        )


# An association in these states no longer lets the VPC's interfaces use the group.
NOT_ASSOCIATED = frozenset({"association-failed", "disassociated"})


def _association_doubts(snapshot: Snapshot, stray: Sequence[str]) -> dict[str, str]:
    """The stray groups that may be usable in the job's VPC, each with why it is not
    certain either way."""
    associations = snapshot.group_vpc_associations
    groups = snapshot.security_groups.get()
    doubts: dict[str, str] = {}
    for gid in (rid for rid in stray if rid in groups):
        state = _states(snapshot).get(gid)
        owner = groups[gid].get("OwnerId")
        if not associations.ok:
            code = associations.error.code if associations.error else "not read"
            doubts[gid] = (
                f"whether it is associated with {snapshot.vpc_id} is unknown: "
                f"DescribeSecurityGroupVpcAssociations failed ({code})"
            )
        elif state and state not in NOT_ASSOCIATED:
            doubts[gid] = (
                f"associated with {snapshot.vpc_id} ({state}), so interfaces there may use it;"
                " whether SageMaker accepts an associated group is undocumented: a group of "
                f"{snapshot.vpc_id} itself removes the doubt"
            )
        elif not state and owner and owner != snapshot.reader:
            doubts[gid] = (
                f"it belongs to account {owner}: an association its owner made with "
                f"{snapshot.vpc_id} may not be visible to account {snapshot.reader}"
            )
    return doubts


def _states(snapshot: Snapshot) -> dict[str, str]:
    read = snapshot.group_vpc_associations
    return read.get() if read.ok and read.value is not None else {}


def _grouped(doubts: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The doubtful groups by reason, in order: one finding per reason."""
    by_reason: dict[str, tuple[str, ...]] = {}
    for gid, why in doubts.items():
        by_reason[why] = (*by_reason.get(why, ()), gid)
    return by_reason


def _describe_associations(snapshot: Snapshot, groups: Sequence[str]) -> str:
    """The read that says whether the groups are associated with the job's VPC."""
    return (
        f"aws ec2 describe-security-group-vpc-associations --region {snapshot.job.region} "
        f"--filters Name=group-id,Values={','.join(groups)} Name=vpc-id,Values={snapshot.vpc_id}"
    )


def _not_found(
    snapshot: Snapshot, requested: Sequence[str], found: Mapping[str, object], describe: str
) -> Iterator[Problem]:
    """The IDs the job names that the account's describe call did not return."""
    missing = tuple(i for i in requested if i not in found)
    if missing:
        region = snapshot.job.region
        yield Problem(
            detail=f"Not found in {region}: {', '.join(missing)}.",
            resources=missing,
            evidence={"requested": list(requested), "found": sorted(found)},
            command=f"aws ec2 {describe} --region {region}",
        )
