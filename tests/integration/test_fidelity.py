"""Verdicts as AWS would give them on the policies and routes real accounts have, and every
write inside its scope (docs/aws-rules.md; docs/architecture.md, section 4). Each world
starts compliant; one realistic change at a time, then the report (and in apply mode, the
world after the run)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.findings import Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS, SAGEMAKER_FULL_ACCESS
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import MODEL_BUCKET, ROLE_NAME, World, build_world
from tests.conftest import REGION, load_event
from tests.report_schema import validate_report

APPLY = Settings(remediation_mode=Mode.APPLY)
REPORT = Settings()
FULL_ACCESS = f"arn:aws:iam::aws:policy/{SAGEMAKER_FULL_ACCESS}"
S3_RANGE = "52.216.0.0/15"  # one of the S3 prefix list's ranges in moto


def run(world: World, settings: Settings = REPORT, event: dict[str, Any] | None = None) -> Any:
    report = handle_event(
        event or world.event(load_event("good_job")), settings, lock=LocalVpcLock()
    )[0].to_dict()
    validate_report(report)
    return report


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["checkId"]: f for f in report["findings"]}


def bucket_policy(session: Any, *statements: dict[str, Any]) -> None:
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    session.client("s3").put_bucket_policy(Bucket=MODEL_BUCKET, Policy=json.dumps(policy))


OBJECTS = f"arn:aws:s3:::{MODEL_BUCKET}/*"
OUTSIDE_THE_ENDPOINT = {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}


def for_anyone(
    effect: str,
    action: str,
    condition: dict[str, Any],
    *,
    resource: str = OBJECTS,
    sid: str | None = None,
) -> dict[str, Any]:
    """A policy statement for every principal ("*") under `condition`, on the model's
    objects unless `resource` says otherwise."""
    statement = {
        "Effect": effect,
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        "Condition": condition,
    }
    return {"Sid": sid, **statement} if sid else statement


# --- R3: bucket policies ------------------------------------------------------------------
def test_vpce_lockdown_that_exempts_the_job_role_passes(aws: Any, world: World) -> None:
    """The usual fix for SageMaker: deny outside the endpoint unless the caller is the role."""
    bucket_policy(
        aws,
        {
            "Sid": "OnlyViaEndpointOrTheJobRole",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": OBJECTS,
            "Condition": {
                "StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"},
                "ArnNotEquals": {"aws:PrincipalArn": world.role_arn},
            },
        },
    )
    assert run(world)["outcome"] == "PASS"


def test_deny_hanging_on_the_organization_is_undetermined(aws: Any, world: World) -> None:
    org_only = {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    bucket_policy(aws, for_anyone("Deny", "s3:*", org_only, sid="OrgOnly"))
    report = run(world)
    finding = findings(report)["MODEL_ARTIFACT_VPC_RESTRICTED"]
    assert finding["severity"] == "MEDIUM"
    assert "aws:PrincipalOrgID" in finding["evidence"]["undetermined"]
    assert report["outcome"] == "WARN"


def test_deny_on_another_prefix_does_not_touch_the_job(aws: Any, world: World) -> None:
    secret = f"arn:aws:s3:::{MODEL_BUCKET}/secret/*"
    bucket_policy(aws, for_anyone("Deny", "s3:GetObject", OUTSIDE_THE_ENDPOINT, resource=secret))
    assert run(world)["outcome"] == "PASS"


def test_a_plain_deny_of_the_role_is_certain(aws: Any, world: World) -> None:
    bucket_policy(
        aws,
        {
            "Effect": "Deny",
            "Principal": {"AWS": world.role_arn},
            "Action": "s3:Get*",
            "Resource": OBJECTS,
        },
    )
    report = run(world)
    assert findings(report)["MODEL_ARTIFACT_VPC_RESTRICTED"]["severity"] == "HIGH"
    assert report["outcome"] == "FAIL"


def test_allow_only_from_the_endpoint_rests_on_the_role_own_policy(aws: Any, world: World) -> None:
    """Same account: the bucket policy's grant is not needed when the role's own policy
    allows the read (nothing denies it); without that, the answer is the role's policy."""
    through_the_endpoint = {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}
    bucket_policy(aws, for_anyone("Allow", "s3:GetObject", through_the_endpoint))
    report = run(world)
    finding = findings(report)["MODEL_ARTIFACT_VPC_RESTRICTED"]
    assert finding["severity"] == "MEDIUM" and finding["evidence"]["onlyAllows"] is True
    reads = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    aws.client("iam").put_role_policy(
        RoleName=ROLE_NAME,
        PolicyName="reads",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [reads]}),
    )
    assert run(world)["outcome"] == "PASS"


