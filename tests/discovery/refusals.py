"""Make one AWS call fail the way AWS refuses it, before it is sent (botocore does not retry
a failure raised there)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


def refuse(client: Any, operation: str, code: str) -> Callable[..., None]:
    """Every later call of `operation` through `client` raises a ClientError with `code`.
    The hook is returned, for `client.meta.events.unregister` when the refusal should end."""

    def answer(**_: Any) -> None:
        raise ClientError({"Error": {"Code": code}}, operation)

    service = client.meta.service_model.service_name
    client.meta.events.register(f"before-call.{service}.{operation}", answer)
    return answer
