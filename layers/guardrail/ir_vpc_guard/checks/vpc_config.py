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
    by_resource = {
        **{sid: s.get("VpcId") for sid, s in snapshot.subnets.get().items()},
        **{gid: g.get("VpcId") for gid, g in snapshot.security_groups.get().items()},
    }
    stray = tuple(rid for rid, vpc in by_resource.items() if vpc != snapshot.vpc_id)
    if stray:
        yield Problem(
            detail=f"Not in {snapshot.vpc_id}: "
            + ", ".join(f"{rid} ({by_resource[rid]})" for rid in stray),
            resources=stray,
            evidence={"jobVpc": snapshot.vpc_id, "vpcByResource": by_resource},
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
