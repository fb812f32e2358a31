"""Time left in an invocation, so work stops in time to report and publish what is known."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Kept free at the end of an invocation for the checks, the report and the SNS publish.
DEFAULT_RESERVE_SECONDS = 8.0


@dataclass(frozen=True, eq=False, repr=False)
class Budget:
    """`remaining()` seconds left; nothing new starts once only `reserve` seconds are left."""

    remaining: Callable[[], float] = lambda: math.inf
    reserve: float = 0.0

    def may_start(self) -> bool:
        return self.remaining() > self.reserve

    def wait_limit(self) -> float | None:
        """How long one may still wait for work in flight (None: as long as it takes)."""
        left = self.remaining()
        return None if math.isinf(left) else max(0.0, left - self.reserve)

    @classmethod
    def of_lambda(cls, context: Any, reserve: float = DEFAULT_RESERVE_SECONDS) -> Budget:
        return cls(lambda: context.get_remaining_time_in_millis() / 1000.0, reserve)


UNLIMITED = Budget()
