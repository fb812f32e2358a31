"""A sample AWS world for the demo, the tests and the benchmarks: a VPC that meets every
requirement of an Inference Recommender job, built through boto3 (so it works on moto and,
in a scratch account, on AWS). Each `break_*` knob breaks exactly one requirement.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from ir_vpc_guard.arns import managed_policy_arn, partition_of
from ir_vpc_guard.requirements import SAGEMAKER_FULL_ACCESS, s3_service_name

ROLE_NAME = "SageMakerIRRole"
MODEL_BUCKET = "demo-ir-models"
PAYLOAD_BUCKET = "demo-ir-payloads"
REPOSITORY = "demo-ir-inference"
PACKAGE_GROUP = "demo-models"
# An on-premises proxy outside the VPC: egress to it reaches neither S3 nor the job subnets.
PROXY_CIDR = "192.168.0.0/16"
# What moto needs to carry AWS's managed policies as it ships them (the role's policy).
MOTO_ENVIRONMENT = {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}


@dataclass
class World:
    """IDs of what was built, to point an event at."""

    region: str
    account: str
    vpc_id: str
    subnet_ids: list[str]
    group_ids: list[str]
    route_table_ids: list[str]
    endpoint_id: str | None
    role_arn: str
    model_package_arn: str
    prefix_list_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def event(self, template: dict[str, Any]) -> dict[str, Any]:
        """A copy of `template` whose job names this world's subnets, groups, role and model."""
        event = copy.deepcopy(template)
        event["account"], event["region"] = self.account, self.region
        params = event["detail"]["requestParameters"]
        keys = {k.lower(): k for k in params}
        params[keys.get("rolearn", "roleArn")] = self.role_arn
        input_config = params[keys.get("inputconfig", "inputConfig")]
        ikeys = {k.lower(): k for k in input_config}
        input_config[ikeys.get("modelpackageversionarn", "modelPackageVersionArn")] = (
            self.model_package_arn
        )
        vpc = input_config[ikeys.get("vpcconfig", "vpcConfig")]
        vkeys = {k.lower(): k for k in vpc}
        vpc[vkeys.get("subnets", "subnets")] = list(self.subnet_ids)
        vpc[vkeys.get("securitygroupids", "securityGroupIds")] = list(self.group_ids)
        response = event["detail"].get("responseElements")
        if isinstance(response, dict) and "jobArn" in response:  # the job, in this world
            name = params[keys.get("jobname", "jobName")]
            response["jobArn"] = (
                f"arn:{partition_of(self.region)}:sagemaker:{self.region}:{self.account}:"
                f"inference-recommendations-job/{name}"
            )
        return event


def build_world(
    session: Any,
    region: str = "us-east-1",
    *,
    subnets: int = 2,
    with_endpoint: bool = True,
    group_egress: str = "compliant",
    explicit_route_table: bool = True,
    extra_subnets: int = 0,
    peer_rule: bool = True,
    tenancy: str = "default",
) -> World:
    """Build a compliant world. `group_egress`: compliant | vpc-https-only |
    proxy-https-only | none (set_group_egress); `peer_rule`: the group admits its own
    members (inbound, all traffic), as a distributed job's instances need; `tenancy`: the
    VPC's instance tenancy (default | dedicated)."""
    ec2 = session.client("ec2", region_name=region)
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy=tenancy)["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnet_ids = [
        ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=f"10.0.{i + 1}.0/24", AvailabilityZone=zones[i % len(zones)]
        )["Subnet"]["SubnetId"]
        for i in range(subnets)
    ]
    for i in range(extra_subnets):  # unrelated subnets: discovery must not read them
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=f"10.0.{64 + i // 16}.{(i % 16) * 16}/28",
            AvailabilityZone=zones[i % len(zones)],
        )
    route_tables = []
    if explicit_route_table:
        table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        for subnet in subnet_ids:
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        route_tables.append(table)
    else:
        main = ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"][0]["RouteTableId"]
        route_tables.append(main)
    endpoint_id = None
    if with_endpoint:
        endpoint_id = ec2.create_vpc_endpoint(
            VpcId=vpc_id,
            ServiceName=s3_service_name(region),
            VpcEndpointType="Gateway",
            RouteTableIds=route_tables,
        )["VpcEndpoint"]["VpcEndpointId"]
    prefix_list_id = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [s3_service_name(region)]}]
    )["PrefixLists"][0]["PrefixListId"]
    group_id = ec2.create_security_group(
        GroupName="ir-job", Description="Inference Recommender job", VpcId=vpc_id
    )["GroupId"]
    set_group_egress(ec2, group_id, group_egress, prefix_list_id)
    if peer_rule:
        add_peer_rule(ec2, group_id)
    role_arn = _role(session, region)
    package_arn = _model(session, region, account)
    return World(
        region=region,
        account=account,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        group_ids=[group_id],
        route_table_ids=route_tables,
        endpoint_id=endpoint_id,
        role_arn=role_arn,
        model_package_arn=package_arn,
        prefix_list_id=prefix_list_id,
    )


