"""The tree is the diagram: docs/architecture.md's module map lists exactly the modules there
are, its steps to add a check name files that exist, and imports run one way between stages."""

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = {"ir_vpc_guard": ROOT / "layers/guardrail", "ir_vpc_guard_dev": ROOT / "dev"}
DOC = ROOT / "docs/architecture.md"
# The stages in the order a job goes through them: a stage imports only earlier ones.
STAGES = ("intake", "discovery", "checks", "remediation", "delivery", "outcomes")
# Shared by every stage, importing none: the vocabulary and the state table.
FOUNDATION = ("__init__", "settings", "aws", "findings", "arns", "budget", "requirements", "state")
# They wire the stages together, so they may import any of them.
ORCHESTRATORS = ("application", "pipeline", "sweep", "cli", "observability", "__main__")


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", DOC.read_text(), re.M | re.S)
    assert match, f"docs/architecture.md has no '## {title}' section"
    return match.group(1)


def source_files() -> dict[str, Path]:
    """Every module of both packages by its path from the package's parent; an __init__.py
    counts only when it holds code (not only a docstring)."""
    found = {}
    for base in PACKAGES.values():
        for path in sorted(base.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            name = path.relative_to(base).as_posix()
            if path.name == "__init__.py" and _only_a_docstring(path):
                continue
            found[name] = path
    return found


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) for node in body)


def test_the_module_map_lists_every_module_and_only_those() -> None:
    listed = set(re.findall(r"`(ir_vpc_guard(?:_dev)?/[\w/]+\.py)`", section("Module map")))
    modules = set(source_files())
    assert sorted(modules - listed) == [], "modules missing from the map"
    assert sorted(listed - modules) == [], "the map lists modules that do not exist"


def test_the_steps_to_add_a_check_name_files_that_exist() -> None:
    steps = section("Adding a check")
    named = re.findall(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|md|json|yaml))`", steps)
    assert len(named) >= 4
    for name in named:
        candidates = [ROOT / name, *(base / name for base in PACKAGES.values())]
        assert any(c.exists() for c in candidates), f"{name} does not exist"


def _stage(module: str) -> str | None:
    """The stage or role of a dotted engine module, by its first component."""
    parts = module.split(".")
    if parts[0] != "ir_vpc_guard" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


ENGINE_MODULES = {
    name: path for name, path in source_files().items() if name.startswith("ir_vpc_guard/")
}


@pytest.mark.parametrize("name", sorted(ENGINE_MODULES))
def test_imports_run_one_way(name: str) -> None:
    own = _stage(name.removesuffix(".py").replace("/", "."))
    assert own is not None
    imported = _imports(ENGINE_MODULES[name])
    for module in imported:
        assert not module.startswith("functions"), "the engine never imports the handler"
        if module.startswith("ir_vpc_guard_dev"):
            assert own == "cli", "only the CLI reaches the development package (the demo)"
    stages = {s for s in map(_stage, imported) if s in STAGES}
    if own in FOUNDATION:
        assert stages == set(), f"{own} is shared by every stage and imports none"
    elif own in STAGES:
        later = {s for s in stages if STAGES.index(s) > STAGES.index(own)}
        assert later == set(), f"{own} imports a later stage"
    else:
        assert own in ORCHESTRATORS, f"{own}: place it in a stage or say what it is"


def test_the_steps_to_add_a_channel_name_files_that_exist() -> None:
    steps = section("Adding a channel")
    named = re.findall(r"`((?:[\w.-]+/)+[\w.-]+\.(?:py|md|json|yaml))`", steps)
    assert "ir_vpc_guard/delivery/channels/security_hub.py" in named
    for name in named:
        candidates = [ROOT / name, *(base / name for base in PACKAGES.values())]
        assert any(c.exists() for c in candidates), f"{name} does not exist"
