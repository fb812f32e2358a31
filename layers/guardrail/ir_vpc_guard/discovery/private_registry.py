"""EC2 reads for a private registry's credentials Lambda, made only when the request names
one (`Vpc` repository access mode with a credentials provider): SageMaker calls that Lambda
through the job's VPC at lambda.<region>.amazonaws.com, so the VPC's Lambda interface
endpoints and its enableDnsHostnames attribute (private DNS needs it) are read. Every other
job costs no call here."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from ir_vpc_guard.discovery.snapshot import Read, not_applicable, unread_as
from ir_vpc_guard.discovery.waves import Wave, done
from ir_vpc_guard.intake.request import JobRequest

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import VpcEndpointTypeDef

# Each read of the snapshot made here, and the IAM actions it may use.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "lambda_endpoints": ("ec2:DescribeVpcEndpoints",),
    "dns_hostnames": ("ec2:DescribeVpcAttribute",),
}


def lambda_service_name(region: str) -> str:
    return f"com.amazonaws.{region}.lambda"


def uses_credentials_lambda(job: JobRequest) -> bool:
    return job.repository_access_mode == "Vpc" and job.repository_credentials_provider is not None


@dataclass(frozen=True, eq=False, repr=False)
class RegistryReads:
    lambda_endpoints: Future[Read[list[VpcEndpointTypeDef]]]
    dns_hostnames: Future[Read[bool]]


def submit(
    wave: Wave, owner: Read[EC2Client], job: JobRequest, vpc_id: str | None
) -> RegistryReads:
    """Both reads with the VPC owner's EC2 client, or why they were not made."""
    ec2 = owner.value
    if not uses_credentials_lambda(job):
        unread = done(not_applicable("the job names no private registry credentials Lambda"))
        return RegistryReads(unread, unread)
    if ec2 is None:
        unread = done(unread_as(owner))
        return RegistryReads(unread, unread)
    if vpc_id is None:
        missing = done(not_applicable("no job subnet or group was found, so no VPC"))
        return RegistryReads(missing, missing)
    return RegistryReads(
        wave.submit(
            "ec2:DescribeVpcEndpoints", partial(read_lambda_endpoints, ec2, vpc_id, job.region)
        ),
        wave.submit("ec2:DescribeVpcAttribute", partial(read_dns_hostnames, ec2, vpc_id)),
    )


def read_lambda_endpoints(ec2: EC2Client, vpc_id: str, region: str) -> list[VpcEndpointTypeDef]:
    pages = ec2.get_paginator("describe_vpc_endpoints").paginate(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "service-name", "Values": [lambda_service_name(region)]},
        ]
    )
    return [endpoint for page in pages for endpoint in page.get("VpcEndpoints", [])]


def read_dns_hostnames(ec2: EC2Client, vpc_id: str) -> bool:
    answer = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    return bool(answer["EnableDnsHostnames"]["Value"])
