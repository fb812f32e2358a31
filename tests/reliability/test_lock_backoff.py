"""A waiter for a VPC's lock backs off: a long wait costs few conditional writes.

Polling every 0.25 s, one waiter made 120 PutItem calls in a 30 s wait (and ten waiters
1,200, all on one item). The backoff doubles up to a bound, with jitter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ir_vpc_guard.state.lock import MAX_POLL_SECONDS, DynamoVpcLock, LockTimeoutError
from tests.reliability.test_concurrency import TABLE, FakeClock, make_table

VPC = "vpc-0123456789abcdef0"
MOST_WRITES_IN_30_S = 17  # was 121 (one every 0.25 s)


def count_writes(dynamodb: Any) -> list[str]:
    writes: list[str] = []
    dynamodb.meta.events.register(
        "before-call.dynamodb.PutItem", lambda **_: writes.append("PutItem")
    )
    return writes


def lowest(low: float, high: float) -> float:
    return low


def highest(low: float, high: float) -> float:
    return high


@pytest.mark.parametrize("jitter", [lowest, highest], ids=["shortest-sleeps", "longest-sleeps"])
def test_a_waiter_makes_few_writes_in_a_long_wait(
    aws: Any, jitter: Callable[[float, float], float]
) -> None:
    make_table(aws)
    dynamodb = aws.client("dynamodb")
    clock = FakeClock()
    holder = DynamoVpcLock(dynamodb, TABLE, clock.time, clock.sleep)
    waiter = DynamoVpcLock(dynamodb, TABLE, clock.time, clock.sleep, jitter)
    with holder.hold(VPC, 0):
        writes = count_writes(dynamodb)
        started = clock.now
        with pytest.raises(LockTimeoutError), waiter.hold(VPC, 30):
            pass  # pragma: no cover - never reached
    assert clock.now - started == pytest.approx(30)  # waited the whole time, no longer
    assert 5 <= len(writes) <= MOST_WRITES_IN_30_S


def test_the_waiter_gets_the_lock_soon_after_it_is_released(aws: Any) -> None:
    make_table(aws)
    dynamodb = aws.client("dynamodb")
    clock = FakeClock()
    holder = DynamoVpcLock(dynamodb, TABLE, clock.time, clock.sleep)
    held = holder.hold(VPC, 0)
    held.__enter__()
    released_at = clock.now + 20
    released: list[float] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now >= released_at and not released:
            held.__exit__(None, None, None)
            released.append(clock.now)

    waiter = DynamoVpcLock(dynamodb, TABLE, clock.time, sleep, highest)
    with waiter.hold(VPC, 60):
        assert clock.now - released_at <= MAX_POLL_SECONDS  # at most one bounded step late
