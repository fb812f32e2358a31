"""IAM condition blocks, evaluated as AWS does, in three values (no I/O).

AND across operators and across keys; OR across a key's values (NOR for negated operators);
an absent key makes a condition false, except for negated operators (true), `...IfExists`
(true) and `Null`; `ForAnyValue:`/`ForAllValues:` qualify multi-valued keys. A key the
product cannot know makes the answer UNKNOWN, never a guess. (IAM User Guide: "Condition
operators", "Conditions with multiple context keys or values".)
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from operator import eq, ge, gt, le, lt
from typing import Any

from ir_vpc_guard.checks.wildcards import wildcard


class Truth(Enum):
    """Three-valued logic: a statement applies, does not, or it cannot be known here."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @staticmethod
    def of(value: bool) -> Truth:
        return Truth.TRUE if value else Truth.FALSE

    def __invert__(self) -> Truth:
        return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE}.get(self, Truth.UNKNOWN)


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene AND: any FALSE decides; else any UNKNOWN; else TRUE."""
    seen = list(values)
    if Truth.FALSE in seen:
        return Truth.FALSE
    return Truth.UNKNOWN if Truth.UNKNOWN in seen else Truth.TRUE


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene OR: any TRUE decides; else any UNKNOWN; else FALSE."""
    seen = list(values)
    if Truth.TRUE in seen:
        return Truth.TRUE
    return Truth.UNKNOWN if Truth.UNKNOWN in seen else Truth.FALSE


Context = Mapping[str, tuple[str, ...]]
"""Known condition keys (lower-case names) and their values; a key known to be absent is
listed in `absent` instead; every other key is unknown."""

Compare = Callable[[str, str], bool]


def _string(ignore_case: bool = False, like: bool = False) -> Compare:
    def compare(actual: str, wanted: str) -> bool:
        if like:
            return wildcard(wanted, actual, ignore_case=ignore_case)
        return actual.lower() == wanted.lower() if ignore_case else actual == wanted

    return compare


def _number(test: Callable[[Decimal, Decimal], bool]) -> Compare:
    def compare(actual: str, wanted: str) -> bool:
        try:
            return test(Decimal(actual), Decimal(wanted))
        except InvalidOperation:
            return False

    return compare


def _when(text: str) -> datetime | None:
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(test: Callable[[datetime, datetime], bool]) -> Compare:
    def compare(actual: str, wanted: str) -> bool:
        a, w = _when(actual), _when(wanted)
        return a is not None and w is not None and test(a, w)

    return compare


