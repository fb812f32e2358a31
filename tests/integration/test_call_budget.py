"""Discovery's cost: at most 14 AWS calls per job, the same for 3 or 500 other subnets; one
more per distinct prefix list (other than S3's) the job's rules or its subnets' routes name,
one more when those routes go to NAT gateways, one more when a job group is in another
VPC than the subnets'; fewer when warm."""

from collections import Counter
from typing import Any

import pytest

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, add_peer_egress, build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.egress_rules import https_to
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.test_group_associations import ASSOCIATIONS, platform_group
from tests.integration.test_s3_paths import nat_gateway

EXPECTED = Counter(
    {
        "ec2.DescribeSubnets": 1,
        "ec2.DescribeSecurityGroups": 1,
        "ec2.DescribeNetworkAcls": 1,
        "ec2.DescribePrefixLists": 1,
        # moto's DescribePrefixLists has no Cidrs (AWS has): one more call for the entries.
        "ec2.GetManagedPrefixListEntries": 1,
        "ec2.DescribeVpcs": 1,
        "ec2.DescribeVpcAttribute": 1,
        "ec2.DescribeRouteTables": 1,
        "ec2.DescribeVpcEndpoints": 1,
        "iam.SimulatePrincipalPolicy": 1,
        "sagemaker.DescribeModelPackage": 1,
        "s3.GetBucketPolicy": 2,  # the artifact bucket and the payload bucket
        "ecr.GetRepositoryPolicy": 1,
    }
)


@pytest.mark.parametrize("other_subnets", [3, 500])
def test_full_check_costs_the_same_calls_whatever_the_vpc_size(
    aws: Any, other_subnets: int
) -> None:
    world = build_world(aws, REGION, extra_subnets=other_subnets)
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        clients_factory(session),
        lock=LocalVpcLock(),
    )[0]
    assert report.outcome.value == "PASS", report.to_dict()["findings"]
    assert calls == EXPECTED
    assert sum(calls.values()) == 14


PREFIX_LIST_READS = ("ec2.DescribePrefixLists", "ec2.GetManagedPrefixListEntries")


def _check(world: Any, calls: Counter[str]) -> str:
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        clients_factory(counting_session(calls)),
        lock=LocalVpcLock(),
    )[0]
    return report.outcome.value


def test_a_warm_container_reads_the_s3_prefix_list_once(aws: Any) -> None:
    world = build_world(aws, REGION)
    cold: Counter[str] = Counter()
    warm: Counter[str] = Counter()
    assert _check(world, cold) == "PASS"
    assert _check(world, warm) == "PASS"
    assert cold == EXPECTED and sum(cold.values()) == 14
    # Both reads of the S3 list are skipped when warm (on AWS, where DescribePrefixLists
    # answers the CIDRs, that is the one call DescribePrefixLists).
    assert warm == EXPECTED - Counter(dict.fromkeys(PREFIX_LIST_READS, 1))
    assert sum(warm.values()) == 12


def test_each_distinct_customer_list_named_costs_one_call(aws: Any) -> None:
    world = build_world(aws, REGION)
    ec2 = aws.client("ec2")
    lists = [
        ec2.create_managed_prefix_list(
            PrefixListName=name, MaxEntries=5, AddressFamily="IPv4", Entries=[{"Cidr": cidr}]
        )["PrefixList"]["PrefixListId"]
        for name, cidr in (("corp-a", "192.168.0.0/24"), ("corp-b", "192.168.1.0/24"))
    ]
    second = ec2.create_security_group(
        GroupName="ir-job-2", Description="second job group", VpcId=world.vpc_id
    )["GroupId"]
    # Three rules over two groups name the two lists: "corp-a" twice.
    for group, port, prefix_list in (
        (world.group_ids[0], 8443, lists[0]),
        (second, 8443, lists[0]),
        (second, 9443, lists[1]),
    ):
        ec2.authorize_security_group_egress(
            GroupId=group,
            IpPermissions=[https_to(prefix_list, port, port)],
        )
    world.group_ids.append(second)
    calls: Counter[str] = Counter()
    assert _check(world, calls) == "PASS"
    assert calls == EXPECTED + Counter({"ec2.GetManagedPrefixListEntries": 2})
    assert sum(calls.values()) == 16


