"""CreateTrainingJob (docs/workloads.md): VpcConfig at the top of the request, the role at
RoleArn, ResourceConfig's instances at once, 2 IPs each and 5 with an Elastic Fabric Adapter
("Give SageMaker AI Training Jobs Access to Resources in Your Amazon VPC")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.fields import at, matching, member, positive_int, s3_uri_at, text
from ir_vpc_guard.intake.request import TextLimit
from ir_vpc_guard.intake.workload import THROUGH_VPC, PeerProfile, Workload
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS

# TrainingJobName, TrainingJobArn and InstanceGroups (max 5) of botocore's SageMaker model
# (tests/intake/test_workloads.py asserts they are equal). Copied, not loaded (cold start).
JOB_NAME = TextLimit(
    "TrainingJobName", re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII), 1, 63
)
JOB_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:training-job/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
)
MAX_INSTANCE_GROUPS = 5
# The members of CreateTrainingJob that DescribeTrainingJob answers (botocore's model; the
# test recomputes them): what the stop's restartCommand copies into a new job.
RESTART_MEMBERS = (
    "TrainingJobName",
    "HyperParameters",
    "AlgorithmSpecification",
    "RoleArn",
    "InputDataConfig",
    "OutputDataConfig",
    "ResourceConfig",
    "VpcConfig",
    "StoppingCondition",
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
    "CheckpointConfig",
    "DebugHookConfig",
    "DebugRuleConfigurations",
    "TensorBoardOutputConfig",
    "ExperimentConfig",
    "ProfilerConfig",
    "ProfilerRuleConfigurations",
    "Environment",
    "RetryStrategy",
    "RemoteDebugConfig",
    "InfraCheckConfig",
    "ServerlessJobConfig",
    "MlflowConfig",
    "ModelPackageConfig",
)
MAX_CHANNELS = 20  # InputDataConfig
# TrainingRepositoryCredentialsProviderArn (`\\p{Alnum}` read as ASCII letters and digits).
CREDENTIALS_PROVIDER = re.compile(
    r"arn:[a-zA-Z0-9\-]+:lambda:[a-zA-Z0-9\-]+:[0-9]{12}:function:.*", re.ASCII
)
# The training instance types (botocore's TrainingInstanceType) whose EC2 type supports EFA
# (EC2 DescribeInstanceTypes NetworkInfo.EfaSupported, as moto ships it; the test recomputes
# it). Whether a job of such a type uses EFA is not in the request: the 5 IPs are a cautious
# need (MEDIUM), the 2 the certain one.
EFA_INSTANCE_TYPES = frozenset(
    f"ml.{t}"
    for t in [
        "c5n.9xlarge",
        "c5n.18xlarge",
        "c6i.32xlarge",
        "c7i.48xlarge",
        "c8i.48xlarge",
        "c8i.96xlarge",
        "g4dn.8xlarge",
        "g4dn.12xlarge",
        "g4dn.16xlarge",
        "g5.8xlarge",
        "g5.12xlarge",
        "g5.16xlarge",
        "g5.24xlarge",
        "g5.48xlarge",
        "g6.8xlarge",
        "g6.12xlarge",
        "g6.16xlarge",
        "g6.24xlarge",
        "g6.48xlarge",
        "g6e.8xlarge",
        "g6e.12xlarge",
        "g6e.16xlarge",
        "g6e.24xlarge",
        "g6e.48xlarge",
        "g7.8xlarge",
        "g7.12xlarge",
        "g7.24xlarge",
        "g7.48xlarge",
        "g7e.8xlarge",
        "g7e.12xlarge",
        "g7e.24xlarge",
        "g7e.48xlarge",
        "m6i.32xlarge",
        "m7i.48xlarge",
        "m8i.48xlarge",
        "m8i.96xlarge",
        "p3dn.24xlarge",
        "p4d.24xlarge",
        "p4de.24xlarge",
        "p5.4xlarge",
        "p5.48xlarge",
        "p5e.48xlarge",
        "p5en.48xlarge",
        "p6-b200.48xlarge",
        "p6-b300.48xlarge",
        "r6i.32xlarge",
        "r7i.48xlarge",
        "r8i.48xlarge",
        "r8i.96xlarge",
        "trn1.32xlarge",
        "trn1n.32xlarge",
        "trn2.48xlarge",
    ]
)

R3_INVERTS = (
    "training reads and writes S3 through its own VPC, where a bucket policy restricted to "
    "that VPC or its endpoint is what AWS recommends: Inference Recommender's R3 does not "
    "apply; BUCKET_POLICY_DENIES_JOB_PATH judges the job's own buckets against the way its "
    "subnets reach S3 (docs/workloads.md)"
)
IMAGE_NOT_READ = (
    "training pulls its image from the service side in Platform mode; a repository policy "
    "restricted to a VPC is undetermined there (MEDIUM, docs/workloads.md), and the training "
    "image's repository policy is not read yet (docs/workloads.md)"
)

SUBNETS_BY_PEERS = (
    "traffic between the job subnets is documented for Inference Recommender; a training job "
    "needs it only between the instances of a distributed job, which SG_PEER_TRAFFIC_BLOCKED "
    "judges (its groups admitting their own members, in and out; docs/workloads.md)"
)
NACL_PEERS_NOT_JUDGED = (
    "traffic between the job subnets is documented for Inference Recommender; a training job "
    "needs it only between the instances of a distributed job: SG_PEER_TRAFFIC_BLOCKED judges "
    "their security groups, the network ACLs between their subnets are not judged yet "
    "(docs/workloads.md)"
)
# "Give SageMaker AI Training Jobs Access to Resources in Your Amazon VPC" (S1) and "Protect
# Communications Between ML Compute Instances in a Distributed Training Job" (S10).
PEERS = PeerProfile(
    source="Give SageMaker AI Training Jobs Access to Resources in Your Amazon VPC",
    efa=True,
    encryption=Severity.HIGH,
)
ENCRYPTION = "enableInterContainerTrafficEncryption"


def read(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The instances, the S3 locations and the private registry of the request."""
    return {
        **_instances(params, problems),
        **_s3_locations(params, problems),
        **_registry(params),
    }


