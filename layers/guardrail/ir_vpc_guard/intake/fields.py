"""Reading untrusted request members: either casing, bounded text, IDs that match the API's
own patterns. Shared by the event intake and every workload's reader."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ir_vpc_guard.arns import is_region
from ir_vpc_guard.intake.request import S3_URL_PATTERN, valid_vpc_id

MAX_TEXT = 2048
# S3Uri of botocore's SageMaker model: `(https|s3)://([^/]+)/?(.*)`, at most 1024 characters.
MAX_S3_URI = 1024
# The https forms of an S3 object URL: virtual-hosted (bucket.s3[.-]region.amazonaws.com)
# and path style (s3[.-]region.amazonaws.com/bucket), in any partition's DNS suffix.
_S3_HTTPS = (
    re.compile(
        r"https://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.s3[.-][a-z0-9.-]*?"
        r"amazonaws\.com(?:\.cn)?(?P<key>/\S*)?"
    ),
    re.compile(
        r"https://s3[.-][a-z0-9.-]*?amazonaws\.com(?:\.cn)?/"
        r"(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?P<key>/\S*)?"
    ),
)


def member(mapping: object, name: str) -> Any:
    """`mapping[name]` tolerant of first-letter casing; None when absent or not a mapping."""
    if not isinstance(mapping, Mapping):
        return None
    for key in (name, name[:1].upper() + name[1:], name[:1].lower() + name[1:]):
        if key in mapping:
            return mapping[key]
    folded = name.lower()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.lower() == folded), None)


def at(mapping: object, path: Iterable[str]) -> Any:
    """The member at `path` (names in CloudTrail's camelCase, matched in any casing)."""
    value = mapping
    for name in path:
        value = member(value, name)
    return value


def text(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_TEXT:
        return value
    return None


def matching(value: object, pattern: Any) -> str | None:
    found = text(value)
    return found if found is not None and pattern.fullmatch(found) else None


def positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def region_of(value: object) -> str:
    """The event's region when botocore's partitions hold it, else "unknown"."""
    found = text(value)
    return found if found is not None and is_region(found) else "unknown"


def ids(values: object) -> tuple[str, ...]:
    """Valid IDs in order, without duplicates (only called once all are known valid)."""
    if not isinstance(values, list | tuple):
        return ()
    return tuple(dict.fromkeys(v for v in values if valid_vpc_id(v)))


def short(value: object) -> str:
    """An error code for a reason string: printable, bounded, never the whole input."""
    found = value if isinstance(value, str) else type(value).__name__
    return "".join(c for c in found[:64] if c.isalnum() or c in ".-_") or "unknown"


def s3_uri_at(
    mapping: object, path: Iterable[str], where: str, problems: list[str]
) -> tuple[str, ...]:
    """The S3 URI at `path` of `mapping` as `s3://bucket/key` (its https forms rewritten), in
    a tuple of one; () when absent. A URI present but not an S3 location the API accepts is
    a problem named by `where`. Each workload's reader lists its URIs with one call each:
    `s3_reads` (read through the VPC) and `s3_writes` (written), JobRequest's fields."""
    value = at(mapping, path)
    if value is None:
        return ()
    if not isinstance(value, str) or len(value) > MAX_S3_URI:
        problems.append(f"{where} is not a valid S3 URI")
        return ()
    if S3_URL_PATTERN.fullmatch(value):
        return (value,)
    for pattern in _S3_HTTPS:
        match = pattern.fullmatch(value)
        if match:
            return (f"s3://{match['bucket']}{match['key'] or '/'}",)
    problems.append(f"{where} is not an S3 URI the guardrail can read (s3://bucket/key)")
    return ()
