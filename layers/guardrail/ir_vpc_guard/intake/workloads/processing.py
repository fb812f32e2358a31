"""CreateProcessingJob (docs/workloads.md): the VPC config at NetworkConfig.VpcConfig, the role
at RoleArn, ProcessingResources.ClusterConfig's instances at once, 2 IPs each ("Give SageMaker
AI Processing Jobs Access to Resources in Your Amazon VPC")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ir_vpc_guard.intake.fields import at, member, positive_int, s3_uri_at
from ir_vpc_guard.intake.request import TextLimit
from ir_vpc_guard.intake.workload import THROUGH_VPC, PeerProfile, Workload
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS

# ProcessingJobName, ProcessingJobArn, ProcessingInstanceCount and InstancePreferences (max 5)
# of botocore's SageMaker model (tests/intake/test_workloads.py asserts they are equal).
# Copied, not loaded (cold start).
JOB_NAME = TextLimit(
    "ProcessingJobName", re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII), 1, 63
)
JOB_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:processing-job/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
)
MIN_INSTANCES, MAX_INSTANCES = 1, 100
MAX_INSTANCE_PREFERENCES = 5
MAX_INPUTS = 10  # ProcessingInputs
MAX_OUTPUTS = 10  # ProcessingOutputConfig.Outputs
CLUSTER = ("processingResources", "clusterConfig")
# The members of CreateProcessingJob that DescribeProcessingJob answers (botocore's model; the
# test recomputes them): what the stop's restartCommand copies into a new job.
RESTART_MEMBERS = (
    "ProcessingInputs",
    "ProcessingOutputConfig",
    "ProcessingJobName",
    "ProcessingResources",
    "StoppingCondition",
    "AppSpecification",
    "Environment",
    "NetworkConfig",
    "RoleArn",
    "ExperimentConfig",
)

# "How to use SageMaker AI execution roles", CreateProcessingJob's execution role permissions.
UNSCOPED_RULE = (
    "Don't scope in the policy with any conditions or resource filters. Otherwise, the "
    "validation checks that occur during the creation of the processing job fail"
)

R3_INVERTS = (
    "a processing job reads and writes S3 through its own VPC, where a bucket policy "
    "restricted to that VPC or its endpoint is what AWS recommends: Inference Recommender's "
    "R3 does not apply; BUCKET_POLICY_DENIES_JOB_PATH judges the job's own buckets against "
    "the way its subnets reach S3 (docs/workloads.md)"
)
IMAGE_NOT_READ = (
    "a processing job's image is pulled as training's; a repository policy restricted to a "
    "VPC is undetermined there (MEDIUM, docs/workloads.md), and the processing job's image "
    "repository policy is not read yet (docs/workloads.md)"
)

PEERS_ONLY = (
    "traffic between the job subnets is documented for Inference Recommender; a processing "
    "job needs it only between the instances of a distributed job, which SG_PEER_TRAFFIC_BLOCKED "
    "judges (its groups admitting their own members; docs/workloads.md)"
)


def _count(value: object, label: str, problems: list[str]) -> int | None:
    """A ProcessingInstanceCount within the API's 1-100, or None (said in `problems` when
    present but invalid)."""
    count = positive_int(value)
    if count is not None and count <= MAX_INSTANCES:
        return count
    if value is not None:
        problems.append(f"{label} must be {MIN_INSTANCES} to {MAX_INSTANCES}")
    return None


def read(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The instances and the S3 locations of the request."""
    return {**_instances(params, problems), **_s3_locations(params, problems)}


