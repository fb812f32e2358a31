"""Every AWS call the engine makes, failed four ways: the report still comes out whole."""

from collections import Counter
from typing import Any

import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.discover import READ_ACTIONS
from ir_vpc_guard.discovery.prefix_lists import forget_s3_prefix_lists
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import load_event
from tests.integration.calls import counting_session
from tests.reliability.faults import CALLS, access_denied, server_error, throttle, timeout

# Every test here only reads the one compliant world (report mode, no table): it is built
# once for the module. Retries keep their count; only the seconds of backoff are skipped.
pytestmark = pytest.mark.usefixtures("no_retry_sleep")


def run(world: World, session: Any) -> dict[str, Any]:
    event = world.event(load_event("good_job"))
    return handle_event(
        event, Settings(), lambda r: AwsClients(r, session=session), lock=LocalVpcLock()
    )[0].to_dict()


# Reads that are not attempted when the read they depend on failed, and carry its error.
DEPENDENT_READS = {
    "vpc": ("dhcp_name_servers",),
    # Which NAT gateways and customer lists the job subnets' tables route to is unknown.
    "route_tables": ("nat_gateways", "route_prefix_lists"),
    # Which prefix lists the rules name is unknown when the groups could not be read.
    "security_groups": ("referenced_prefix_lists",),
    "model": ("artifact_bucket_policies", "payload_bucket_policies", "repository_policies"),
}

# The world's rules and routes name no prefix list but S3's, so these reads make no call of
# their own (a failed read of a named list is tested in tests/integration/test_prefix_lists.py).
# An Inference Recommender job reads no job bucket nor a private registry's Lambda endpoints
# (tests/integration/test_training_data_path.py fails those).
NO_CALL_IN_WORLD = {
    "referenced_prefix_lists",
    "route_prefix_lists",
    "job_bucket_policies",
    "lambda_endpoints",
    "dns_hostnames",
}

FAULTS = {
    "AccessDenied": (access_denied, "AccessDenied"),
    "500": (server_error, "InternalError"),
    "timeout": (timeout, "ConnectTimeoutError"),
}


def _session(service: str) -> Any:
    """Counting session; IAM faults target the role's policies, read when simulation is absent."""
    return counting_session(Counter(), simulator=None if service == "iam" else "allowed")


@pytest.mark.parametrize("call", CALLS)
def test_each_failed_call_is_a_check_error_and_the_rest_still_runs(
    shared_world: World, call: str
) -> None:
    service, operation = call.split(".")
    owners = {
        read
        for read, actions in READ_ACTIONS.items()
        if f"{service}:{operation}" in actions and read not in NO_CALL_IN_WORLD
    }
    owners |= {r for o in owners for r in DEPENDENT_READS.get(o, ())}
    for fault, (make_hook, code) in FAULTS.items():
        session = _session(service)
        session.events.register(f"before-call.{service}.{operation}", make_hook(operation))
        report = run(shared_world, session)
        errors = [f for f in report["findings"] if f["checkId"] == "CHECK_ERROR"]
        assert errors, (call, fault)
        assert all(f["evidence"]["errorCode"] == code for f in errors), (call, fault, errors)
        assert {r for f in errors for r in f["evidence"]["reads"]} == owners, (call, fault)
        assert {f["checkId"] for f in report["findings"]} == {"CHECK_ERROR"}, (call, fault)
        assert report["outcome"] == "ERROR"
        assert report["summary"]["checks"]["passed"], "the other checks still ran"


def test_failed_simulation_falls_back_to_the_roles_policies(shared_world: World) -> None:
    session = counting_session(Counter(), simulator=None)
    session.events.register("before-call.iam.SimulatePrincipalPolicy", access_denied("Simulate"))
    report = run(shared_world, session)
    assert report["outcome"] == "PASS"
    assert "ROLE_VPC_PERMISSIONS_MISSING" in report["summary"]["checks"]["passed"]


@pytest.mark.parametrize(("service", "operation"), [c.split(".") for c in CALLS])
def test_throttling_is_retried_within_a_bounded_budget(
    shared_world: World, service: str, operation: str
) -> None:
    sends: list[int] = []
    session = _session(service)
    session.events.register_first(f"before-send.{service}.{operation}", throttle(service, 2, sends))
    assert run(shared_world, session)["outcome"] == "PASS"  # two throttles, then success

    endless: list[int] = []
    forget_s3_prefix_lists()  # the run above cached the S3 list: read it again, and fail
    session = _session(service)
    session.events.register_first(
        f"before-send.{service}.{operation}", throttle(service, 99, endless)
    )
    report = run(shared_world, session)
    errors = [f for f in report["findings"] if f["checkId"] == "CHECK_ERROR"]
    assert errors and report["outcome"] == "ERROR"
    per_call = 4  # total_max_attempts of the one retry policy (ir_vpc_guard.aws)
    assert len(endless) % per_call == 0 and len(endless) <= 2 * per_call  # two buckets at most
