"""IAM wildcards: `*` (any run of characters) and `?` (one character), nothing else."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """Does `value` match the IAM pattern (brackets and the rest are literal)?"""
    return _compiled(pattern, ignore_case).fullmatch(value) is not None
