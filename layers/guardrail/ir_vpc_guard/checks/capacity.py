"""R4: each job subnet has 2 free private IPs for every instance the job may run at once.

An Advanced job runs one load test per endpoint configuration and per combination of that
configuration's environment parameter values; MaxParallelOfTests bounds how many run at
once (docs/architecture.md, "Capacity"). A Default job picks its own instances: without
MaxParallelOfTests the count is the configured assumption, so a shortfall is undetermined.

A workload whose request states its instances (training) is judged as docs/workloads.md
says: HIGH only when all job subnets together lack the certain need; MEDIUM when only a
possible need (EFA) or one subnet alone falls short, as placement is undocumented.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ir_vpc_guard.checks.network import subnet_label
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workloads import workload_of

IPS_PER_INSTANCE = 2
ASSUMED = "instances a Default job runs at once (DEFAULT_JOB_INSTANCES)"


@dataclass(frozen=True, eq=False, repr=False)
class Estimate:
    """How many instances the job runs at once, how that was reached, and whether the
    count is an assumption rather than something the request says."""

    instances: int
    basis: str
    assumed: bool = False


def concurrent_instances(job: JobRequest, default_instances: int) -> Estimate:
    """The instances the job runs at once (one per load test: AWS documents no other)."""
    instance_configs = [c for c in job.endpoint_configurations if not c.serverless]
    if job.job_type == "Advanced" and job.endpoint_configurations:
        tests = sum(c.tests for c in instance_configs)
        basis = "one instance per load test: non-serverless endpoint configurations x "
        basis += "their environment parameter combinations"
        if job.max_parallel_of_tests is not None and job.max_parallel_of_tests < tests:
            return Estimate(job.max_parallel_of_tests, "MaxParallelOfTests (one instance per test)")
        return Estimate(tests, f"{tests} load tests ({basis})")
    if job.max_parallel_of_tests is not None:
        return Estimate(job.max_parallel_of_tests, "MaxParallelOfTests (one instance per test)")
    return Estimate(default_instances, f"the assumed {ASSUMED}", assumed=True)


@register(
    "SUBNET_IP_CAPACITY",
    title="A job subnet has too few free IP addresses",
    severity=Severity.HIGH,
    requirement="R4",
    reads=("subnets",),
    risk="Endpoint creation fails with InsufficientFreeAddressesInSubnet mid-job.",
    fix="Add subnets with free addresses to the job, or free addresses in these subnets.",
    blocks_job=True,
)
def subnet_ip_capacity(snapshot: Snapshot) -> Iterator[Problem]:
    if snapshot.job.instance_count is not None:
        yield from _stated_capacity(snapshot, snapshot.job.instance_count)
        return
    estimate = concurrent_instances(snapshot.job, snapshot.default_job_instances)
    needed = IPS_PER_INSTANCE * estimate.instances
    subnets = snapshot.subnets.get()
    # An IPv6-only subnet has no IPv4 addresses to run out of (its count is of IPv4).
    ipv6_only = {sid: subnet_label(s) for sid, s in subnets.items() if not s.get("CidrBlock")}
    short = {
        sid: subnet.get("AvailableIpAddressCount", 0)
        for sid, subnet in subnets.items()
        if sid not in ipv6_only and subnet.get("AvailableIpAddressCount", 0) < needed
    }
    if not short:
        return
    evidence: dict[str, object] = {
        "freeIps": short,
        "needed": needed,
        "instances": estimate.instances,
        "estimate": estimate.basis,
    }
    if ipv6_only:
        evidence["notCounted"] = ipv6_only
    command = (
        "aws ec2 describe-subnets --filters Name=vpc-id,Values="
        f"{snapshot.vpc_id} --query 'Subnets[?AvailableIpAddressCount>=`{needed}`]"
        ".[SubnetId,AvailabilityZone,AvailableIpAddressCount]'  # pick these instead"
    )
    detail = (
        f"Needs {needed} free IPs per subnet ({estimate.instances} instances x "
        f"{IPS_PER_INSTANCE}, estimated from {estimate.basis}); "
        + ", ".join(f"{sid} has {free}" for sid, free in short.items())
        + "."
    )
    if estimate.assumed:
        evidence["undetermined"] = ASSUMED
        yield Problem(
            detail=detail + " The job names no MaxParallelOfTests, so the count is assumed: set "
            "InputConfig.ResourceLimit.MaxParallelOfTests on the job (or DEFAULT_JOB_INSTANCES "
            "to what your Default jobs run) for a certain answer.",
            resources=tuple(short),
            evidence=evidence,
            severity=Severity.MEDIUM,
            # The reads that answer it: the load tests the job runs at once, and the free IPs.
            command="aws sagemaker list-inference-recommendations-job-steps --job-name "
            f"{snapshot.job.job_name} --step-type BENCHMARK --status IN_PROGRESS "
            "--query 'length(Steps)' && aws ec2 describe-subnets --subnet-ids "
            f"{' '.join(short)} --query 'Subnets[].[SubnetId,AvailableIpAddressCount]'",
        )
        return
    yield Problem(detail=detail, resources=tuple(short), evidence=evidence, command=command)


EFA_UNKNOWN = "whether the job uses an Elastic Fabric Adapter (5 IPs per instance instead of 2)"
PLACEMENT_UNKNOWN = "how SageMaker places the instances across the job subnets"


def _stated_capacity(snapshot: Snapshot, instances: int) -> Iterator[Problem]:
    """The free IPs of the job subnets against a count the request states (docs/workloads.md)."""
    job = snapshot.job
    if instances == 0:  # nothing placed here (e.g. an endpoint config's overridden VpcConfig)
        return
    needed, possible = workload_of(job.workload).ips_for(instances, job.instance_groups)
    certain = needed // instances
    subnets = snapshot.subnets.get()
    ipv6_only = {sid: subnet_label(s) for sid, s in subnets.items() if not s.get("CidrBlock")}
    free = {
        sid: subnet.get("AvailableIpAddressCount", 0)
        for sid, subnet in subnets.items()
        if sid not in ipv6_only
    }
    if not free:  # IPv6-only subnets: no IPv4 addresses to run out of
        return
    total = sum(free.values())
    short = {sid: count for sid, count in free.items() if count < possible}
    if total >= possible and not short:
        return
    evidence: dict[str, object] = {
        "freeIps": free,
        "needed": needed,
        "instances": instances,
        "ipsPerInstance": certain,
        "estimate": job.instance_basis,
    }
    if ipv6_only:
        evidence["notCounted"] = ipv6_only
    command = (
        "aws ec2 describe-subnets --filters Name=vpc-id,Values="
        f"{snapshot.vpc_id} --query 'Subnets[?AvailableIpAddressCount>=`{possible}`]"
        ".[SubnetId,AvailabilityZone,AvailableIpAddressCount]'  # add these to the job"
    )
    counts = ", ".join(f"{sid} has {count}" for sid, count in free.items())
    # A count that is only the most that may run (JobRequest.certain_instances): HIGH below
    # the fewest that certainly run, MEDIUM below the most.
    sure = instances if job.certain_instances is None else job.certain_instances
    if total < certain * sure:
        yield Problem(
            detail=f"Needs {certain * sure} free IPs in the job subnets ({sure} instances x "
            f"{certain}, {job.instance_basis}); together they have {total} ({counts}).",
            resources=tuple(free),
            evidence={**evidence, "needed": certain * sure, "instances": sure},
            command=command,
        )
        return
    if total < needed:
        unknown = f"how many of the {instances} instances run at once ({sure} certainly)"
    else:
        unknown = EFA_UNKNOWN if total < possible else PLACEMENT_UNKNOWN
    evidence["undetermined"] = unknown
    if possible != needed:
        evidence["neededWithEfa"] = possible
    yield Problem(
        detail=f"Not determined: {unknown}. The job subnets have {total} free IPs together "
        f"({counts}); {instances} instances need {needed}"
        + (f", or {possible} with an Elastic Fabric Adapter" if possible != needed else "")
        + ".",
        resources=tuple(short or free),
        evidence=evidence,
        severity=Severity.MEDIUM,
        command=command,
    )
