"""Make one AWS call fail the way AWS refuses it, before it is sent (botocore does not retry
a failure raised there)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError


def refuse(events: Any, service: str, operation: str, code: str) -> Callable[[], None]:
    """Every later `service` `operation` call made through `events` (a client's
    `meta.events`, or a session's `events` for all its clients) raises a ClientError with
    `code`. Returns the undo, for a refusal that should end."""

    def answer(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code}}, operation)

    name = f"before-call.{service}.{operation}"
    events.register(name, answer)
    return partial(events.unregister, name, answer)
