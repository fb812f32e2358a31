"""R2 for the workloads AWS restricts to default tenancy: "For training jobs, you can
configure only subnets with a default tenancy VPC" (docs/workloads.md, "Tenancy"). The VPC's
InstanceTenancy comes with the VPC discovery already reads (DescribeVpcs)."""

from __future__ import annotations

from collections.abc import Iterator

from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.workload import Workload

DEFAULT = "default"


def restricted(workload: Workload) -> bool:
    """The workload accepts only subnets of a default-tenancy VPC."""
    return workload.default_tenancy_only


@register(
    "VPC_TENANCY_NOT_DEFAULT",
    title="The job's VPC does not have default instance tenancy",
    severity=Severity.HIGH,
    requirement="R2",
    reads=("vpc",),
    risk="SageMaker accepts only subnets of a default-tenancy VPC for this job: it fails.",
    fix="Use subnets of a VPC whose instance tenancy is default, or change this VPC's tenancy "
    "to default (dedicated instances already running keep theirs).",
    concerns=restricted,
)
def vpc_tenancy_not_default(snapshot: Snapshot) -> Iterator[Problem]:
    vpc = snapshot.vpc.get()
    tenancy = str(vpc.get("InstanceTenancy", DEFAULT))
    if tenancy == DEFAULT:
        return
    workload = snapshot.job.workload
    yield Problem(
        detail=f"{snapshot.vpc_id} has instance tenancy {tenancy}; AWS accepts only subnets of "
        f"a default-tenancy VPC for {workload} jobs.",
        resources=(str(snapshot.vpc_id),),
        evidence={"vpc": snapshot.vpc_id, "instanceTenancy": tenancy, "workload": workload},
        command=f"aws ec2 modify-vpc-tenancy --vpc-id {snapshot.vpc_id} --instance-tenancy default",
    )
