"""Big inputs: 16 subnets x 5 groups x 60 rules, in a VPC of 500 subnets and 200 route
tables. The result stays right and the call count stays within the budget (time and memory
are measured in benchmarks/, not asserted here)."""

from collections import Counter
from typing import Any

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import build_world
from tests.conftest import REGION, load_event
from tests.integration.calls import counting_session
from tests.integration.egress_rules import revoke_rule, s3_rule

RULES_PER_GROUP = 60


def _noise_rules(ec2: Any, group: str, count: int, seed: int) -> None:
    """`count` egress rules that allow nothing the job needs (UDP and far-away CIDRs)."""
    permissions = [
        {
            "IpProtocol": "udp" if n % 2 else "tcp",
            "FromPort": 1000 + n,
            "ToPort": 1000 + n,
            "IpRanges": [{"CidrIp": f"192.168.{seed}.{n}/32"}],
        }
        for n in range(count)
    ]
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=permissions)


def test_sixteen_subnets_five_full_groups_in_a_crowded_vpc(aws: Any) -> None:
    world = build_world(aws, REGION, subnets=16, extra_subnets=500)
    ec2 = aws.client("ec2")
    for _ in range(200):
        ec2.create_route_table(VpcId=world.vpc_id)
    _noise_rules(ec2, world.group_ids[0], RULES_PER_GROUP - 2, seed=0)  # + 2 compliant rules
    for seed in range(1, 5):
        group = ec2.create_security_group(
            GroupName=f"noise-{seed}", Description="noise", VpcId=world.vpc_id
        )["GroupId"]
        ec2.revoke_security_group_egress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        _noise_rules(ec2, group, RULES_PER_GROUP, seed=seed)
        world.group_ids.append(group)

    calls: Counter[str] = Counter()
    session = counting_session(calls)
    event = world.event(load_event("good_job"))
    report = handle_event(
        event, Settings(), lambda r: AwsClients(r, session=session), lock=LocalVpcLock()
    )[0].to_dict()
    assert report["outcome"] == "PASS", report["findings"]
    assert len(report["job"]["subnets"]) == 16 and len(report["job"]["securityGroups"]) == 5
    assert sum(calls.values()) == 14

    # The same crowd with the S3 rule gone from the one group that had it: found, exactly.
    revoke_rule(aws, world, s3_rule(world))
    report = handle_event(
        event, Settings(), lambda r: AwsClients(r, session=session), lock=LocalVpcLock()
    )[0].to_dict()
    assert [f["checkId"] for f in report["findings"]] == ["SG_EGRESS_S3_MISSING"]
