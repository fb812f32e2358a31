"""The handler's tracer: X-Ray only when the stack turns tracing on, and free when it is off.

Powertools' `Tracer()` imports the X-Ray SDK (about 160 ms of cold start) even when
POWERTOOLS_TRACE_DISABLED is set, and the X-Ray SDKs are in maintenance mode. With tracing
off the Tracer gets a provider that does nothing, through its public constructor, so the
decorators stay in the code and the SDK is never imported. With tracing on (template
parameter EnableTracing) only botocore is patched: the AWS calls are what a trace is for.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

TRACE_DISABLED_ENV = "POWERTOOLS_TRACE_DISABLED"
PATCHED_MODULES = ("botocore",)
_TRUE = frozenset({"1", "true", "on", "yes", "y", "t"})


class _NoSegment(BaseSegment):
    """A segment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        return None

    def add_subsegment(self, subsegment: Any) -> None:
        return None

    def remove_subsegment(self, subsegment: Any) -> None:
        return None

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def add_exception(self, exception: BaseException, stack: Any, remote: bool = False) -> None:
        return None


class NoTracing(BaseProvider):
    """A Powertools tracing provider that does nothing and imports nothing."""

    @contextmanager
    def in_subsegment(self, name: Any = None, **kwargs: Any) -> Generator[BaseSegment, None, None]:
        yield _NoSegment()

    @asynccontextmanager
    async def in_subsegment_async(
        self, name: Any = None, **kwargs: Any
    ) -> AsyncGenerator[BaseSegment, None]:
        yield _NoSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        return None

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        return None

    def patch(self, modules: Sequence[str]) -> None:
        return None

    def patch_all(self) -> None:
        return None


def tracing_enabled(env: Mapping[str, str] = os.environ) -> bool:
    """On in Lambda unless POWERTOOLS_TRACE_DISABLED says otherwise (Powertools' own rule:
    outside Lambda, and under `sam local`, there is no X-Ray daemon to send to)."""
    if env.get(TRACE_DISABLED_ENV, "false").strip().lower() in _TRUE:
        return False
    return bool(env.get("LAMBDA_TASK_ROOT")) and not env.get("AWS_SAM_LOCAL")


def make_tracer(service: str, env: Mapping[str, str] = os.environ) -> Tracer:
    """The X-Ray tracer patching botocore only, or a Tracer that does nothing."""
    if tracing_enabled(env):
        return Tracer(service=service, patch_modules=PATCHED_MODULES)
    return Tracer(service=service, disabled=False, auto_patch=False, provider=NoTracing())