def _s3_locations(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The S3 URIs the job reads (its channels, its checkpoints) and writes (its output,
    checkpoints, debugger, profiler and TensorBoard output) through its VPC."""
    channels = member(params, "inputDataConfig")
    reads = [
        uri
        for index, channel in enumerate(
            channels[:MAX_CHANNELS] if isinstance(channels, list) else []
        )
        for uri in s3_uri_at(
            channel, ("dataSource", "s3DataSource", "s3Uri"), f"inputDataConfig[{index}]", problems
        )
    ]
    checkpoints = s3_uri_at(params, ("checkpointConfig", "s3Uri"), "checkpointConfig", problems)
    writes = [
        *s3_uri_at(params, ("outputDataConfig", "s3OutputPath"), "outputDataConfig", problems),
        *checkpoints,
        *s3_uri_at(params, ("debugHookConfig", "s3OutputPath"), "debugHookConfig", problems),
        *s3_uri_at(params, ("profilerConfig", "s3OutputPath"), "profilerConfig", problems),
        *s3_uri_at(
            params, ("tensorBoardOutputConfig", "s3OutputPath"), "tensorBoardOutputConfig", problems
        ),
    ]
    return {
        "s3_reads": tuple(dict.fromkeys([*reads, *checkpoints])),
        "s3_writes": tuple(dict.fromkeys(writes)),
    }


def _registry(params: Mapping[str, Any]) -> dict[str, Any]:
    """AlgorithmSpecification.TrainingImageConfig: the registry access mode and the Lambda
    that gives SageMaker the private registry's credentials."""
    config = at(params, ("algorithmSpecification", "trainingImageConfig"))
    mode = text(member(config, "trainingRepositoryAccessMode"))
    provider = matching(
        at(config, ("trainingRepositoryAuthConfig", "trainingRepositoryCredentialsProviderArn")),
        CREDENTIALS_PROVIDER,
    )
    return {
        "repository_access_mode": mode if mode in {"Platform", "Vpc"} else None,
        "repository_credentials_provider": provider,
    }


def _instances(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """ResourceConfig: InstanceCount, or the sum over InstanceGroups (heterogeneous clusters),
    with how many instances of each type; whether inter-container traffic is encrypted."""
    resources = member(params, "resourceConfig")
    count = positive_int(member(resources, "instanceCount"))
    instance_type = text(member(resources, "instanceType"))
    sized: list[tuple[str | None, int | None]] = [(instance_type, count)]
    basis = "ResourceConfig.InstanceCount"
    listed = member(resources, "instanceGroups")
    if count is None and isinstance(listed, list) and listed:
        counted = [g for g in listed[:MAX_INSTANCE_GROUPS] if isinstance(g, Mapping)]
        sized = [
            (text(member(g, "instanceType")), positive_int(member(g, "instanceCount")))
            for g in counted
        ]
        count = sum(n or 0 for _, n in sized) or None
        basis = "the sum of ResourceConfig.InstanceGroups[].InstanceCount"
    if count is None:
        problems.append("resourceConfig.instanceCount is missing or invalid")
        count, basis = 1, "at least 1 (the request's ResourceConfig could not be read)"
    groups = tuple((t, n) for t, n in sized if t and n)
    encryption = member(params, ENCRYPTION)
    if encryption is not None and not isinstance(encryption, bool):
        problems.append(f"{ENCRYPTION} is not a boolean")
    return {
        "instance_count": count,
        "instance_groups": groups,
        "instance_basis": basis,
        "inter_container_encryption": encryption is True,
    }


UNIT = Workload(
    name="training",
    event_names=("CreateTrainingJob",),
    job_name_path=("trainingJobName",),
    job_name=JOB_NAME,
    job_arn_path=("trainingJobArn",),
    job_arn=JOB_ARN,
    vpc_config_path=("vpcConfig",),
    role_path=("roleArn",),
    read=read,
    ips_per_instance=2,
    efa_ips_per_instance=5,
    efa_instance_types=EFA_INSTANCE_TYPES,
    role_actions=JOB_ROLE_ACTIONS,
    not_evaluated={
        "MODEL_NOT_IN_REGISTRY": "R1 is Inference Recommender's: a training job names no "
        "registered model (docs/workloads.md)",
        "MODEL_ARTIFACT_VPC_RESTRICTED": R3_INVERTS,
        "SAMPLE_PAYLOAD_VPC_RESTRICTED": R3_INVERTS,
        "IMAGE_VPC_RESTRICTED": IMAGE_NOT_READ,
        "SG_EGRESS_SUBNETS_MISSING": SUBNETS_BY_PEERS,
        "NACL_BLOCKS_SUBNETS": NACL_PEERS_NOT_JUDGED,
        "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED": "ec2:ModifyNetworkInterfaceAttribute is not among "
        "the actions AWS lists for training roles (docs/workloads.md)",
    },
    describe_api="DescribeTrainingJob",
    list_api="ListTrainingJobs",
    stop_api="StopTrainingJob",
    list_summaries="TrainingJobSummaries",
    active_statuses=("InProgress",),
    status_member="TrainingJobStatus",
    arn_resource="training-job",
    restart_members=RESTART_MEMBERS,
    restart_drops_nulls=True,
    instance_count_path=("resourceConfig", "instanceCount"),
    instance_type_path=("resourceConfig", "instanceType"),
    peers=PEERS,
    default_tenancy_only=True,
    data_path=THROUGH_VPC,
)
