"""CreateModel (docs/workloads.md): the model's VpcConfig and ExecutionRoleArn are what its
endpoints and batch transform jobs run in ("Give SageMaker AI Hosted Endpoints Access to
Resources in Your Amazon VPC"). A model runs nothing itself: judged at creation, it warns
before an endpoint or a transform job fails on it. Its DescribeModel answer is also how the
endpoint and transform workloads read their VPC config (`describe_model`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.fields import member, s3_uri_at
from ir_vpc_guard.intake.request import MODEL_NAME
from ir_vpc_guard.intake.workload import THROUGH_VPC, SageMakerReader, Workload
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker.type_defs import DescribeModelOutputTypeDef

# ModelArn of botocore's SageMaker model (tests/intake/test_hosting.py asserts it is equal).
MODEL_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:model/.*")
DESCRIBE_MODEL = "sagemaker:DescribeModel"
MAX_CONTAINERS = 15  # Containers (inference pipelines)
# Where a container's model data is (a container of a model package names none).
MODEL_DATA_PATHS = (("modelDataUrl",), ("modelDataSource", "s3DataSource", "s3Uri"))

R3_JUDGED = (
    "a model's endpoints and transform jobs read S3 through its VPC, where a bucket policy "
    "restricted to that VPC or its endpoint is what AWS recommends: Inference Recommender's "
    "R3 does not apply; BUCKET_POLICY_DENIES_JOB_PATH judges the job's own buckets against "
    "the way its subnets reach S3 (docs/workloads.md)"
)
# The checks no hosting workload (model, endpoint, batch transform) evaluates, and why.
HOSTING_NOT_EVALUATED: Mapping[str, str] = {
    "MODEL_NOT_IN_REGISTRY": "R1 is Inference Recommender's: hosting a model needs no "
    "Model Registry package (docs/workloads.md)",
    "MODEL_ARTIFACT_VPC_RESTRICTED": R3_JUDGED,
    "SAMPLE_PAYLOAD_VPC_RESTRICTED": R3_JUDGED,
    "IMAGE_VPC_RESTRICTED": "whether a hosted model's image is pulled through its VPC is not "
    "stated by AWS (MEDIUM, docs/workloads.md), and the model's repository policy is not "
    "read yet",
    "REGISTRY_AUTH_LAMBDA_UNREACHABLE": "the model's ImageConfig.RepositoryAuthConfig is not "
    "read yet: the credentials Lambda of its private registry is not judged",
    "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED": "ec2:ModifyNetworkInterfaceAttribute is not among the "
    "actions AWS lists for model, endpoint and batch transform roles (docs/workloads.md)",
}
# Endpoints: AWS documents egress to S3 only (R7a); traffic between the job subnets is
# Inference Recommender's and compilation's rule.
S3_ONLY = (
    "traffic between the job subnets is documented for Inference Recommender and "
    "compilation; a hosted model's instances need S3 (checked), not each other "
    "(docs/workloads.md)"
)


def read(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """A model places no instances: its endpoints and transform jobs do, loading its data
    through its VPC."""
    return {
        "instance_count": 0,
        "instance_basis": "none: a model runs nothing until an endpoint or a transform job "
        "hosts it",
        "s3_reads": model_data(params, problems),
    }


def model_data(params: Mapping[str, Any], problems: list[str]) -> tuple[str, ...]:
    """The S3 URIs a model's containers load their model data from (PrimaryContainer and
    Containers, in a CreateModel request or a DescribeModel answer): read through its VPC."""
    containers = member(params, "containers")
    listed = [("primaryContainer", member(params, "primaryContainer"))] + [
        (f"containers[{index}]", container)
        for index, container in enumerate(
            containers[:MAX_CONTAINERS] if isinstance(containers, list) else []
        )
    ]
    uris = [
        uri
        for where, container in listed
        for path in MODEL_DATA_PATHS
        for uri in s3_uri_at(container, path, f"{where}.{path[0]}", problems)
    ]
    return tuple(dict.fromkeys(uris))


def describe_model(sagemaker: SageMakerReader, name: str) -> DescribeModelOutputTypeDef:
    """The model an endpoint variant or a transform job names (its VpcConfig and role)."""
    return sagemaker().describe_model(ModelName=name)


UNIT = Workload(
    name="model",
    event_names=("CreateModel",),
    job_name_path=("modelName",),
    job_name=MODEL_NAME,
    job_arn_path=("modelArn",),
    job_arn=MODEL_ARN,
    vpc_config_path=("vpcConfig",),
    role_path=("executionRoleArn",),
    read=read,
    ips_per_instance=2,
    role_actions=JOB_ROLE_ACTIONS,
    not_evaluated={
        **HOSTING_NOT_EVALUATED,
        "SG_EGRESS_SUBNETS_MISSING": S3_ONLY,
        "NACL_BLOCKS_SUBNETS": S3_ONLY,
        "SUBNET_IP_CAPACITY": "a model runs no instances: its endpoints and transform jobs "
        "are sized and checked when they are created",
    },
    describe_api="DescribeModel",
    list_api="ListModels",
    stop_api=None,
    # The model may serve only batch transform jobs, for which AWS states no AZ rule.
    one_az_severity=Severity.MEDIUM,
    data_path=THROUGH_VPC,
)