def test_cidrs_answered_with_the_s3_list_save_the_entries_read(aws: Any) -> None:
    world = build_world(aws, REGION)
    entries = aws.client("ec2").get_managed_prefix_list_entries(PrefixListId=world.prefix_list_id)
    cidrs = [e["Cidr"] for e in entries["Entries"]]

    def as_aws_answers(parsed: dict[str, Any], **_: Any) -> None:
        # moto's DescribePrefixLists has no Cidrs (docs/moto.md, "Prefix lists"); AWS's: add them.
        for prefix_list in parsed.get("PrefixLists", []):
            prefix_list["Cidrs"] = cidrs

    calls: Counter[str] = Counter()
    session = counting_session(calls)
    session.events.register("after-call.ec2.DescribePrefixLists", as_aws_answers)
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        clients_factory(session),
        lock=LocalVpcLock(),
    )[0]
    assert report.outcome.value == "PASS"
    assert calls == EXPECTED - Counter({"ec2.GetManagedPrefixListEntries": 1})
    assert sum(calls.values()) == 13


def test_invalid_ids_never_reach_aws(aws: Any) -> None:
    calls: Counter[str] = Counter()
    report = handle_event(
        load_event("invalid_ids"),
        Settings(),
        clients_factory(counting_session(calls)),
        lock=LocalVpcLock(),
    )[0]
    assert [f.check_id for f in report.findings] == ["VPC_CONFIG_INVALID"]
    assert calls == Counter()


def test_fallback_without_simulator_reads_the_roles_policies(aws: Any) -> None:
    world = build_world(aws, REGION)
    calls: Counter[str] = Counter()
    session = counting_session(calls, simulator=None)
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        clients_factory(session),
        lock=LocalVpcLock(),
    )[0]
    assert report.outcome.value == "PASS"
    iam = {k: v for k, v in calls.items() if k.startswith("iam.")}
    assert iam == {
        "iam.SimulatePrincipalPolicy": 1,
        "iam.GetRole": 1,  # its permissions boundary, if any
        "iam.ListAttachedRolePolicies": 1,
        "iam.ListRolePolicies": 1,
        # AWS's AmazonSageMakerFullAccess, attached: its default version, then that version.
        "iam.GetPolicy": 1,
        "iam.GetPolicyVersion": 1,
    }


@pytest.mark.parametrize("associated", [True, False])
def test_a_group_of_another_vpc_costs_one_associations_read(aws: Any, associated: bool) -> None:
    """The common case (every group in the subnets' VPC) makes no such read: EXPECTED."""
    world = build_world(aws, REGION)
    group = platform_group(aws, world)
    world.group_ids.append(group)
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    FakeGroupAssociations(session.events, aws.client("ec2"))  # moto implements neither call
    if associated:
        session.client("ec2").associate_security_group_vpc(GroupId=group, VpcId=world.vpc_id)
    calls.clear()
    report = handle_event(
        world.event(load_event("good_job")),
        Settings(),
        clients_factory(session),
        lock=LocalVpcLock(),
    )[0]
    assert report.outcome.value == ("WARN" if associated else "FAIL")
    assert calls == EXPECTED + Counter({ASSOCIATIONS: 1})
    assert sum(calls.values()) == 15


def test_a_nat_route_costs_one_call_for_every_nat_gateway_it_names(aws: Any) -> None:
    world = build_world(aws, REGION)
    ec2 = aws.client("ec2")
    for cidr, nat in (("0.0.0.0/0", nat_gateway(aws, world)), ("192.168.0.0/16", None)):
        # Two NAT routes on the job subnets' table, to the same NAT gateway.
        ec2.create_route(
            RouteTableId=world.route_table_ids[0],
            DestinationCidrBlock=cidr,
            NatGatewayId=nat or _nat_of(ec2, world),
        )
    calls: Counter[str] = Counter()
    assert _check(world, calls) == "PASS"
    assert calls == EXPECTED + Counter({"ec2.DescribeNatGateways": 1})
    assert sum(calls.values()) == 15


def _nat_of(ec2: Any, world: World) -> str:
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}])
    return str(nats["NatGateways"][0]["NatGatewayId"])


