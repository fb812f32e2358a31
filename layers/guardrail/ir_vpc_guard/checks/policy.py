"""A small, conservative reading of IAM policy documents (no I/O).

Statements with a Condition are never taken as proof: a conditional Allow does not count as
allowing, a conditional Deny does not count as denying. The IAM simulator is preferred
wherever it is available; this is the fallback and the resource-policy reader.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

VPC_CONDITION_KEYS = {"aws:sourcevpc", "aws:sourcevpce"}


class Decision(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


def parse(text: str | None) -> dict[str, Any]:
    """A policy document from its JSON text; an unparseable one reads as empty."""
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, dict)]


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items]


def wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM wildcards: `*` and `?` only (brackets are literal)."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    regex = fnmatch.translate(pattern.replace("[", "\x00").replace("]", "\x01"))
    regex = regex.replace("\x00", re.escape("[")).replace("\x01", re.escape("]"))
    return re.match(regex, value, flags=re.DOTALL) is not None


def action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(
            wildcard(p, action, ignore_case=True) for p in as_list(statement["NotAction"])
        )
    return any(wildcard(p, action, ignore_case=True) for p in as_list(statement.get("Action")))


def resource_matches(statement: dict[str, Any], resource: str | None) -> bool:
    """`resource=None` means any resource the statement names will do."""
    if resource is None:
        return "Resource" in statement or "NotResource" in statement
    if "NotResource" in statement:
        patterns = as_list(statement["NotResource"])
        return not any(wildcard(p, resource, ignore_case=False) for p in patterns)
    return any(wildcard(p, resource, ignore_case=False) for p in as_list(statement.get("Resource")))


def decide(
    documents: Iterable[dict[str, Any]], action: str, resource: str | None = None
) -> Decision:
    """Explicit deny wins, then any unconditional allow, else implicit deny."""
    allowed = False
    for document in documents:
        for statement in statements(document):
            if statement.get("Condition"):
                continue
            if not (action_matches(statement, action) and resource_matches(statement, resource)):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def _vpc_condition_operators(statement: dict[str, Any]) -> list[str]:
    """The condition operators of `statement` that test aws:SourceVpc or aws:SourceVpce."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return []
    return [
        operator
        for operator, tests in condition.items()
        if isinstance(tests, dict) and any(k.lower() in VPC_CONDITION_KEYS for k in tests)
    ]


def _negated(operator: str) -> bool:
    base = operator.rsplit(":", maxsplit=1)[-1].removesuffix("IfExists")
    return base in {"StringNotEquals", "StringNotLike", "StringNotEqualsIgnoreCase"}


def vpc_restrictions(document: dict[str, Any], actions: Iterable[str]) -> dict[str, Any]:
    """How a resource policy ties reads of `actions` to a VPC or VPC endpoint.

    Returns {"denies": [sids], "onlyAllows": bool}: Deny statements that refuse the read
    outside a VPC/endpoint, and whether every Allow of the read requires one.
    """
    wanted = list(actions)
    denies: list[str] = []
    allows_free = allows_vpc_only = False
    for index, statement in enumerate(statements(document)):
        if not any(action_matches(statement, a) for a in wanted):
            continue
        operators = _vpc_condition_operators(statement)
        if statement.get("Effect") == "Deny" and any(_negated(o) for o in operators):
            denies.append(str(statement.get("Sid", f"statement {index}")))
        elif statement.get("Effect") == "Allow":
            if operators and not any(_negated(o) for o in operators):
                allows_vpc_only = True
            else:
                allows_free = True
    return {"denies": denies, "onlyAllows": allows_vpc_only and not allows_free}
