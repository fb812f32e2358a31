"""What AWS requires of an Inference Recommender job in a VPC (R1 to R8), as constants."""

from __future__ import annotations

REQUIREMENTS = {
    "R1": "The model is registered in the SageMaker Model Registry.",
    "R2": "VpcConfig holds 1-16 subnets and 1-5 security groups that exist, in one VPC.",
    "R3": "Model artifacts, sample payload and image are not restricted to a VPC.",
    "R4": "Each subnet has 2 free private IPs for every instance the job runs.",
    "R5": "The job subnets reach S3 through an S3 gateway endpoint on their route tables.",
    "R6": "The VPC's DNS resolves the standard S3 names.",
    "R7": "The security groups allow egress to S3 and to the job subnets' CIDRs.",
    "R8": "The execution role may manage the job's network interfaces.",
}

# R8: the EC2 actions the execution role needs when it lacks AmazonSageMakerFullAccess.
ROLE_REQUIRED_ACTIONS = (
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:CreateNetworkInterface",
    "ec2:ModifyNetworkInterfaceAttribute",
)
SAGEMAKER_FULL_ACCESS = "AmazonSageMakerFullAccess"
# R8 for training, tuning, processing, models, Autopilot and batch transform: the nine EC2
# actions of "How to use SageMaker AI execution roles" (docs/workloads.md), without
# DescribeVpcEndpoints and ModifyNetworkInterfaceAttribute, which only some pages list.
JOB_ROLE_ACTIONS = tuple(
    a
    for a in ROLE_REQUIRED_ACTIONS
    if a not in ("ec2:DescribeVpcEndpoints", "ec2:ModifyNetworkInterfaceAttribute")
)
# Listed on AWS's Inference Recommender page for custom policies, yet absent from AWS's own
# AmazonSageMakerFullAccess, with which VPC jobs run: lacking it alone is only an advisory.
ROLE_ADVISORY_ACTIONS = ("ec2:ModifyNetworkInterfaceAttribute",)

# R3: the reads the SageMaker service makes on the customer's behalf.
S3_READ_ACTION = "s3:GetObject"
# What a job whose data path is the VPC does with its output locations.
S3_WRITE_ACTION = "s3:PutObject"
ECR_READ_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")

HTTPS_PORT = 443
EPHEMERAL_PORTS = (1024, 65535)
ALL_PORTS = (0, 65535)
AMAZON_PROVIDED_DNS = "AmazonProvidedDNS"


def s3_service_name(region: str) -> str:
    return f"com.amazonaws.{region}.s3"
