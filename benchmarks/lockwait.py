"""Table 6: what a waiter for a VPC's lock costs: the conditional writes it makes while
another invocation holds the VPC for a whole wait (the stage's LOCK_WAIT_SECONDS).

The table answers every write with ConditionalCheckFailedException (the lease is someone
else's) and time is simulated, so the figure is the backoff's own, without moto or sleeps.
"""

from __future__ import annotations

import random
import statistics
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from benchmarks.tables import Table
from ir_vpc_guard.remediation.stage import LOCK_WAIT_SECONDS
from ir_vpc_guard.state.lock import FIRST_POLL_SECONDS, DynamoVpcLock, LockTimeoutError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SEEDS = 200
BOUND = 17  # tests/reliability/test_lock_backoff.py: the most writes in a 30 s wait


class HeldTable:
    """A DynamoDB client whose lock item is always held by another owner; counts writes."""

    def __init__(self) -> None:
        self.writes = 0

    def put_item(self, **_: Any) -> None:
        self.writes += 1
        error: Any = {"Error": {"Code": "ConditionalCheckFailedException"}, "Item": {}}
        raise ClientError(error, "PutItem")


def writes_in_a_wait(seconds: float, seed: int) -> int:
    now = [0.0]

    def sleep(delay: float) -> None:
        now[0] += delay

    table = HeldTable()
    jitter = random.Random(seed).uniform
    # The one call the lock makes while waiting (put_item), answered by the fake.
    lock = DynamoVpcLock(cast("DynamoDBClient", table), "table", lambda: now[0], sleep, jitter)
    try:
        with lock.hold("vpc-0123456789abcdef0", seconds):
            pass
    except LockTimeoutError:
        return table.writes
    raise AssertionError("the lock was never free")


def lock_wait_table() -> Table:
    counts = [writes_in_a_wait(LOCK_WAIT_SECONDS, seed) for seed in range(SEEDS)]
    fixed = int(LOCK_WAIT_SECONDS / FIRST_POLL_SECONDS) + 1
    table = Table(
        f"6. VPC lock: conditional writes a waiter makes in a {LOCK_WAIT_SECONDS:.0f} s wait",
        ["Policy", "writes: median [min-max]", "bound asserted in tests"],
    )
    table.add(f"before: a write every {FIRST_POLL_SECONDS} s", str(fixed), "")
    table.add(
        "now: exponential backoff, equal jitter, bounded",
        f"{statistics.median(counts):.0f} [{min(counts)}-{max(counts)}]",
        f"<= {BOUND}",
    )
    table.verdict = (
        f"{statistics.median(counts):.0f} writes (at most {max(counts)}) instead of {fixed}"
    )
    table.notes.append(
        f"{SEEDS} waits with seeded jitter, on simulated time, against a lock that stays held."
    )
    return table
