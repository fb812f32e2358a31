"""The immutable job request every stage works from, and the API's own limits on its IDs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ir_vpc_guard.arns import partition_of

# Limits and patterns of CreateInferenceRecommendationsJob, copied from botocore's service
# model (shape names in the comments; tests/intake/test_request.py asserts they are equal).
# Copied, not loaded: reading the SageMaker model would cost the Lambda's cold start.
MAX_SUBNETS = 16  # RecommendationJobVpcSubnets
MAX_SECURITY_GROUPS = 5  # RecommendationJobVpcSecurityGroupIds
MAX_ID_LENGTH = 32  # RecommendationJobVpcSubnetId, RecommendationJobVpcSecurityGroupId
VPC_ID_PATTERN = re.compile(r"[-0-9a-zA-Z]+")
MIN_PARALLEL_OF_TESTS = 1  # MaxParallelOfTests (no maximum in the model)
MAX_ENDPOINT_CONFIGURATIONS = 10  # EndpointInputConfigurations


@dataclass(frozen=True, eq=False, repr=False)
class TextLimit:
    """A string member's limits in the API model: its shape, pattern and length bounds."""

    shape: str
    pattern: re.Pattern[str]
    min_length: int
    max_length: int

    def fullmatch(self, value: str) -> bool:
        """True when AWS would accept `value` (the pattern alone does not bound length)."""
        return self.min_length <= len(value) <= self.max_length and bool(
            self.pattern.fullmatch(value)
        )


def _limit(shape: str, pattern: str, min_length: int, max_length: int) -> TextLimit:
    # ASCII: the model's `\d` means 0-9, not every Unicode digit.
    return TextLimit(shape, re.compile(pattern, re.ASCII), min_length, max_length)


