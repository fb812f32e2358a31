"""One writer per VPC at a time, so concurrent jobs in one VPC yield one S3 endpoint.

A ClientToken only deduplicates identical requests (same route tables), and a re-read
cannot see a write in flight: two jobs on different subnets of one VPC would both create
an endpoint. A conditional DynamoDB item serializes them; it expires, so a crashed
invocation never holds a VPC for longer than LEASE_SECONDS.

A waiter retries with exponential backoff and jitter, bounded by MAX_POLL_SECONDS: a long
wait costs a few conditional writes instead of one every quarter second, waiters that
started together drift apart, and a released lease is still noticed within seconds.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.state import leases

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_dynamodb import DynamoDBClient

# Longer than the function's timeout (120 s): a lease never lapses under a live writer, even
# when every call of a write is retried to its limit; a crashed writer's lapses by itself.
LEASE_SECONDS = 180
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0
LOCK_TIMEOUT = "VpcLockTimeout"


class LockTimeoutError(Exception):
    """Another invocation held the VPC for longer than this one could wait."""


class VpcLock(Protocol):
    def hold(self, vpc_id: str, wait_seconds: float) -> AbstractContextManager[None]: ...


class DynamoVpcLock:
    """A lease item `lock#<vpc-id>` in the idempotency table, written conditionally."""

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.clock = clock
        self.sleep = sleep
        self.jitter = jitter

    @contextmanager
    def hold(self, vpc_id: str, wait_seconds: float) -> Iterator[None]:
        owner = uuid.uuid4().hex
        key = {"id": {"S": f"lock#{vpc_id}"}}
        give_up = self.clock() + wait_seconds
        step = FIRST_POLL_SECONDS
        while not self._try_acquire(key, owner):
            left = give_up - self.clock()
            if left <= 0:
                raise LockTimeoutError(f"{vpc_id} is being changed by another invocation")
            # Equal jitter: at least half the step, so the number of writes stays bounded;
            # never past the deadline, so the last try is made at it.
            self.sleep(min(self.jitter(step / 2, step), left))
            step = min(step * 2, MAX_POLL_SECONDS)
        try:
            yield
        finally:
            self._release(key, owner)

    def _try_acquire(self, key: dict[str, Any], owner: str) -> bool:
        item = {**key, "owner": {"S": owner}}
        return leases.take(self.dynamodb, self.table, item, int(self.clock()), LEASE_SECONDS)

    def _release(self, key: dict[str, Any], owner: str) -> None:
        try:
            leases.drop(self.dynamodb, self.table, key, {"S": owner})
        except (ClientError, BotoCoreError):
            # The writes are done, and must not be reported as failed for this: the lease
            # lapses by itself within LEASE_SECONDS.
            return


class LocalVpcLock:
    """The same contract within one process (the CLI, tests without a table)."""

    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @contextmanager
    def hold(self, vpc_id: str, wait_seconds: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(vpc_id, threading.Lock())
        if not lock.acquire(timeout=wait_seconds):
            raise LockTimeoutError(f"{vpc_id} is being changed by another thread")
        try:
            yield
        finally:
            lock.release()
