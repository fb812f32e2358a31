"""R8 in a shared VPC: the simulator is asked about the shared subnets and the VPC with the
owner's account in their ARNs (their `OwnerId`), the job's own group and interfaces with the
job's. The shared world and its narrow fakes are test_shared_vpc's (moto cannot share)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from tests.conftest import REGION, load_event
from tests.integration.calls import _Http, clients_factory, counting_session
from tests.integration.test_shared_vpc import _share, _shared_world
from tests.vpc_owner import OWNER, READ_ROLE


def test_shared_resources_are_simulated_in_the_owners_account(aws: Any) -> None:
    world, owner = _shared_world(aws, with_endpoint=True, group_egress="compliant")
    owner.client("iam").create_role(RoleName=READ_ROLE, AssumeRolePolicyDocument="{}")
    session = counting_session(Counter(), simulator=None)
    _share(session, owner, world, aws)
    asked: dict[str, Any] = {}

    def simulate(params: dict[str, Any], **_: Any) -> Any:
        asked.update(params["body"])
        results = [{"EvalActionName": a, "EvalDecision": "allowed"} for a in ROLE_REQUIRED_ACTIONS]
        return _Http(), {"EvaluationResults": results, "IsTruncated": False}

    session.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
    settings = Settings(vpc_owner_read_role_name=READ_ROLE)
    report = handle_event(
        world.event(load_event("good_job")), settings, clients_factory(session), lock=LocalVpcLock()
    )[0]
    assert report.outcome.value == "PASS", report.to_dict()["findings"]
    resources = [v for k, v in asked.items() if k.startswith("ResourceArns.member.")]
    shared = f"arn:aws:ec2:{REGION}:{OWNER}:"
    mine = f"arn:aws:ec2:{REGION}:{world.account}:"
    assert {f"{shared}subnet/{s}" for s in world.subnet_ids} <= set(resources)
    assert f"{mine}security-group/{world.group_ids[0]}" in resources  # the job account's group
    assert f"{mine}network-interface/*" in resources
    assert not any(r.startswith(f"{mine}subnet/") for r in resources)
    assert f"{shared}vpc/{world.vpc_id}" in asked.values()  # ec2:Vpc