def _ip(actual: str, wanted: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


def _bool(actual: str, wanted: str) -> bool:
    return actual.lower() == wanted.lower()


def _arn(like: bool) -> Compare:
    """ARN operators compare each of the six fields; `*`/`?` within a field for Like."""

    def compare(actual: str, wanted: str) -> bool:
        a, w = actual.split(":", 5), wanted.split(":", 5)
        if len(a) != 6 or len(w) != 6:
            return False
        return all(wildcard(pw, pa, ignore_case=False) for pa, pw in zip(a, w, strict=True))

    return compare


# The comparisons Numeric* and Date* operators share, by name suffix: (test, negated).
_COMPARISONS: dict[str, tuple[Callable[[Any, Any], bool], bool]] = {
    "equals": (eq, False),
    "notequals": (eq, True),
    "lessthan": (lt, False),
    "lessthanequals": (le, False),
    "greaterthan": (gt, False),
    "greaterthanequals": (ge, False),
}

# Base operator -> (comparison, negated). ArnEquals behaves as ArnLike (IAM User Guide).
OPERATORS: dict[str, tuple[Compare, bool]] = {
    "stringequals": (_string(), False),
    "stringnotequals": (_string(), True),
    "stringequalsignorecase": (_string(ignore_case=True), False),
    "stringnotequalsignorecase": (_string(ignore_case=True), True),
    "stringlike": (_string(like=True), False),
    "stringnotlike": (_string(like=True), True),
    **{f"numeric{op}": (_number(test), negated) for op, (test, negated) in _COMPARISONS.items()},
    **{f"date{op}": (_date(test), negated) for op, (test, negated) in _COMPARISONS.items()},
    "bool": (_bool, False),
    "binaryequals": (_string(), False),
    "ipaddress": (_ip, False),
    "notipaddress": (_ip, True),
    "arnequals": (_arn(like=False), False),
    "arnlike": (_arn(like=True), False),
    "arnnotequals": (_arn(like=False), True),
    "arnnotlike": (_arn(like=True), True),
}


def _values(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in items)


class ConditionResult:
    """A condition block's truth and the keys it could not know."""

    def __init__(self, truth: Truth, unknown_keys: Iterable[str] = ()) -> None:
        self.truth = truth
        self.unknown_keys = tuple(dict.fromkeys(unknown_keys))


def evaluate(
    condition: Any, context: Context, absent: frozenset[str], known: tuple[str, ...] = ()
) -> ConditionResult:
    """The truth of a statement's Condition block for a request context. `known`: prefixes
    of keys known in full (`aws:principaltag/` once the role's tags are read): a key under
    one of them that is not in `context` is absent, not unknown."""
    if not condition:
        return ConditionResult(Truth.TRUE)
    if not isinstance(condition, dict):
        return ConditionResult(Truth.UNKNOWN, ["(malformed Condition)"])
    results: list[Truth] = []
    unknown: list[str] = []
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            results.append(Truth.UNKNOWN)
            unknown.append(f"(malformed {operator})")
            continue
        for key, raw in tests.items():
            name = str(key).lower()
            if name not in context and name not in absent and not name.startswith(known):
                results.append(Truth.UNKNOWN)
                unknown.append(str(key))
                continue
            wanted, unresolved = _resolved(_values(raw), context)
            if unresolved:
                results.append(Truth.UNKNOWN)
                unknown.extend(unresolved)
                continue
            truth = _test(str(operator), context.get(name), wanted)
            if truth is Truth.UNKNOWN:
                unknown.append(f"{operator} (an operator this product does not evaluate)")
            results.append(truth)
    return ConditionResult(all_of(results), unknown)


# A policy variable in a condition value (IAM User Guide, "IAM policy elements: Variables
# and tags"): ${key} takes the request's value of that key; ${*}, ${?}, ${$} are literals.
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


def _resolved(wanted: tuple[str, ...], context: Context) -> tuple[tuple[str, ...], list[str]]:
    """The condition's values with their policy variables replaced by the request's values,
    and the variables whose value is not known (the comparison then cannot be made)."""
    unresolved: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _LITERALS:
            return _LITERALS[name]
        known = context.get(name.lower())
        if known is None or len(known) != 1:
            unresolved.append(f"${{{name}}}")
            return match.group(0)
        return known[0]

    return tuple(_VARIABLE.sub(value, w) for w in wanted), unresolved


def _test(operator: str, actual: tuple[str, ...] | None, wanted: tuple[str, ...]) -> Truth:
    """One operator over one key: `actual` is None when the key is absent from the request."""
    qualifier, _, base = operator.lower().rpartition(":")
    if_exists = base.endswith("ifexists")
    base = base.removesuffix("ifexists")
    if base == "null":
        present = bool(actual)
        return Truth.of(any((w.lower() == "true") != present for w in wanted))
    if base not in OPERATORS or qualifier not in {"", "foranyvalue", "forallvalues"}:
        return Truth.UNKNOWN
    compare, negated = OPERATORS[base]
    values = actual or ()
    if qualifier == "forallvalues":
        # True when every value of the key matches (vacuously true on an empty or absent key).
        if negated:
            return Truth.of(all(not any(compare(v, w) for w in wanted) for v in values))
        return Truth.of(all(any(compare(v, w) for w in wanted) for v in values))
    if not values:
        if qualifier == "foranyvalue":
            return Truth.FALSE
        return Truth.of(if_exists or negated)
    if qualifier == "foranyvalue" and negated:
        return Truth.of(any(not any(compare(v, w) for w in wanted) for v in values))
    matched = any(compare(v, w) for v in values for w in wanted)
    return Truth.of(not matched if negated else matched)
