"""CreateTransformJob (docs/workloads.md): the request names a model, whose VpcConfig and
role the job runs with ("Give Batch Transform Jobs Access to Resources in Your Amazon VPC"):
`expand` reads DescribeModel. TransformResources.InstanceCount instances (1-100) at once,
2 IPs each."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ir_vpc_guard.intake.fields import matching, member, positive_int, s3_uri_at, text
from ir_vpc_guard.intake.request import MODEL_NAME, TextLimit
from ir_vpc_guard.intake.workload import THROUGH_VPC, PeerProfile, SageMakerReader, Workload
from ir_vpc_guard.intake.workloads.model import (
    DESCRIBE_MODEL,
    HOSTING_NOT_EVALUATED,
    describe_model,
    model_data,
)
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS

# TransformJobName, TransformJobArn and TransformInstanceCount of botocore's SageMaker model
# (tests/intake/test_hosting.py asserts they are equal); the maximum is the API reference's.
JOB_NAME = TextLimit(
    "TransformJobName", re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII), 1, 63
)
JOB_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:transform-job/.*")
MAX_INSTANCES = 100

# CreateTransformJob's members a DescribeTransformJob answer gives back (the stop's
# restartCommand re-creates the job with them).
RESTART_MEMBERS = (
    "TransformJobName",
    "ModelName",
    "MaxConcurrentTransforms",
    "ModelClientConfig",
    "MaxPayloadInMB",
    "BatchStrategy",
    "Environment",
    "TransformInput",
    "TransformOutput",
    "DataCaptureConfig",
    "TransformResources",
    "DataProcessing",
    "ExperimentConfig",
)
PEERS_ONLY = (
    "traffic between the job subnets is documented for Inference Recommender; a transform "
    "job needs it between its own instances (all ports, in and out), which the peer check "
    "judges (docs/workloads.md)"
)


def expand(params: Mapping[str, Any], sagemaker: SageMakerReader) -> Sequence[Mapping[str, Any]]:
    """The request with its model's VpcConfig and ExecutionRoleArn (none: not in a VPC), and
    its containers (where their model data is)."""
    name = matching(member(params, "modelName"), MODEL_NAME)
    if name is None:
        return [params]  # intake reports the job without a VPC config: skipped
    model = describe_model(sagemaker, name)
    # An empty VpcConfig is none (moto answers one for a model created without).
    vpc_config = model.get("VpcConfig") or None
    return [
        {
            **params,
            "vpcConfig": vpc_config,
            "roleArn": model.get("ExecutionRoleArn"),
            "primaryContainer": model.get("PrimaryContainer"),
            "containers": model.get("Containers"),
        }
    ]


def read(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The instances and the S3 locations of the job."""
    return {**_instances(params, problems), **_s3_locations(params, problems)}


def _s3_locations(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The S3 URIs the job reads (its input, its model's data) and writes (its output)
    through its VPC: "data and model artifacts" (AWS's batch transform page)."""
    source = ("transformInput", "dataSource", "s3DataSource", "s3Uri")
    reads = [*s3_uri_at(params, source, "transformInput", problems), *model_data(params, problems)]
    output = ("transformOutput", "s3OutputPath")
    return {
        "s3_reads": tuple(dict.fromkeys(reads)),
        "s3_writes": s3_uri_at(params, output, "transformOutput", problems),
    }


def _instances(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """TransformResources: the instances the job runs at once, and their type."""
    resources = member(params, "transformResources")
    count = positive_int(member(resources, "instanceCount"))
    basis = "TransformResources.InstanceCount"
    if count is None or count > MAX_INSTANCES:
        problems.append("transformResources.instanceCount is missing or invalid")
        count, basis = 1, "at least 1 (the request's TransformResources could not be read)"
    instance_type = text(member(resources, "instanceType"))
    groups = ((instance_type, count),) if instance_type else ()
    return {"instance_count": count, "instance_groups": groups, "instance_basis": basis}


UNIT = Workload(
    name="transform",
    event_names=("CreateTransformJob",),
    job_name_path=("transformJobName",),
    job_name=JOB_NAME,
    job_arn_path=("transformJobArn",),
    job_arn=JOB_ARN,
    vpc_config_path=("vpcConfig",),
    role_path=("roleArn",),
    read=read,
    ips_per_instance=2,
    role_actions=JOB_ROLE_ACTIONS,
    not_evaluated={
        **HOSTING_NOT_EVALUATED,
        "SG_EGRESS_SUBNETS_MISSING": PEERS_ONLY,
        "NACL_BLOCKS_SUBNETS": PEERS_ONLY,
        "ENDPOINT_SUBNETS_ONE_AZ": "AWS's batch transform page states no Availability Zone "
        "rule (the two-AZ rule is hosted endpoints')",
    },
    describe_api="DescribeTransformJob",
    list_api="ListTransformJobs",
    stop_api="StopTransformJob",
    expand=expand,
    expand_actions=(DESCRIBE_MODEL,),
    list_summaries="TransformJobSummaries",
    active_statuses=("InProgress",),
    status_member="TransformJobStatus",
    arn_resource="transform-job",
    restart_members=RESTART_MEMBERS,
    restart_drops_nulls=True,
    instance_count_path=("transformResources", "instanceCount"),
    instance_type_path=("transformResources", "instanceType"),
    # "Inbound and outbound connections between members of the same security group ...
    # across all ports" (AWS's batch transform page).
    peers=PeerProfile(
        source="Give Batch Transform Jobs Access to Resources in Your Amazon VPC",
        all_traffic=True,
    ),
    data_path=THROUGH_VPC,
)
