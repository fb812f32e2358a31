"""One IAM policy evaluator for every policy the product reads (pure, no I/O).

It answers "is this request allowed?" over a set of policies as AWS does (IAM User Guide:
"Policy evaluation logic"): an explicit Deny in any policy wins; otherwise a matching Allow
is needed. Three answers, not two: when a statement's match hangs on something the product
cannot know (a condition key it has no value for, the session name of an assumed role), the
answer is UNDETERMINED, and the keys are named so a person can confirm.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ir_vpc_guard.checks import conditions
from ir_vpc_guard.checks.conditions import Truth, all_of, any_of
from ir_vpc_guard.checks.wildcards import wildcard

# Request-context keys of a call made from inside a VPC: absent from the reads SageMaker
# makes from outside it (the reason a "Deny unless aws:SourceVpce" policy refuses them).
VPC_CONTEXT_KEYS = frozenset({"aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"})


class Decision(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Principal:
    """Who makes the request: a role's sessions (by the role's ARN), or an AWS service."""

    account: str
    role_arn: str | None = None
    service: str | None = None
    bounded: bool = False  # the role has a permissions boundary


@dataclass(frozen=True, eq=False, repr=False)
class Request:
    """One API request as IAM evaluates it.

    `context` holds the condition keys the product knows (lower-case names), `absent` the
    keys it knows the request does not carry; every other key is unknown. A `resource`
    ending in `*` with `resource_is_template` stands for IDs not created yet (the job's new
    network interfaces): a statement naming one existing ID does not apply to them.
    `implicit_resource`: the policy is attached to the resource itself and its statements
    may omit Resource (ECR repository policies). `known_prefixes`: key prefixes known in full
    (a key under one that `context` lacks is absent), such as the role's tags.
    """

    action: str
    resource: str
    principal: Principal | None = None
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    resource_is_template: bool = False
    implicit_resource: bool = False
    known_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class Evaluation:
    """The decision, the statements behind it, and the keys it could not know."""

    decision: Decision
    statements: tuple[str, ...] = ()
    unknown_keys: tuple[str, ...] = ()

    @property
    def certain(self) -> bool:
        return self.decision is not Decision.UNDETERMINED


def parse(text: str | None) -> dict[str, Any]:
    """A policy document from its JSON text; an unparseable one reads as empty."""
    if not text:
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, dict)]


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items]


@dataclass(frozen=True, eq=False, repr=False)
class _Matches:
    """The statements of a policy set that apply to a request, surely or maybe."""

    denies: tuple[str, ...]
    maybe_denies: tuple[str, ...]
    allows: tuple[str, ...]
    maybe_allows: tuple[str, ...]
    unknown_keys: tuple[str, ...]


def _scan(documents: Iterable[Mapping[str, Any]], request: Request) -> _Matches:
    found: dict[tuple[str, bool], list[str]] = {}
    unknown: list[str] = []
    for number, document in enumerate(documents):
        for index, statement in enumerate(statements(document)):
            effect = statement.get("Effect")
            if effect not in {"Allow", "Deny"}:
                continue
            truth, keys = _applies(statement, request)
            if truth is Truth.FALSE:
                continue
            unknown.extend(keys)
            label = str(statement.get("Sid") or f"policy {number} statement {index}")
            found.setdefault((str(effect), truth is Truth.TRUE), []).append(label)
    return _Matches(
        denies=tuple(found.get(("Deny", True), ())),
        maybe_denies=tuple(found.get(("Deny", False), ())),
        allows=tuple(found.get(("Allow", True), ())),
        maybe_allows=tuple(found.get(("Allow", False), ())),
        unknown_keys=tuple(dict.fromkeys(unknown)),
    )


def evaluate(documents: Iterable[Mapping[str, Any]], request: Request) -> Evaluation:
    """The decision of one set of policies (identity policies, or one resource policy)."""
    m = _scan(documents, request)
    if m.denies:
        return Evaluation(Decision.EXPLICIT_DENY, m.denies)
    if not m.allows and not m.maybe_allows:
        return Evaluation(Decision.IMPLICIT_DENY)
    if m.maybe_denies:
        return Evaluation(Decision.UNDETERMINED, m.maybe_denies, m.unknown_keys)
    if m.allows:
        return Evaluation(Decision.ALLOWED, m.allows)
    return Evaluation(Decision.UNDETERMINED, m.maybe_allows, m.unknown_keys)


def explicit_deny(documents: Iterable[Mapping[str, Any]], request: Request) -> Evaluation:
    """Only the Deny side: EXPLICIT_DENY, UNDETERMINED (a Deny that may apply) or, when no
    Deny applies, IMPLICIT_DENY (read: "nothing here refuses it")."""
    m = _scan(documents, request)
    if m.denies:
        return Evaluation(Decision.EXPLICIT_DENY, m.denies)
    if m.maybe_denies:
        return Evaluation(Decision.UNDETERMINED, m.maybe_denies, m.unknown_keys)
    return Evaluation(Decision.IMPLICIT_DENY)


def denying_statements(document: Mapping[str, Any], request: Request) -> tuple[str, ...]:
    """The Deny statements of one policy that surely apply: each by its Sid, else by its
    place (`Statement[2]`, counting from 0), so that a person can find it to change it."""
    return tuple(
        str(statement.get("Sid") or f"Statement[{index}]")
        for index, statement in enumerate(statements(document))
        if statement.get("Effect") == "Deny" and _applies(statement, request)[0] is Truth.TRUE
    )


def evaluate_with_boundary(
    identity: Iterable[Mapping[str, Any]],
    boundary: Mapping[str, Any] | None,
    request: Request,
) -> Evaluation:
    """Identity policies AND a permissions boundary: the boundary never grants."""
    own = evaluate(identity, request)
    if boundary is None:
        return own
    limit = evaluate([boundary], request)
    both = (own, limit)
    for decision in (Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY):
        decided = [e for e in both if e.decision is decision]
        if decided:
            return Evaluation(decision, tuple(s for e in decided for s in e.statements))
    if own.decision is limit.decision is Decision.ALLOWED:
        return Evaluation(Decision.ALLOWED, own.statements + limit.statements)
    return Evaluation(
        Decision.UNDETERMINED,
        own.statements + limit.statements,
        tuple(dict.fromkeys(own.unknown_keys + limit.unknown_keys)),
    )


def combine(evaluations: Iterable[Evaluation]) -> Evaluation:
    """A call that names several resources needs every one allowed."""
    found = list(evaluations)
    for decision in (Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY, Decision.UNDETERMINED):
        decided = [e for e in found if e.decision is decision]
        if decided:
            return Evaluation(
                decision,
                tuple(dict.fromkeys(s for e in decided for s in e.statements)),
                tuple(dict.fromkeys(k for e in decided for k in e.unknown_keys)),
            )
    return Evaluation(
        Decision.ALLOWED, tuple(dict.fromkeys(s for e in found for s in e.statements))
    )


def _applies(statement: Mapping[str, Any], request: Request) -> tuple[Truth, tuple[str, ...]]:
    """Whether a statement matches the request, and the keys that left it unknown."""
    if not _action_matches(statement, request.action):
        return Truth.FALSE, ()
    resource = _resource_matches(statement, request)
    principal = _principal_matches(statement, request.principal)
    if Truth.FALSE in (resource, principal):
        return Truth.FALSE, ()
    condition = conditions.evaluate(
        statement.get("Condition"), request.context, request.absent, request.known_prefixes
    )
    truth = all_of([resource, principal, condition.truth])
    keys = list(condition.unknown_keys) if condition.truth is Truth.UNKNOWN else []
    if resource is Truth.UNKNOWN:
        keys.append(f"the IDs of resources not created yet ({request.resource})")
    if principal is Truth.UNKNOWN:
        keys.append("the principal's session (the policy names an assumed-role session)")
    return truth, tuple(keys)


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        patterns = as_list(statement["NotAction"])
        return not any(wildcard(p, action, ignore_case=True) for p in patterns)
    return any(wildcard(p, action, ignore_case=True) for p in as_list(statement.get("Action")))


def _resource_matches(statement: Mapping[str, Any], request: Request) -> Truth:
    if "NotResource" in statement:
        listed = any_of(_pattern_matches(p, request) for p in as_list(statement["NotResource"]))
        return ~listed
    if "Resource" not in statement:
        return Truth.of(request.implicit_resource)
    return any_of(_pattern_matches(p, request) for p in as_list(statement["Resource"]))


def _pattern_matches(pattern: str, request: Request) -> Truth:
    """ARNs are case-sensitive. Against a template (IDs not known yet): TRUE when the
    pattern matches whatever the IDs will be, FALSE for a pattern that names an existing
    ID or another kind of resource, UNKNOWN for a partial wildcard (`eni-0a*`)."""
    if not request.resource_is_template:
        return Truth.of(wildcard(pattern, request.resource, ignore_case=False))
    head = request.resource.removesuffix("*")
    # "\x00" stands for characters of the unknown ID: only a wildcard can match them.
    if all(wildcard(pattern, head + "\x00" * n, ignore_case=False) for n in (0, 8, 17, 32)):
        return Truth.TRUE
    literal = pattern.split("*", 1)[0].split("?", 1)[0]
    if literal != pattern and (literal.startswith(head) or head.startswith(literal)):
        return Truth.UNKNOWN
    return Truth.FALSE


def _principal_matches(statement: Mapping[str, Any], principal: Principal | None) -> Truth:
    """Identity policies have no Principal (`principal` None): every statement is ours."""
    if principal is None:
        return Truth.TRUE
    if "NotPrincipal" in statement:
        if statement.get("Effect") == "Deny" and principal.bounded:
            # IAM User Guide, NotPrincipal: for a principal with a permissions boundary, a
            # Deny with NotPrincipal always denies, whoever it names.
            return Truth.TRUE
        return ~_named(statement["NotPrincipal"], principal, exempting=True)
    if "Principal" not in statement:
        return Truth.FALSE
    return _named(statement["Principal"], principal, exempting=False)


def _named(value: Any, principal: Principal, *, exempting: bool) -> Truth:
    """Is `principal` among those a Principal element names?

    In a NotPrincipal (`exempting`) a role ARN does not certainly exempt the role's
    sessions (AWS asks for the assumed-role session ARN as well): UNKNOWN, not a guess.
    """
    if value == "*":
        return Truth.TRUE
    if not isinstance(value, dict):
        return Truth.FALSE
    results = [_aws_principal(entry, principal, exempting) for entry in as_list(value.get("AWS"))]
    results += [
        Truth.of(principal.service is not None and entry == principal.service)
        for entry in as_list(value.get("Service"))
    ]
    return any_of(results)


def _aws_principal(entry: str, principal: Principal, exempting: bool) -> Truth:
    if entry == "*":
        return Truth.TRUE
    if principal.role_arn is None:
        return Truth.FALSE
    parts = entry.split(":", 5)
    account = entry if len(parts) == 1 else (parts[4] if len(parts) == 6 else "")
    if account != principal.account:
        return Truth.FALSE
    if len(parts) == 1 or parts[5] == "root":
        return Truth.UNKNOWN if exempting else Truth.TRUE
    role_parts = principal.role_arn.split(":", 5)
    role_name = role_parts[5].rsplit("/", 1)[-1] if len(role_parts) == 6 else ""
    if parts[2] == "iam" and entry == principal.role_arn:
        return Truth.UNKNOWN if exempting else Truth.TRUE
    if parts[2] == "sts" and parts[5].startswith(f"assumed-role/{role_name}/"):
        return Truth.UNKNOWN
    return Truth.FALSE
