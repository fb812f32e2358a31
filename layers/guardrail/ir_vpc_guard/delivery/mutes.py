"""The mute list: findings a team has accepted, marked `muted` instead of alerting forever.

A layer over the checks (like Prowler's mutelist): the checks never know about it. A muted
finding stays in the report with its reason and expiry, but leaves the outcome, the alert
decision, remediation and job stops. A list that cannot be read or does not validate mutes
nothing: the findings go out as they are, with one MUTE_LIST_INVALID finding saying why.

A mute silences only what it names. A finding about several subnets, security groups or
route tables is muted only when the entries together cover every one of them (every
combination, when it names several kinds); entries that cover only some leave it reported,
marked `partiallyMuted` with what they cover.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from functools import partial
from itertools import product
from typing import Any

from ir_vpc_guard.findings import (
    MUTE_LIST_INVALID,
    Finding,
    Mute,
    PartialMute,
    RemediationStatus,
    guardrail_finding,
)
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER
from ir_vpc_guard.intake.workloads import WORKLOADS

# What reading the list from SSM needs; the template grants it on that parameter only.
MUTE_LIST_ACTIONS = ("ssm:GetParameter",)
MAX_AHEAD = timedelta(days=366)  # "at most one year ahead", a leap year included
# Entry fields that scope the job as a whole, and (by ID prefix) the kinds of resource a
# finding may name several of. `workload` is a registered workload's name (an entry without
# it matches every workload).
SCALAR_SCOPES = ("account", "region", "vpc", "job", "workload")
LISTED_SCOPES = {"subnet": "subnet-", "securityGroup": "sg-", "routeTable": "rtb-"}
SCOPES = (*SCALAR_SCOPES, *LISTED_SCOPES)
FIELDS = frozenset({"checkId", "reason", "expires", *SCOPES})


class MuteListError(ValueError):
    """The list is not JSON of the documented shape; the message names the problem."""


@dataclass(frozen=True)
class MuteEntry:
    """One accepted finding: the check, the scope it applies to, why and until when."""

    check_id: str
    reason: str
    expires: date
    scope: tuple[tuple[str, str], ...] = ()  # (field, value), only the fields named

    def to_dict(self) -> dict[str, str]:
        out = {"checkId": self.check_id, **dict(self.scope)}
        return out | {"reason": self.reason, "expires": self.expires.isoformat()}


@dataclass(frozen=True, eq=False, repr=False)
class Context:
    """What a finding is about beyond its own resources: the job and where it runs."""

    account: str
    region: str
    vpc: str | None
    job: str
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    workload: str = INFERENCE_RECOMMENDER


@dataclass(frozen=True, eq=False, repr=False)
class MuteList:
    """Validated entries, or the problem that made the list unusable (then it mutes nothing)."""

    entries: tuple[MuteEntry, ...] = ()
    problem: str | None = None
    source: str = ""

    @classmethod
    def invalid(cls, source: str, problem: str) -> MuteList:
        return cls(problem=problem, source=source)


EMPTY = MuteList()


def parse(text: str, source: str, today: date | None = None) -> MuteList:
    """The list in `text`, or an invalid list naming the first problem found."""
    today = today or datetime.now(UTC).date()
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("mutes"), list):
            raise MuteListError('expected a JSON object {"mutes": [...]}')
        unknown = sorted(set(data) - {"mutes"})
        if unknown:
            raise MuteListError(f"unknown top-level keys {unknown}")
        entries = tuple(_entry(raw, i, today) for i, raw in enumerate(data["mutes"]))
    except json.JSONDecodeError as error:
        return MuteList.invalid(source, f"not JSON: {error}")
    except MuteListError as error:
        return MuteList.invalid(source, str(error))
    return MuteList(entries=entries, source=source)


def _entry(raw: object, index: int, today: date) -> MuteEntry:
    where = f"mutes[{index}]"
    if not isinstance(raw, dict):
        raise MuteListError(f"{where} is not an object")
    _check_fields(raw, where)
    try:
        expires = date.fromisoformat(raw["expires"])
    except ValueError:
        raise MuteListError(f"{where}.expires is not an ISO date: {raw['expires']!r}") from None
    if expires > today + MAX_AHEAD:
        raise MuteListError(f"{where}.expires {expires} is more than one year ahead")
    if "workload" in raw and raw["workload"] not in WORKLOADS:
        raise MuteListError(
            f"{where}.workload {raw['workload']!r} is not a workload (known: "
            f"{', '.join(WORKLOADS)})"
        )
    return MuteEntry(
        check_id=raw["checkId"],
        reason=raw["reason"],
        expires=expires,
        scope=tuple((name, raw[name]) for name in SCOPES if name in raw),
    )


def _check_fields(raw: dict[Any, Any], where: str) -> None:
    """Known fields only, each a non-empty string, the required ones all there."""
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise MuteListError(f"{where} has unknown fields {unknown}")
    for name, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise MuteListError(f"{where}.{name} must be a non-empty string")
    for name in ("checkId", "reason", "expires"):
        if name not in raw:
            raise MuteListError(f"{where} has no {name} (required)")


def mark(mutes: MuteList, findings: list[Finding], context: Context, today: date) -> list[Finding]:
    """Each finding unexpired entries cover entirely, marked muted; one they cover in part,
    marked partially muted; a MUTE_LIST_INVALID finding added (and nothing muted) when the
    list is unusable."""
    if mutes.problem is not None:
        return [*findings, invalid_finding(mutes)]
    out = []
    for finding in findings:
        live = [e for e in _matching(mutes, finding, context) if e.expires >= today]
        out.append(_marked(finding, live, context))
    return out


def lapsed(
    mutes: MuteList, findings: list[Finding], context: Context, today: date
) -> list[dict[str, str]]:
    """The expired entries that would match one of these findings: the owner sees them lapse."""
    expired = {  # ordered set
        entry: None
        for finding in findings
        for entry in _matching(mutes, finding, context)
        if entry.expires < today
    }
    return [entry.to_dict() for entry in expired]


def _matching(mutes: MuteList, finding: Finding, context: Context) -> list[MuteEntry]:
    """The entries for this finding's check and job that cover part of it at least."""
    cells = _cells(finding, context)
    return [
        e
        for e in mutes.entries
        if e.check_id == finding.check_id
        and all(_scalar_matches(n, v, context) for n, v in e.scope if n in SCALAR_SCOPES)
        and any(_covers(e, cell) for cell in cells)
    ]


