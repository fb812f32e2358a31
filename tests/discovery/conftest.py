"""Discovery's modules against moto: a job of the compliant world, clients that count every
call they make, and a wave to submit reads on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED
from ir_vpc_guard.discovery.waves import Wave, waves
from ir_vpc_guard.intake.event import parse_event
from ir_vpc_guard.intake.request import JobRequest
from tests.conftest import REGION
from tests.integration.calls import counting_session


@pytest.fixture
def calls() -> Counter[str]:
    """Every AWS call made through `clients`, by "service.Operation"."""
    return Counter()


@pytest.fixture
def clients(aws: Any, calls: Counter[str]) -> AwsClients:
    """The job account's clients, counting into `calls` (the simulator answers "allowed")."""
    return AwsClients(REGION, session=counting_session(calls))


@pytest.fixture
def job(good_event: dict[str, Any]) -> JobRequest:
    parsed = parse_event(good_event)
    assert isinstance(parsed, JobRequest), parsed
    return parsed


@pytest.fixture
def wave() -> Iterator[Wave]:
    with waves(UNLIMITED, 8, "test") as opened:
        yield opened