def create_table(session: Any, name: str) -> str:
    """The guardrail's DynamoDB table as the template makes it (partition key `id`):
    idempotency records, job records and VPC locks."""
    session.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def set_group_egress(ec2: Any, group_id: str, kind: str, prefix_list_id: str) -> None:
    """Replace the group's egress with `kind`: compliant, vpc-https-only (HTTPS to the VPC's
    10.0.0.0/8: the job subnets on one port only), proxy-https-only (HTTPS to an on-premises
    proxy only: neither S3 nor the job subnets) or none."""
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )
    rules: list[dict[str, Any]] = []
    if kind == "compliant":
        rules = [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": prefix_list_id, "Description": "S3"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 0,
                "ToPort": 65535,
                "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "VPC"}],
            },
        ]
    elif kind == "vpc-https-only":
        rules = [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "internal HTTPS"}],
            }
        ]
    elif kind == "proxy-https-only":
        rules = [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": PROXY_CIDR, "Description": "HTTPS to the proxy"}],
            }
        ]
    if rules:
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=rules)


def add_peer_rule(ec2: Any, group_id: str) -> None:
    """Inbound all traffic from the group itself: a new group admits nothing inbound."""
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "-1",
                "UserIdGroupPairs": [{"GroupId": group_id, "Description": "peers"}],
            }
        ],
    )


def add_peer_egress(ec2: Any, group_id: str) -> None:
    """Outbound all traffic to the group itself: batch transform's instances need "inbound
    and outbound connections between members of the same security group ... across all
    ports" (AWS's batch transform page)."""
    ec2.authorize_security_group_egress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "-1",
                "UserIdGroupPairs": [{"GroupId": group_id, "Description": "peers"}],
            }
        ],
    )


# A SageMaker execution role's trust policy: SageMaker may assume it.
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _role(session: Any, region: str) -> str:
    iam = session.client("iam", region_name=region)
    trust = SAGEMAKER_TRUST
    arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    # As real accounts have it: AWS's own managed policy, attached by ARN (moto carries it
    # only with MOTO_IAM_LOAD_MANAGED_POLICIES=true, set before its IAM backend starts).
    for policy in _managed_arns(region):
        try:
            iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=policy)
            break
        except iam.exceptions.NoSuchEntityException:
            continue
    else:
        raise RuntimeError(
            f"{SAGEMAKER_FULL_ACCESS} is not there: on moto, set "
            f"{', '.join(MOTO_ENVIRONMENT)}=true before moto starts"
        )
    return str(arn)


def _managed_arns(region: str) -> list[str]:
    """AWS's AmazonSageMakerFullAccess in the region's partition; then as moto 5.2 keeps it
    in the partitions other than `aws-cn` (under `arn:aws:`, a moto gap)."""
    arns = [managed_policy_arn(partition_of(region), SAGEMAKER_FULL_ACCESS)]
    return list(dict.fromkeys([*arns, managed_policy_arn("aws", SAGEMAKER_FULL_ACCESS)]))


def _model(session: Any, region: str, account: str) -> str:
    s3 = session.client("s3", region_name=region)
    # Outside us-east-1, S3 refuses a bucket without the region's location constraint.
    where = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    for bucket in (MODEL_BUCKET, PAYLOAD_BUCKET):
        s3.create_bucket(Bucket=bucket, **where)
    s3.put_object(Bucket=MODEL_BUCKET, Key="model/model.tar.gz", Body=b"model")
    s3.put_object(Bucket=PAYLOAD_BUCKET, Key="payload.tar.gz", Body=b"payload")
    ecr = session.client("ecr", region_name=region)
    uri = ecr.create_repository(repositoryName=REPOSITORY)["repository"]["repositoryUri"]
    sagemaker = session.client("sagemaker", region_name=region)
    sagemaker.create_model_package_group(ModelPackageGroupName=PACKAGE_GROUP)
    package = sagemaker.create_model_package(
        ModelPackageGroupName=PACKAGE_GROUP,
        InferenceSpecification={
            "Containers": [
                {
                    "Image": f"{uri}:latest",
                    "ModelDataUrl": f"s3://{MODEL_BUCKET}/model/model.tar.gz",
                }
            ],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        SamplePayloadUrl=f"s3://{PAYLOAD_BUCKET}/payload.tar.gz",
        Domain="MACHINE_LEARNING",
        Task="OTHER",
        ModelApprovalStatus="Approved",
    )
    return str(package["ModelPackageArn"])


def allow_eni_attribute(session: Any) -> None:
    """Grant the world's role the one action AWS's Inference Recommender page lists and its
    AmazonSageMakerFullAccess lacks (ec2:ModifyNetworkInterfaceAttribute), as the page
    suggests: a world with nothing at all to report, not even the LOW advisory."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ec2:ModifyNetworkInterfaceAttribute", "Resource": "*"}
        ],
    }
    session.client("iam").put_role_policy(
        RoleName=ROLE_NAME, PolicyName="eni-attribute", PolicyDocument=json.dumps(document)
    )