def _scalar_matches(name: str, value: str, context: Context) -> bool:
    if name == "job":
        return fnmatchcase(context.job, value)
    plain: Mapping[str, str | None] = {
        "account": context.account,
        "region": context.region,
        "vpc": context.vpc,
        "workload": context.workload,
    }
    return plain[name] == value


Cell = tuple[tuple[str, str | None], ...]  # (listed field, resource) for each listed field


def _cells(finding: Finding, context: Context) -> list[Cell]:
    """Every combination of the subnets, groups and route tables the finding is about: those
    it names, else the job's subnets and groups (a route table it does not name: none)."""
    configured = {"subnet": context.subnets, "securityGroup": context.security_groups}
    axes: list[list[tuple[str, str | None]]] = []
    for name, prefix in LISTED_SCOPES.items():
        named = [r for r in finding.resources if r.startswith(prefix)]
        values: list[str | None] = [*(named or configured.get(name, ()))] or [None]
        axes.append([(name, value) for value in values])
    return list(product(*axes))


def _covers(entry: MuteEntry, cell: Cell) -> bool:
    where = dict(cell)
    return all(where[name] == value for name, value in entry.scope if name in LISTED_SCOPES)


def _marked(finding: Finding, live: list[MuteEntry], context: Context) -> Finding:
    if not live:
        return finding
    cells = _cells(finding, context)
    covered = [c for c in cells if any(_covers(e, c) for e in live)]
    first = min(live, key=lambda e: e.expires)
    if len(covered) == len(cells):
        return _muted(finding, first)
    covers = sorted({v for e in live for n, v in e.scope if n in LISTED_SCOPES})
    partial_mute = PartialMute(
        reason=first.reason, expires=first.expires.isoformat(), covers=tuple(covers)
    )
    return replace(finding, partially_muted=partial_mute)


def _muted(finding: Finding, entry: MuteEntry) -> Finding:
    mute = Mute(reason=entry.reason, expires=entry.expires.isoformat())
    remediation = finding.remediation
    if remediation is not None and remediation.status is RemediationStatus.PLANNED:
        remediation = replace(
            remediation,
            status=RemediationStatus.SKIPPED,
            reason=f"Muted ({entry.reason}), so not remediated. To fix: {remediation.reason}",
        )
    return replace(finding, muted=mute, remediation=remediation)


def invalid_finding(mutes: MuteList) -> Finding:
    return guardrail_finding(
        MUTE_LIST_INVALID,
        title="The mute list could not be used: nothing is muted",
        detail=f"Mute list {mutes.source or '(unnamed)'}: {mutes.problem}.",
        resources=(mutes.source,) if mutes.source else (),
        evidence={"source": mutes.source, "problem": mutes.problem},
        fix='Fix the list ({"mutes": [{"checkId", "reason", "expires", ...}]}, '
        "expires at most one year ahead); until then every finding alerts.",
    )


def load_file(path: str) -> MuteList:
    """The CLI's --mute-file: an unreadable file is an invalid list, not a crash."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        return MuteList.invalid(path, f"cannot read it: {error.strerror}")
    return parse(text, path)


def load_parameter(name: str, getter: Callable[..., Any], max_age: int = 300) -> MuteList:
    """The SSM parameter via Powertools Parameters (cached `max_age` seconds)."""
    try:
        text = getter(name, max_age=max_age)
    except Exception as error:  # any failure to read means: mute nothing, and say so
        return MuteList.invalid(name, f"cannot read it: {type(error).__name__}: {error}")
    if not isinstance(text, str):
        return MuteList.invalid(name, "the parameter is not a string")
    return parse(text, name)


def parameter_reader(name: str | None, max_age: int = 300) -> Callable[[], MuteList]:
    """What reads the list in SSM parameter `name` at each call (Powertools Parameters caches
    it `max_age` seconds, so an edit applies within minutes); EMPTY without a name.

    Powertools' parameters utility is imported only when there is a name: the default
    deployment has no mute list, and its cold start skips the import.
    """
    if name is None:
        return lambda: EMPTY
    from aws_lambda_powertools.utilities.parameters import get_parameter  # noqa: PLC0415

    return partial(load_parameter, name, get_parameter, max_age)