# --- R5: routes, route by route -----------------------------------------------------------
def test_a_more_specific_route_takes_s3_away_from_the_endpoint(aws: Any, world: World) -> None:
    ec2 = aws.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=world.vpc_id)
    ec2.create_route(
        RouteTableId=world.route_table_ids[0], DestinationCidrBlock=S3_RANGE, GatewayId=igw
    )
    report = run(world)
    finding = findings(report)["S3_ENDPOINT_ROUTE_MISSING"]
    # The job's interfaces have private addresses only, which AWS states for SageMaker but
    # the guardrail cannot read: cautious MEDIUM, naming that unknown (docs/aws-rules.md).
    assert finding["severity"] == "MEDIUM"
    assert igw in finding["evidence"]["undetermined"]
    [path] = finding["evidence"]["paths"]
    assert path["routeTable"] == world.route_table_ids[0]
    assert path["s3Routes"][S3_RANGE] == [
        {"destination": S3_RANGE, "target": igw, "hop": "internet-gateway"}
    ]


def test_a_default_route_to_the_internet_never_beats_the_endpoint(aws: Any, world: World) -> None:
    ec2 = aws.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=world.vpc_id)
    ec2.create_route(
        RouteTableId=world.route_table_ids[0], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw
    )
    assert run(world)["outcome"] == "PASS"


def _nat(session: Any, world: World) -> str:
    """A public NAT gateway as AWS's pages build one: in a public subnet whose own route
    table sends 0.0.0.0/0 to the VPC's internet gateway."""
    ec2 = session.client("ec2")
    subnet = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.250.0/24")["Subnet"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=world.vpc_id)
    public = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public, SubnetId=subnet["SubnetId"])
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat: str = ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=allocation)[
        "NatGateway"
    ]["NatGatewayId"]
    return nat


