"""R8 for processing jobs: AWS's page says not to scope the role's grants "with any conditions
or resource filters", or the validation at job creation fails. Which of the role's required
actions are allowed only by such scoped statements (docs/workloads.md, "Processing")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ir_vpc_guard.checks.policy import as_list, statements
from ir_vpc_guard.checks.wildcards import wildcard

# An AWS managed policy (AmazonSageMakerJobFullAccess grants the actions to job roles under an
# aws:ResourceAccount condition): what jobs actually run with, never reported as scoped.
AWS_MANAGED = re.compile(r"arn:[a-z-]+:iam::aws:policy/.+")

# (kind, name, document) as identity.py names each policy of the role.
NamedPolicy = tuple[str, str, Mapping[str, Any]]


def _grants(statement: Mapping[str, Any], action: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        listed = as_list(statement["NotAction"])
        return not any(wildcard(p, action, ignore_case=True) for p in listed)
    return any(wildcard(p, action, ignore_case=True) for p in as_list(statement.get("Action")))


def _scoped(statement: Mapping[str, Any]) -> bool:
    """A Condition, a NotResource or any Resource but "*" alone."""
    return (
        "Condition" in statement
        or "NotResource" in statement
        or as_list(statement.get("Resource")) != ["*"]
    )


def scoped_grants(policies: Iterable[NamedPolicy], actions: Iterable[str]) -> dict[str, list[str]]:
    """Each action that some statement allows but none without scope, with the scoped
    statements (policy: Sid or position) that allow it."""
    named = list(policies)
    found: dict[str, list[str]] = {}
    for action in actions:
        scoped: list[str] = []
        unscoped = False
        for kind, name, document in named:
            for index, statement in enumerate(statements(document)):
                if not _grants(statement, action):
                    continue
                if not _scoped(statement) or (kind == "managed" and AWS_MANAGED.fullmatch(name)):
                    unscoped = True
                    break
                scoped.append(f"{name}: {statement.get('Sid') or f'statement {index}'}")
            if unscoped:
                break
        if scoped and not unscoped:
            found[action] = scoped
    return found