JOB_NAME = _limit("RecommendationJobName", r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}", 1, 64)
MODEL_NAME = _limit("ModelName", r"[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?", 0, 63)
ROLE_ARN = _limit("RoleArn", r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+", 20, 2048)
MODEL_PACKAGE_ARN = _limit(
    "ModelPackageArn",
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package/[\S]{1,2048}",
    1,
    2048,
)
# Stricter than the model's `inference-recommendations-job/.*`: the name part is a job name.
JOB_ARN_PATTERN = re.compile(
    r"arn:aws[a-z-]*:sagemaker:[a-z0-9-]{1,64}:\d{12}:inference-recommendations-job/[\S]{1,64}"
)
S3_URL_PATTERN = re.compile(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/\S*)?")
ACCOUNT_PATTERN = re.compile(r"\d{12}")


@dataclass(frozen=True)
class EndpointConfiguration:
    """One load-test target; serverless ones place no instances in the VPC.

    `parameter_ranges` holds its EnvironmentParameterRanges (CategoricalParameterRanges):
    each environment variable's name and the values to benchmark; every combination of
    values is one load test on this configuration.
    """

    instance_type: str | None
    serverless: bool = False
    parameter_ranges: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def tests(self) -> int:
        """The load tests of this configuration: the product of its parameters' value counts."""
        count = 1
        for _name, values in self.parameter_ranges:
            count *= max(len(values), 1)
        return count


@dataclass(frozen=True)
class JobRequest:
    """What a job's create call (or Describe answer) asked for, validated.

    `vpc_config_problems` lists every way the VPC config breaks the API's limits; when it is
    not empty, no ID of this request is ever sent to AWS.
    """

    job_name: str
    account: str
    region: str
    event_id: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    job_arn: str | None = None
    role_arn: str | None = None
    model_package_arn: str | None = None
    model_name: str | None = None
    job_type: str = "Default"
    max_parallel_of_tests: int | None = None
    endpoint_configurations: tuple[EndpointConfiguration, ...] = ()
    sample_payload_url: str | None = None
    trigger: str = "event"
    # The workload (intake/workloads/) whose API made the request.
    workload: str = "inference-recommender"
    # Workloads whose request states its size (training): the instances at once, how many
    # of each type (type, count) and which member said so. None for Inference Recommender
    # (an estimate).
    instance_count: int | None = None
    instance_groups: tuple[tuple[str, int], ...] = ()
    instance_basis: str = ""
    vpc_config_problems: tuple[str, ...] = ()
    input_problems: tuple[str, ...] = field(default=())
    # The other VPC configs the same request names (an endpoint's models in other VPCs):
    # which one SageMaker uses is undocumented. Each is described for the report.
    other_vpc_configs: tuple[str, ...] = ()
    # EnableInterContainerTrafficEncryption (training): its peers need UDP 500 and ESP.
    inter_container_encryption: bool = False
    # Workloads whose data path is the VPC (training): the S3 URIs the job reads and those it
    # writes, through the job's subnets (intake/fields.py `s3_uris`); empty for Inference
    # Recommender, whose reads are the model's (service side).
    s3_reads: tuple[str, ...] = ()
    s3_writes: tuple[str, ...] = ()
    # A private registry (training TrainingImageConfig, a model's ImageConfig):
    # `repository_access_mode` "Platform" or "Vpc", and the credentials Lambda SageMaker
    # calls through the job's VPC (RepositoryCredentialsProviderArn), when named.
    repository_access_mode: str | None = None
    repository_credentials_provider: str | None = None
    # A tuning job's training definition this job is (its DefinitionName, else where it sits
    # in the request); None for every other workload. The report's `job.definition`.
    definition: str | None = None
    # When `instance_count` is only the most that may run at once (a tuning definition whose
    # training jobs share MaxParallelTrainingJobs with other definitions), the fewest that
    # certainly do: capacity is HIGH only below them. None: `instance_count` is certain.
    certain_instances: int | None = None

    # The instances that talk to each other, when fewer than `instance_count`: one training
    # job's for a tuning job (its parallel training jobs do not talk to each other).
    peer_instances: int | None = None
    # One of several jobs of one request whose other parts may run fine (a tuning job's
    # training definitions): stopping the request would stop them too, so it is never stopped.
    part_of_several: bool = False

    @property
    def vpc_config_valid(self) -> bool:
        return not self.vpc_config_problems

    @property
    def peers(self) -> int:
        """How many instances exchange traffic as one job (R7 peers)."""
        return self.peer_instances or self.instance_count or 1

    @property
    def partition(self) -> str:
        """The ARN partition of the job's region (`aws`, `aws-cn`, `aws-us-gov`, ...)."""
        return partition_of(self.region)


def vpc_config_problems(subnets: object, security_groups: object) -> list[str]:
    """Every way `subnets` and `security_groups` break the API's VpcConfig limits."""
    problems: list[str] = []
    for label, ids, limit in (
        ("subnets", subnets, MAX_SUBNETS),
        ("securityGroupIds", security_groups, MAX_SECURITY_GROUPS),
    ):
        if not isinstance(ids, list | tuple):
            problems.append(f"{label} must be a list of IDs, got {type(ids).__name__}")
            continue
        if not 1 <= len(ids) <= limit:
            problems.append(f"{label} must hold 1 to {limit} IDs, got {len(ids)}")
        problems.extend(
            f"{label}[{index}] is not a valid ID (pattern [-0-9a-zA-Z]+, at most "
            f"{MAX_ID_LENGTH} characters)"
            for index, value in enumerate(ids[:64])
            if not valid_vpc_id(value)
        )
    return problems


def valid_vpc_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= MAX_ID_LENGTH
        and VPC_ID_PATTERN.fullmatch(value) is not None
    )


def s3_bucket(url: str | None) -> str | None:
    """The bucket of an `s3://bucket/key` URL, or None when it is not a valid S3 URL."""
    if not url:
        return None
    match = S3_URL_PATTERN.fullmatch(url)
    return match.group(1) if match else None