def test_nat_path_without_an_endpoint_is_an_advisory(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    aws.client("ec2").create_route(
        RouteTableId=world.route_table_ids[0],
        DestinationCidrBlock="0.0.0.0/0",
        NatGatewayId=_nat(aws, world),
    )
    report = run(world)
    finding = findings(report)["S3_ENDPOINT_MISSING"]
    assert finding["severity"] == "LOW" and finding["evidence"]["natPath"] is True
    assert report["outcome"] == "PASS"


def test_only_the_policy_of_the_endpoint_the_tables_use_matters(aws: Any, world: World) -> None:
    """A second S3 endpoint on another table, whose policy refuses everything, is not the
    job's path."""
    ec2 = aws.client("ec2")
    other_table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    refuse = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    ec2.create_vpc_endpoint(
        VpcId=world.vpc_id,
        ServiceName=f"com.amazonaws.{REGION}.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[other_table],
        PolicyDocument=json.dumps(refuse),
    )
    assert run(world)["outcome"] == "PASS"


def test_endpoint_policy_on_the_organization_is_undetermined(aws: Any, world: World) -> None:
    org_only = {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
    policy = {"Statement": [for_anyone("Allow", "s3:GetObject", org_only, resource="*")]}
    aws.client("ec2").modify_vpc_endpoint(
        VpcEndpointId=world.endpoint_id, PolicyDocument=json.dumps(policy)
    )
    report = run(world)
    finding = findings(report)["S3_ENDPOINT_POLICY_DENIES"]
    assert finding["severity"] == "MEDIUM"
    assert finding["evidence"]["undetermined"] == "aws:PrincipalOrgID"
    assert report["outcome"] == "WARN"


# --- R8: the role's own policies ----------------------------------------------------------
def _role_policy(session: Any, *statements: dict[str, Any]) -> None:
    iam = session.client("iam")
    iam.detach_role_policy(RoleName=ROLE_NAME, PolicyArn=FULL_ACCESS)
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    iam.put_role_policy(
        RoleName=ROLE_NAME, PolicyName="scoped", PolicyDocument=json.dumps(document)
    )


DESCRIBES = {
    "Effect": "Allow",
    "Action": [a for a in ROLE_REQUIRED_ACTIONS if ":Describe" in a],
    "Resource": "*",
}
INTERFACE_ACTIONS = [a for a in ROLE_REQUIRED_ACTIONS if ":Describe" not in a]


def test_interface_actions_scoped_to_one_existing_interface_fail(aws: Any, world: World) -> None:
    existing = f"arn:aws:ec2:{REGION}:{world.account}:network-interface/eni-0123456789abcdef0"
    _role_policy(
        aws, DESCRIBES, {"Effect": "Allow", "Action": INTERFACE_ACTIONS, "Resource": existing}
    )
    report = run(world, event=_no_simulator(world))
    finding = findings(report)["ROLE_VPC_PERMISSIONS_MISSING"]
    assert finding["severity"] == "HIGH"
    assert "ec2:CreateNetworkInterface" in finding["evidence"]["denied"]


def test_interface_actions_on_the_job_vpc_resources_pass(aws: Any, world: World) -> None:
    arns = [
        f"arn:aws:ec2:{REGION}:{world.account}:network-interface/*",
        *(f"arn:aws:ec2:{REGION}:{world.account}:subnet/{s}" for s in world.subnet_ids),
        *(f"arn:aws:ec2:{REGION}:{world.account}:security-group/{g}" for g in world.group_ids),
    ]
    _role_policy(aws, DESCRIBES, {"Effect": "Allow", "Action": INTERFACE_ACTIONS, "Resource": arns})
    assert run(world, event=_no_simulator(world))["outcome"] == "PASS"


def test_a_boundary_that_leaves_out_ec2_fails_the_role(aws: Any, world: World) -> None:
    iam = aws.client("iam")
    boundary = iam.create_policy(
        PolicyName="s3-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=ROLE_NAME, PermissionsBoundary=boundary)
    report = run(world, event=_no_simulator(world))
    finding = findings(report)["ROLE_VPC_PERMISSIONS_MISSING"]
    assert finding["severity"] == "HIGH"
    # The ten actions a VPC job needs (the eleventh AWS lists is the advisory's).
    assert len(finding["evidence"]["denied"]) == 10
    assert set(finding["evidence"]["causes"].values()) == {"permissions boundary"}
    command = finding["remediation"]["command"]
    assert "permissions boundary" in command and "attach-role-policy" not in command


def test_a_condition_on_a_tag_leaves_the_role_undetermined(aws: Any, world: World) -> None:
    tagged = {
        "Effect": "Allow",
        "Action": INTERFACE_ACTIONS,
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/team": "ml"}},
    }
    _role_policy(aws, DESCRIBES, tagged)
    report = run(world, event=_no_simulator(world))
    finding = findings(report)["ROLE_VPC_PERMISSIONS_MISSING"]
    assert finding["severity"] == "MEDIUM"
    assert "aws:ResourceTag/team" in finding["evidence"]["undetermined"]
    assert "simulate-principal-policy" in finding["remediation"]["command"]
    assert report["outcome"] == "WARN"


def _no_simulator(world: World) -> dict[str, Any]:
    """moto has no iam:SimulatePrincipalPolicy (docs/moto.md, "IAM"): in-process it raises
    NotImplementedError, which sends the role check to its fallback, the path tested here."""
    return world.event(load_event("good_job"))


# --- Section 6: every write inside its scope ---------------------------------------------
def test_a_group_of_another_vpc_is_never_written(aws: Any) -> None:
    world = build_world(aws, REGION, group_egress="none")
    ec2 = aws.client("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    stray = ec2.create_security_group(GroupName="stray", Description="x", VpcId=other_vpc)
    ec2.revoke_security_group_egress(
        GroupId=stray["GroupId"],
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    event = world.event(load_event("good_job"))
    vpc_config = event["detail"]["requestParameters"]["inputConfig"]["vpcConfig"]
    vpc_config["securityGroupIds"] = [stray["GroupId"], *world.group_ids]
    report = run(world, APPLY, event)
    written = {a["resource"] for a in report["actions"] if a["status"] == "APPLIED"}
    assert written == {world.group_ids[0]}
    stray_rules = ec2.describe_security_groups(GroupIds=[stray["GroupId"]])["SecurityGroups"]
    assert stray_rules[0]["IpPermissionsEgress"] == []


def test_nat_tables_are_left_alone_and_private_tables_get_the_endpoint(aws: Any) -> None:
    world = build_world(aws, REGION, with_endpoint=False)
    ec2 = aws.client("ec2")
    nat_table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=nat_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=_nat(aws, world)
    )
    [association] = [
        a["RouteTableAssociationId"]
        for a in ec2.describe_route_tables(RouteTableIds=world.route_table_ids)["RouteTables"][0][
            "Associations"
        ]
        if a.get("SubnetId") == world.subnet_ids[1]
    ]
    ec2.replace_route_table_association(AssociationId=association, RouteTableId=nat_table)
    report = run(world, APPLY)
    by_status = {a["status"]: a for a in report["actions"]}
    assert by_status["APPLIED"]["target"]["routeTableIds"] == [world.route_table_ids[0]]
    assert by_status["SKIPPED"]["target"]["routeTableIds"] == [nat_table]
    [endpoint] = [
        e
        for e in ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}])[
            "VpcEndpoints"
        ]
        if e["State"].lower() != "deleted"
    ]
    assert endpoint["RouteTableIds"] == [world.route_table_ids[0]]


def test_tables_are_never_attached_to_an_endpoint_that_refuses_the_job(
    aws: Any, world: World
) -> None:
    ec2 = aws.client("ec2")
    elsewhere = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::x/*"}
        ]
    }
    ec2.modify_vpc_endpoint(
        VpcEndpointId=world.endpoint_id,
        RemoveRouteTableIds=world.route_table_ids,
        PolicyDocument=json.dumps(elsewhere),
    )
    report = run(world, APPLY)
    [action] = [a for a in report["actions"] if a["action"] == "add-endpoint-route-tables"]
    assert action["status"] == "MANUAL"
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[world.endpoint_id])["VpcEndpoints"][0]
    assert endpoint["RouteTableIds"] == []


@pytest.mark.parametrize("partition_region", ["cn-north-1", "us-gov-west-1"])
def test_objects_are_judged_in_the_job_partition(aws: Any, partition_region: str) -> None:
    """A bucket policy in aws-cn / aws-us-gov names its objects with that partition."""
    session = aws.__class__(region_name=partition_region)
    world = build_world(session, partition_region)
    partition = "aws-cn" if partition_region.startswith("cn-") else "aws-us-gov"
    objects = f"arn:{partition}:s3:::{MODEL_BUCKET}/*"
    deny = for_anyone("Deny", "s3:GetObject", OUTSIDE_THE_ENDPOINT, resource=objects)
    session.client("s3").put_bucket_policy(
        Bucket=MODEL_BUCKET, Policy=json.dumps({"Statement": [deny]})
    )
    report = run(world)
    assert findings(report)["MODEL_ARTIFACT_VPC_RESTRICTED"]["severity"] == "HIGH"


def test_the_simulator_is_read_per_resource_the_call_names(aws: Any, world: World) -> None:
    """AWS's simulator answers one aggregate result per action, with per-resource decisions
    in ResourceSpecificResults. moto has no simulator (docs/moto.md, "IAM"): this one call is
    answered here, as AWS would for a role that may describe everything and create
    interfaces in every job subnet but the second."""
    denied_subnet = f"arn:aws:ec2:{REGION}:{world.account}:subnet/{world.subnet_ids[1]}"
    asked: dict[str, list[str]] = {}

    def simulate(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        body = params["body"]
        actions = [v for k, v in sorted(body.items()) if k.startswith("ActionNames.member.")]
        resources = [v for k, v in sorted(body.items()) if k.startswith("ResourceArns.member.")]
        asked["resources"] = resources

        def decision(action: str, arn: str) -> str:
            return (
                "implicitDeny"
                if arn == denied_subnet or ("Describe" in action and arn != "*")
                else "allowed"
            )

        results = []
        for action in actions:
            specific = [
                {"EvalResourceName": arn, "EvalResourceDecision": decision(action, arn)}
                for arn in resources
            ]
            worst = (
                "implicitDeny"
                if any(s["EvalResourceDecision"] != "allowed" for s in specific)
                else "allowed"
            )
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": "*",
                    "EvalDecision": worst,
                    "ResourceSpecificResults": specific,
                }
            )

        class Http:
            status_code = 200

        return Http(), {"EvaluationResults": results, "IsTruncated": False}

    aws.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
    report = handle_event(
        world.event(load_event("good_job")),
        REPORT,
        lambda region: AwsClients(region, session=aws),
        lock=LocalVpcLock(),
    )[0].to_dict()
    assert denied_subnet in asked["resources"] and "*" in asked["resources"]
    finding = findings(report)["ROLE_VPC_PERMISSIONS_MISSING"]
    assert finding["evidence"]["method"] == "iam:SimulatePrincipalPolicy"
    assert finding["evidence"]["denied"] == {"ec2:CreateNetworkInterface": "implicitDeny"}
    assert finding["severity"] == "HIGH"
