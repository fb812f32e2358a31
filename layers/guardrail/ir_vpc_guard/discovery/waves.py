"""The waves discovery reads in: reads run concurrently on one pool, each guarded so that
a failure becomes a value (never an exception), and none starts or is waited for once the
invocation's time budget is spent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.budget import Budget
from ir_vpc_guard.discovery.snapshot import Read, failed

T = TypeVar("T")

# The error code of a read that was not started, or not waited for, near the deadline.
TIMEOUT_BUDGET = "TIMEOUT_BUDGET"


class AwsReadError(Exception):
    """A read failed in a way that is not an AWS ClientError (e.g. nothing found)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def guarded(api: str, read: Callable[[], T]) -> Read[T]:
    """Run one read; any failure becomes a Read error naming the call and the error code."""
    try:
        return Read(value=read())
    except ClientError as error:
        info = error.response.get("Error", {})
        # Name the call that failed, which may be a later call of the same read.
        operation = getattr(error, "operation_name", None)
        api = f"{api.partition(':')[0]}:{operation}" if operation else api
        return failed(api, str(info.get("Code") or "Unknown"), str(info.get("Message", ""))[:300])
    except AwsReadError as error:
        return failed(api, error.code, str(error))
    except NotImplementedError as error:  # moto in-process for calls it does not emulate
        return failed(api, "NotImplemented", str(error)[:300])
    except BotoCoreError as error:  # timeouts, connection errors, unparseable answers
        return failed(api, type(error).__name__, str(error)[:300])
    except Exception as error:  # never raised past discovery, whatever the cause
        return failed(api, type(error).__name__, str(error)[:300])


def done(read: Read[T]) -> Future[Read[T]]:
    """A read already known (cached, not applicable, or failed before it could start), in
    the shape of one in flight, so that callers wait for both alike."""
    future: Future[Read[T]] = Future()
    future.set_result(read)
    return future


class Wave:
    """Reads run on a shared pool; none starts, and none is waited for, past the budget."""

    def __init__(self, pool: ThreadPoolExecutor, budget: Budget) -> None:
        self.pool = pool
        self.budget = budget
        self.apis: dict[Future[Any], str] = {}

    def submit(self, api: str, read: Callable[[], T]) -> Future[Read[T]]:
        """Start `read` (named by its first IAM action, `api`), or fail it if time is up."""
        if not self.budget.may_start():
            return done(failed(api, TIMEOUT_BUDGET, "deadline near: read not started"))
        future: Future[Read[T]] = self.pool.submit(guarded, api, read)
        self.apis[future] = api
        return future

    def result(self, future: Future[Read[T]]) -> Read[T]:
        """The read's result, or a TIMEOUT_BUDGET error if it does not finish in time."""
        try:
            return future.result(timeout=self.budget.wait_limit())
        except FutureTimeout:
            api = self.apis.get(future, "unknown")
            return failed(api, TIMEOUT_BUDGET, "deadline near: read did not finish in time")


@contextmanager
def waves(budget: Budget, workers: int, name: str) -> Iterator[Wave]:
    """A pool of `workers` threads for the reads of one discovery, shut down on leaving.

    Never waits past the budget for a read that hangs: its result is not used."""
    pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
    try:
        yield Wave(pool, budget)
    finally:
        pool.shutdown(wait=budget.wait_limit() is None, cancel_futures=True)