def _s3_locations(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The S3 URIs the job reads (its S3 inputs) and writes (its S3 outputs) through its
    VPC. Athena, Redshift and Feature Store inputs and outputs name no S3 URI of the job."""
    inputs = member(params, "processingInputs")
    reads = [
        uri
        for index, item in enumerate(inputs[:MAX_INPUTS] if isinstance(inputs, list) else [])
        for uri in s3_uri_at(item, ("s3Input", "s3Uri"), f"processingInputs[{index}]", problems)
    ]
    outputs = at(params, ("processingOutputConfig", "outputs"))
    writes = [
        uri
        for index, item in enumerate(outputs[:MAX_OUTPUTS] if isinstance(outputs, list) else [])
        for uri in s3_uri_at(
            item, ("s3Output", "s3Uri"), f"processingOutputConfig.outputs[{index}]", problems
        )
    ]
    return {"s3_reads": tuple(dict.fromkeys(reads)), "s3_writes": tuple(dict.fromkeys(writes))}


def _instances(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """ClusterConfig: InstanceCount (1-100; the API's default is 1), or, when the request
    lists InstancePreferences instead, the fewest instances any preference runs (SageMaker
    picks one: fewer than that is certain, more is not)."""
    cluster = at(params, CLUSTER)
    label = "processingResources.clusterConfig.instanceCount"
    count = _count(member(cluster, "instanceCount"), label, problems)
    if count is not None:
        basis = "ProcessingResources.ClusterConfig.InstanceCount"
        return {"instance_count": count, "instance_groups": (), "instance_basis": basis}
    listed = member(cluster, "instancePreferences")
    preferences = listed[:MAX_INSTANCE_PREFERENCES] if isinstance(listed, list) else []
    counts = [
        n
        for p in preferences
        if (n := _count(member(p, "instanceCount"), f"{label} of a preference", problems))
    ]
    if counts:
        basis = (
            "the fewest of ProcessingResources.ClusterConfig.InstancePreferences[].InstanceCount"
            " (SageMaker runs one preference)"
        )
        return {"instance_count": min(counts), "instance_groups": (), "instance_basis": basis}
    basis = "1, the API's default (the request states no valid ClusterConfig.InstanceCount)"
    return {"instance_count": MIN_INSTANCES, "instance_groups": (), "instance_basis": basis}


UNIT = Workload(
    name="processing",
    event_names=("CreateProcessingJob",),
    job_name_path=("processingJobName",),
    job_name=JOB_NAME,
    job_arn_path=("processingJobArn",),
    job_arn=JOB_ARN,
    vpc_config_path=("networkConfig", "vpcConfig"),
    role_path=("roleArn",),
    read=read,
    ips_per_instance=2,
    role_actions=JOB_ROLE_ACTIONS,
    not_evaluated={
        "MODEL_NOT_IN_REGISTRY": "R1 is Inference Recommender's: a processing job names no "
        "registered model (docs/workloads.md)",
        "MODEL_ARTIFACT_VPC_RESTRICTED": R3_INVERTS,
        "SAMPLE_PAYLOAD_VPC_RESTRICTED": R3_INVERTS,
        "IMAGE_VPC_RESTRICTED": IMAGE_NOT_READ,
        "SG_EGRESS_SUBNETS_MISSING": PEERS_ONLY,
        "NACL_BLOCKS_SUBNETS": PEERS_ONLY,
        "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED": "ec2:ModifyNetworkInterfaceAttribute is not among "
        "the actions AWS lists for processing roles (docs/workloads.md)",
    },
    describe_api="DescribeProcessingJob",
    list_api="ListProcessingJobs",
    stop_api="StopProcessingJob",
    unscoped_role_rule=UNSCOPED_RULE,
    list_summaries="ProcessingJobSummaries",
    active_statuses=("InProgress",),
    status_member="ProcessingJobStatus",
    arn_resource="processing-job",
    restart_members=RESTART_MEMBERS,
    restart_drops_nulls=True,
    instance_count_path=(*CLUSTER, "instanceCount"),
    instance_type_path=(*CLUSTER, "instanceType"),
    # "The group must allow inbound from members of the same security group" (AWS's
    # processing page; no ports, no outbound rule, no encryption rule stated).
    peers=PeerProfile(
        source="Give SageMaker AI Processing Jobs Access to Resources in Your Amazon VPC"
    ),
    data_path=THROUGH_VPC,
)
