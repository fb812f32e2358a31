"""Shared fixtures: emulated AWS (moto, in-process), a compliant world, sample events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ir_vpc_guard.discovery.prefix_lists import forget_s3_prefix_lists
from ir_vpc_guard_dev.sandbox import World, build_world

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
REGION = "us-east-1"


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a fixed region, so nothing can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "ir-vpc-guard")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "IrVpcGuard")


@pytest.fixture(autouse=True)
def _fresh_prefix_list_cache() -> Iterator[None]:
    """Each test starts cold: every emulated world has its own random S3 prefix list ID,
    which the warm-container cache would otherwise carry from one world to the next."""
    forget_s3_prefix_lists()
    yield
    forget_s3_prefix_lists()


@pytest.fixture
def aws() -> Iterator[Any]:
    """An emulated AWS account; yields a boto3 session bound to it."""
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture
def world(aws: Any) -> World:
    """A VPC, job subnets, group, endpoint, role and model that meet every requirement."""
    return build_world(aws, REGION)


@pytest.fixture
def good_event(world: World) -> dict[str, Any]:
    """The sample CloudTrail event, pointed at the compliant world."""
    return world.event(load_event("good_job"))
