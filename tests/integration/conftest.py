"""Fixtures of the handler's surroundings as the template deploys them: the SNS topic with
a subscriber's queue, and the records table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lambda_context import Inbox, create_table


@pytest.fixture
def inbox(aws: Any) -> Inbox:
    return Inbox(aws)


@pytest.fixture
def table(aws: Any) -> str:
    return create_table(aws)
