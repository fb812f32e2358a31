"""§4: a job group of another VPC associated with the job's VPC (AssociateSecurityGroupVpc)
is usable there; whether SageMaker accepts it is undocumented, so VPC_MISMATCH is at most
MEDIUM for it, and nothing stops the job on it. The associations are read with one call,
only when a group is in another VPC (tests/integration/test_call_budget.py counts it).

moto implements neither call: tests/integration/fake_group_associations.py answers them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Mode
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World, build_world, set_group_egress
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.fake_recommender import FakeRecommender
from tests.report_schema import validate_report

STOP_ALL = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)
ASSOCIATIONS = "ec2.DescribeSecurityGroupVpcAssociations"


def platform_group(aws: Any, world: World) -> str:
    """A group of another VPC of the account (a platform team's), with the egress the job
    needs: the job uses it instead of one of its own VPC."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(
        GroupName="platform-ir", Description="shared by the platform team", VpcId=vpc
    )["GroupId"]
    set_group_egress(ec2, group, "compliant", world.prefix_list_id)
    return str(group)


def run(
    aws: Any, *, associated: bool, fake: bool = True, refuse: Any = None
) -> tuple[Report, Counter[str], FakeRecommender]:
    world = build_world(aws, REGION)
    group = platform_group(aws, world)
    world = replace(world, group_ids=[group])
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    if fake:
        FakeGroupAssociations(session.events, aws.client("ec2"))
    if refuse is not None:
        session.events.register("before-call.ec2.DescribeSecurityGroupVpcAssociations", refuse)
    if associated:
        session.client("ec2").associate_security_group_vpc(GroupId=group, VpcId=world.vpc_id)
    event = world.event(load_event("good_job"))
    recommender = FakeRecommender(session)
    recommender.add(world, event["detail"]["requestParameters"]["jobName"])
    calls.clear()
    report = handle_event(
        event, STOP_ALL, clients_factory(session), home_account=world.account, lock=LocalVpcLock()
    )[0]
    return report, calls, recommender


def mismatch(report: Report) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        f for f in report.to_dict()["findings"] if f["checkId"] == "VPC_MISMATCH"
    ]
    (only,) = found
    return only


def test_an_associated_group_is_at_most_medium_and_never_stops_the_job(aws: Any) -> None:
    report, calls, recommender = run(aws, associated=True)
    validate_report(report.to_dict())
    found = mismatch(report)
    assert found["severity"] == "MEDIUM", found
    assert "undocumented" in found["evidence"]["undetermined"]
    assert "describe-security-group-vpc-associations" in found["remediation"]["command"]
    assert report.outcome.value == "WARN", report.to_dict()["findings"]
    assert not report.to_dict().get("actions")
    assert [j["Status"] for j in recommender.jobs.values()] == ["IN_PROGRESS"]
    assert calls[ASSOCIATIONS] == 1


def test_a_group_of_another_vpc_not_associated_is_a_certain_mismatch(aws: Any) -> None:
    report, calls, recommender = run(aws, associated=False)
    found = mismatch(report)
    assert found["severity"] == "HIGH" and "undetermined" not in found["evidence"]
    assert report.outcome.value == "FAIL"
    assert [j["Status"] for j in recommender.jobs.values()] == ["STOPPING"]
    assert calls[ASSOCIATIONS] == 1


def _unauthorized(**_: Any) -> None:
    error: Any = {"Code": "UnauthorizedOperation", "Message": "not authorized"}
    raise ClientError({"Error": error}, "DescribeSecurityGroupVpcAssociations")


@pytest.mark.parametrize("refusal", ["NotImplemented", "UnauthorizedOperation"])
def test_associations_that_cannot_be_read_leave_the_group_undetermined(
    aws: Any, refusal: str
) -> None:
    """moto itself (the call is not implemented there), or AWS refusing it (a stack
    deployed before the template granted the action): MEDIUM, naming why, and no stop."""
    refuse = _unauthorized if refusal == "UnauthorizedOperation" else None
    report, _, recommender = run(aws, associated=False, fake=False, refuse=refuse)
    found = mismatch(report)
    assert found["severity"] == "MEDIUM" and refusal in found["evidence"]["undetermined"]
    assert report.outcome.value == "WARN"
    assert [j["Status"] for j in recommender.jobs.values()] == ["IN_PROGRESS"]
