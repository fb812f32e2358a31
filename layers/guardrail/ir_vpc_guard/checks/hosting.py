"""R2 for hosted models: "You must create at least two subnets in different availability
zones in your private VPC, even if you have only one hosting instance" ("Give SageMaker AI
Hosted Endpoints Access to Resources in Your Amazon VPC"); and an endpoint whose variants'
models name different VPC configs, of which AWS does not say which one it uses.

Each workload says how sure a one-AZ config fails (`Workload.one_az_severity`): certain
for an endpoint, MEDIUM for a model (it may serve only batch transform jobs, for which AWS
states no such rule). The subnets' zones come from the DescribeSubnets read already made.
"""

from __future__ import annotations

from collections.abc import Iterator

from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.workloads import workload_of
from ir_vpc_guard.intake.workloads.endpoint import UNIT as ENDPOINT_WORKLOAD

# AWS's failure for this misconfiguration, as its Clarify page quotes it for the shadow
# endpoint SageMaker hosts in the job's subnets.
ENDPOINT = ENDPOINT_WORKLOAD.name
AWS_ERROR = (
    "Unable to locate at least 2 availability zone(s) with the requested instance type "
    "... that overlap with SageMaker subnets."
)
HOSTED_UNKNOWN = (
    "whether the model will be hosted on an endpoint (a model that serves only batch "
    "transform jobs needs no second Availability Zone)"
)


@register(
    "ENDPOINT_SUBNETS_ONE_AZ",
    title="The hosted model's subnets are all in one Availability Zone",
    severity=Severity.HIGH,
    requirement="R2",
    reads=("subnets",),
    risk=f"SageMaker cannot create the endpoint; AWS reports failures like '{AWS_ERROR}'",
    fix="Add a subnet of another Availability Zone of the same VPC to the model's VpcConfig "
    "(CreateModel makes a new model; then a new endpoint config and UpdateEndpoint).",
    concerns=lambda workload: workload.one_az_severity is not None,
)
def endpoint_subnets_one_az(snapshot: Snapshot) -> Iterator[Problem]:
    severity = workload_of(snapshot.job.workload).one_az_severity
    if severity is None:  # the rule is hosted endpoints': not this workload's requirement
        return
    job, subnets = snapshot.job, snapshot.subnets.get()
    if not job.subnets or set(job.subnets) - set(subnets):
        return  # a missing subnet's zone is unknown (SUBNET_NOT_FOUND says so)
    zones = sorted({str(s.get("AvailabilityZone") or "") for s in subnets.values()})
    if len(zones) > 1 or not zones[0]:  # two zones, or an answer without one: nothing certain
        return
    evidence: dict[str, object] = {
        "subnets": {sid: str(s.get("AvailabilityZone")) for sid, s in subnets.items()},
        "availabilityZones": zones,
    }
    detail = (
        f"The job subnets ({', '.join(job.subnets)}) are all in {zones[0]}; AWS requires "
        "subnets in at least two Availability Zones, even for one hosting instance."
    )
    if severity is not Severity.HIGH:
        evidence["undetermined"] = HOSTED_UNKNOWN
        detail += f" Not determined: {HOSTED_UNKNOWN}."
    yield Problem(
        detail=detail,
        resources=tuple(job.subnets),
        evidence=evidence,
        severity=severity,
        command="aws ec2 describe-subnets --filters Name=vpc-id,Values="
        f"{snapshot.vpc_id} --query 'Subnets[?AvailabilityZone!=`{zones[0]}`]"
        ".[SubnetId,AvailabilityZone,AvailableIpAddressCount]'  # add one of these",
    )


CHOICE_UNKNOWN = "which of the endpoint's VPC configs SageMaker places these instances in"


@register(
    "ENDPOINT_VPC_CONFIGS_DIFFER",
    title="The endpoint's models (or its config) name different VPC configs",
    severity=Severity.MEDIUM,
    requirement="R2",
    reads=(),
    risk="AWS does not document which VPC config an endpoint uses when its variants' models "
    "(or the endpoint config) differ: instances may land where nothing was checked.",
    fix="Give every model of the endpoint (and the endpoint config, if it sets one) the "
    "same VpcConfig.",
    # Only an endpoint names several models (and its config's own VpcConfig).
    concerns=lambda workload: workload.name == ENDPOINT,
)
def endpoint_vpc_configs_differ(snapshot: Snapshot) -> Iterator[Problem]:
    job = snapshot.job
    if not job.other_vpc_configs:
        return
    yield Problem(
        detail=f"Not determined: {CHOICE_UNKNOWN}. This report checks subnets "
        f"{', '.join(job.subnets)}; the endpoint also names: "
        + "; ".join(job.other_vpc_configs)
        + ". Each VPC config is checked in its own report.",
        resources=tuple(job.subnets),
        evidence={"others": list(job.other_vpc_configs), "undetermined": CHOICE_UNKNOWN},
        # Once the endpoint is in service, its network interfaces show where it runs.
        command="aws ec2 describe-network-interfaces --filters Name=subnet-id,Values="
        f"{','.join(job.subnets)} --query "
        "'NetworkInterfaces[].[NetworkInterfaceId,SubnetId,Description,RequesterId]'",
    )
