"""One writer per VPC at a time, so concurrent jobs in one VPC yield one S3 endpoint.

A ClientToken only deduplicates identical requests (same route tables), and a re-read
cannot see a write in flight: two jobs on different subnets of one VPC would both create
an endpoint. A conditional DynamoDB item serializes them; it expires, so a crashed
invocation never holds a VPC for longer than LEASE_SECONDS.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard import leases

# Longer than the function's timeout (120 s): a lease never lapses under a live writer, even
# when every call of a write is retried to its limit; a crashed writer's lapses by itself.
LEASE_SECONDS = 180
POLL_SECONDS = 0.25
LOCK_TIMEOUT = "VpcLockTimeout"


class LockTimeoutError(Exception):
    """Another invocation held the VPC for longer than this one could wait."""


class VpcLock(Protocol):
    def hold(self, vpc_id: str, wait_seconds: float) -> AbstractContextManager[None]: ...


class DynamoVpcLock:
    """A lease item `lock#<vpc-id>` in the idempotency table, written conditionally."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.clock = clock
        self.sleep = sleep

    @contextmanager
    def hold(self, vpc_id: str, wait_seconds: float) -> Iterator[None]:
        owner = uuid.uuid4().hex
        key = {"id": {"S": f"lock#{vpc_id}"}}
        give_up = self.clock() + wait_seconds
        while not self._try_acquire(key, owner):
            if self.clock() >= give_up:
                raise LockTimeoutError(f"{vpc_id} is being changed by another invocation")
            self.sleep(POLL_SECONDS)
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
