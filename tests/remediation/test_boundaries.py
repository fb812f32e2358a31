"""Remediation reasons with the modules the checks share (network, s3path, the registry),
never with a check module: a check module holds only its registrations and findings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ir_vpc_guard.remediation
from ir_vpc_guard.checks import CATALOGUE

REMEDIATION = Path(ir_vpc_guard.remediation.__file__).parent
CHECK_MODULES = {check.run.__module__ for check in CATALOGUE.values()}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, `from package import module` included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_check_modules_are_known() -> None:
    assert "ir_vpc_guard.checks.egress" in CHECK_MODULES
    assert "ir_vpc_guard.checks.network" not in CHECK_MODULES
    assert "ir_vpc_guard.checks.s3path" not in CHECK_MODULES


@pytest.mark.parametrize(
    "path", sorted(REMEDIATION.rglob("*.py")), ids=lambda p: p.relative_to(REMEDIATION).as_posix()
)
def test_remediation_never_imports_a_check_module(path: Path) -> None:
    assert not imported_modules(path) & CHECK_MODULES