def test_a_route_to_a_customer_list_costs_one_call_and_shares_the_groups_read(
    aws: Any,
) -> None:
    world = build_world(aws, REGION)
    ec2 = aws.client("ec2")
    corp = ec2.create_managed_prefix_list(
        PrefixListName="corp",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "192.168.0.0/24"}],
    )["PrefixList"]["PrefixListId"]
    peer = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=world.vpc_id, PeerVpcId=peer)[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    ec2.create_route(
        RouteTableId=world.route_table_ids[0],
        DestinationPrefixListId=corp,
        VpcPeeringConnectionId=pcx,
    )
    routed: Counter[str] = Counter()
    assert _check(world, routed) == "PASS"
    assert routed == EXPECTED + Counter({"ec2.GetManagedPrefixListEntries": 1})
    assert sum(routed.values()) == 15
    # A job group's rule names the same list: its entries are still read once.
    ec2.authorize_security_group_egress(
        GroupId=world.group_ids[0], IpPermissions=[https_to(corp, 8443, 8443)]
    )
    both: Counter[str] = Counter()
    assert _check(world, both) == "PASS"
    # (warm: the S3 list is cached) one entries read, shared by the rule and the route
    assert both == routed - Counter(dict.fromkeys(PREFIX_LIST_READS, 1))
    assert both["ec2.GetManagedPrefixListEntries"] == 1


# The network and role reads every workload makes (EXPECTED without the Inference
# Recommender model's package and the resource policies on its artifacts, payload and
# image: a hosting workload reads the policies of its own buckets instead).
NETWORK = EXPECTED - Counter(
    {
        "sagemaker.DescribeModelPackage": 1,
        "s3.GetBucketPolicy": 2,
        "ecr.GetRepositoryPolicy": 1,
    }
)


def _hosting_calls(aws: Any, world: World, event_name: str) -> Counter[str]:
    """The calls one hosting event costs, on a world whose model `demo-model` is in the job
    subnets (and an endpoint config `demo-endpoint-config` of two variants on it)."""
    sagemaker = aws.client("sagemaker")
    sagemaker.create_model(
        ModelName="demo-model",
        PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1"},
        ExecutionRoleArn=world.role_arn,
        VpcConfig={"Subnets": world.subnet_ids, "SecurityGroupIds": world.group_ids},
    )
    variants = [
        {"VariantName": n, "ModelName": "demo-model", "InitialInstanceCount": 1}
        | {"InstanceType": "ml.m5.large"}
        for n in ("A", "B")
    ]
    sagemaker.create_endpoint_config(
        EndpointConfigName="demo-endpoint-config", ProductionVariants=variants
    )
    event = load_event(event_name)
    if event_name == "model":
        params = event["detail"]["requestParameters"]
        params["executionRoleArn"] = world.role_arn
        params["vpcConfig"] = {"subnets": world.subnet_ids, "securityGroupIds": world.group_ids}
    calls: Counter[str] = Counter()
    reports = handle_event(
        event, Settings(), clients_factory(counting_session(calls)), lock=LocalVpcLock()
    )
    assert [r.outcome.value for r in reports] == ["PASS"], [r.to_dict() for r in reports]
    return calls


def test_a_model_costs_the_network_reads_and_its_data_buckets_policy(aws: Any) -> None:
    """The sample's one ModelDataUrl: GetBucketPolicy of its bucket."""
    calls = _hosting_calls(aws, build_world(aws, REGION), "model")
    assert calls == NETWORK + Counter({"s3.GetBucketPolicy": 1})
    assert sum(calls.values()) == 11


def test_an_endpoint_reads_its_config_and_each_model_once(aws: Any) -> None:
    """The event names only the endpoint config: DescribeEndpointConfig for its variants,
    DescribeModel once for the model both variants name (its VpcConfig, role and containers;
    this one names no model data: no bucket read)."""
    calls = _hosting_calls(aws, build_world(aws, REGION), "endpoint")
    assert calls == NETWORK + Counter(
        {"sagemaker.DescribeEndpointConfig": 1, "sagemaker.DescribeModel": 1}
    )
    assert sum(calls.values()) == 12


def test_a_transform_job_reads_its_model_once(aws: Any) -> None:
    """The request names the model: DescribeModel for its VpcConfig, role and containers
    (this one names no model data); GetBucketPolicy of the one bucket of its input and
    output."""
    world = build_world(aws, REGION)
    add_peer_egress(aws.client("ec2"), world.group_ids[0])  # all ports to its peers
    calls = _hosting_calls(aws, world, "transform_job")
    assert calls == NETWORK + Counter({"sagemaker.DescribeModel": 1, "s3.GetBucketPolicy": 1})
    assert sum(calls.values()) == 12
