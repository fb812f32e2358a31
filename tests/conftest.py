"""Shared fixtures: emulated AWS (moto, in-process), a compliant world, sample events."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import moto.iam.models as moto_iam
import moto.settings
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.iam.aws_managed_policies import aws_managed_policies_data

from ir_vpc_guard.discovery.prefix_lists import forget_s3_prefix_lists
from ir_vpc_guard_dev.sandbox import MOTO_ENVIRONMENT, World, build_world

ROOT = Path(__file__).resolve().parents[1]
# In every report on a world whose role holds only AWS's AmazonSageMakerFullAccess (LOW).
ROLE_ADVISORY = "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED"
EVENTS = ROOT / "events"
REGION = "us-east-1"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """Fake credentials and a fixed region, so nothing can reach a real account. Session
    scope: module-scoped worlds need them too; a test's own monkeypatch undoes its changes."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("POWERTOOLS_SERVICE_NAME", "ir-vpc-guard")
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
        patch.setenv("POWERTOOLS_METRICS_NAMESPACE", "IrVpcGuard")
        yield


@pytest.fixture(autouse=True, scope="session")
def _lean_emulation() -> Iterator[None]:
    """Skip work that no test looks at (it was most of a world's cost).

    Every boto3 session gets its own botocore loader, which parses each service's JSON
    model again: a test makes several sessions (the world's, the engine's, a counting
    one), so the sessions share one loader, as the clients of one session already do.
    moto's EC2 loads some 1,300 public AMIs into every region it starts (with a snapshot
    each): nothing here reads an image, so it loads none (the moto servers the CLI tests
    start inherit the setting).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        # Worlds as real accounts have them: AWS's managed policies, as moto ships them (read
        # when moto's IAM backend starts, so before any; the moto servers inherit it too).
        for name, value in MOTO_ENVIRONMENT.items():
            patch.setenv(name, value)
        shared = functools.cache(botocore.loaders.create_loader)
        patch.setattr(botocore.session, "create_loader", shared)
        patch.setattr(moto_iam.IAMBackend, "_init_aws_policies", _aws_managed_policies)
        yield


@functools.cache
def _managed_policy_data() -> list[tuple[str, dict[str, Any]]]:
    """AWS's managed policies as moto ships them, parsed and serialized once per process."""
    return [
        (name, {**data, "Document": json.dumps(data.get("Document"))})
        for name, data in json.loads(aws_managed_policies_data).items()
    ]


def _aws_managed_policies(backend: Any) -> list[Any]:
    """moto's own IAMBackend._init_aws_policies, but without parsing the 1,485 documents again
    for each of the six partitions' backends of every emulated account (that took ~2 s of a
    world's build): the same policies, the same documents, as moto's `from_data` makes them."""
    if not moto.settings.load_iam_aws_managed_policies():
        return []
    return [
        moto_iam.AWSManagedPolicy(  # type: ignore[abstract]  # (as moto's from_data does)
            name,
            account_id=backend.account_id,
            region=backend.region_name,
            default_version_id=data.get("DefaultVersionId"),
            path=data.get("Path"),
            document=data["Document"],
            create_date=datetime.fromisoformat(data["CreateDate"]),
            update_date=datetime.fromisoformat(data["UpdateDate"]),
        )
        for name, data in _managed_policy_data()
    ]


@pytest.fixture
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries keep their count; only the real seconds of backoff are skipped."""
    monkeypatch.setattr("botocore.retries.standard.time.sleep", lambda _s: None, raising=False)
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _s: None)


@pytest.fixture(autouse=True)
def _fresh_prefix_list_cache() -> Iterator[None]:
    """Each test starts cold: every emulated world has its own random S3 prefix list ID,
    which the warm-container cache would otherwise carry from one world to the next."""
    forget_s3_prefix_lists()
    yield
    forget_s3_prefix_lists()


_SHARED: list[str] = []  # the module whose shared account is open, if any


@pytest.fixture
def aws() -> Iterator[Any]:
    """An emulated AWS account; yields a boto3 session bound to it."""
    if _SHARED:  # a nested mock_aws would not reset: it would see, and keep, the shared state
        pytest.fail(f"{_SHARED[0]} has a shared account: take `shared_world`, not `aws`")
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture(scope="module")
def shared_aws(request: pytest.FixtureRequest) -> Iterator[Any]:
    """One emulated account for a whole module whose tests only read it; a test that
    writes anything takes `aws` (and a module takes one or the other, never both)."""
    _SHARED.append(request.module.__name__)
    try:
        with mock_aws():
            yield boto3.session.Session(region_name=REGION)
    finally:
        _SHARED.clear()


@pytest.fixture(scope="module")
def shared_world(shared_aws: Any, request: pytest.FixtureRequest) -> Iterator[World]:
    """The compliant world, built once for a module of read-only tests; it must be as
    built when the module ends (else a test wrote to it, and others may have seen that)."""
    world = build_world(shared_aws, REGION)
    built = _fingerprint(shared_aws, world)
    yield world
    if _fingerprint(shared_aws, world) != built:
        pytest.fail(
            f"a test of {request.module.__name__} wrote to its shared world: give it `world`"
        )


def _fingerprint(session: Any, world: World) -> str:
    """Most of what the checks read of a world, as one string."""
    ec2, iam, s3 = session.client("ec2"), session.client("iam"), session.client("s3")
    in_vpc = [{"Name": "vpc-id", "Values": [world.vpc_id]}]
    role = world.role_arn.rsplit("/", 1)[-1]
    state = [
        ec2.describe_vpcs(VpcIds=[world.vpc_id])["Vpcs"],
        *(
            ec2.describe_vpc_attribute(VpcId=world.vpc_id, Attribute=f"enable{name}")[
                f"Enable{name}"
            ]
            for name in ("DnsSupport", "DnsHostnames")
        ),
        ec2.describe_subnets(Filters=in_vpc)["Subnets"],
        ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"],
        ec2.describe_route_tables(Filters=in_vpc)["RouteTables"],
        ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"],
        ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"],
        ec2.describe_dhcp_options()["DhcpOptions"],
        iam.get_role(RoleName=role)["Role"],
        iam.list_role_policies(RoleName=role)["PolicyNames"],
        iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"],
        [(b["Name"], _bucket_policy(s3, b["Name"])) for b in s3.list_buckets()["Buckets"]],
    ]
    return json.dumps(state, default=str, sort_keys=True)


def _bucket_policy(s3: Any, bucket: str) -> str | None:
    try:
        policy: str = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError:
        return None
    return policy


@pytest.fixture
def world(aws: Any) -> World:
    """A VPC, job subnets, group, endpoint, role and model that meet every requirement."""
    return build_world(aws, REGION)


@pytest.fixture
def good_event(world: World) -> dict[str, Any]:
    """The sample CloudTrail event, pointed at the compliant world."""
    return world.event(load_event("good_job"))
