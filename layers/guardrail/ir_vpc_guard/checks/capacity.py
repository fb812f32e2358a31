"""R4: each job subnet has 2 free private IPs for every instance the job may run at once."""

from __future__ import annotations

from collections.abc import Iterator

from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.job import JobRequest
from ir_vpc_guard.snapshot import Snapshot

IPS_PER_INSTANCE = 2


def concurrent_instances(job: JobRequest, default_instances: int) -> tuple[int, str]:
    """An estimate of the instances the job runs at once, and how it was reached."""
    instance_configs = [c for c in job.endpoint_configurations if not c.serverless]
    if job.job_type == "Advanced" and job.endpoint_configurations:
        count = len(instance_configs)
        if job.max_parallel_of_tests is not None and job.max_parallel_of_tests < count:
            return job.max_parallel_of_tests, "MaxParallelOfTests (one instance per test)"
        return count, "one instance per non-serverless endpoint configuration"
    if job.max_parallel_of_tests is not None:
        return job.max_parallel_of_tests, "MaxParallelOfTests (one instance per test)"
    return default_instances, "the configured default for Default jobs (DEFAULT_JOB_INSTANCES)"


@register(
    "SUBNET_IP_CAPACITY",
    title="A job subnet has too few free IP addresses",
    severity=Severity.HIGH,
    requirement="R4",
    reads=("subnets",),
    risk="Endpoint creation fails with InsufficientFreeAddressesInSubnet mid-job.",
    fix="Add subnets with free addresses to the job, or free addresses in these subnets.",
)
def subnet_ip_capacity(snapshot: Snapshot) -> Iterator[Problem]:
    instances, basis = concurrent_instances(snapshot.job, snapshot.default_job_instances)
    needed = IPS_PER_INSTANCE * instances
    short = {
        sid: subnet.get("AvailableIpAddressCount", 0)
        for sid, subnet in snapshot.subnets.get().items()
        if subnet.get("AvailableIpAddressCount", 0) < needed
    }
    if short:
        yield Problem(
            detail=(
                f"Needs {needed} free IPs per subnet ({instances} instances x {IPS_PER_INSTANCE},"
                f" estimated from {basis}); "
                + ", ".join(f"{sid} has {free}" for sid, free in short.items())
                + "."
            ),
            resources=tuple(short),
            evidence={
                "freeIps": short,
                "needed": needed,
                "instances": instances,
                "estimate": basis,
            },
            command=(
                "aws ec2 describe-subnets --filters Name=vpc-id,Values="
                f"{snapshot.vpc_id} --query 'Subnets[?AvailableIpAddressCount>=`{needed}`]"
                ".[SubnetId,AvailabilityZone,AvailableIpAddressCount]'  # pick these instead"
            ),
        )
