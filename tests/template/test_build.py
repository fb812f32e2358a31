"""What `sam build` made: the layer carries the engine and Powertools for arm64, the function
carries the handler. `make build` runs these right after the build (SAM_BUILD_DIR set);
`make test` skips them rather than judge a build left over from another revision.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.template.cfn import load
from tests.template.test_layer_requirements import COMMITTED, RUNTIME, pins

BUILD = os.environ.get("SAM_BUILD_DIR")
pytestmark = pytest.mark.skipif(not BUILD, reason="checks a fresh `sam build`: run make build")
ENGINE = ROOT / "layers" / "guardrail" / "ir_vpc_guard"
LAYER_LIMIT_BYTES = 250 * 1024 * 1024  # Lambda: function and layers unzipped, together
# The import names of the runtime's packages (python-dateutil is imported as dateutil).
RUNTIME_IMPORTS = {name.replace("python-", "") for name in RUNTIME}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def built() -> Path:
    assert BUILD
    return Path(BUILD)


def layer_python() -> Path:
    return built() / "EngineLayer" / "python"


def test_layer_holds_the_engine_package_as_in_the_repository() -> None:
    sources = [p for p in ENGINE.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sources
    for source in sources:
        copy = layer_python() / "ir_vpc_guard" / source.relative_to(ENGINE)
        assert copy.is_file(), f"{copy} missing from the layer"
        assert copy.read_bytes() == source.read_bytes(), f"{copy} differs from {source}"


def test_layer_holds_exactly_the_locked_requirements() -> None:
    """Every distribution in the layer is a pinned requirement at its pinned version, and
    every pinned requirement is there: nothing resolved anew, nothing of the runtime's."""
    installed = {}
    for info in layer_python().glob("*.dist-info"):
        metadata = (info / "METADATA").read_text()
        name = re.search(r"^Name: (.+)$", metadata, re.M)
        version = re.search(r"^Version: (.+)$", metadata, re.M)
        assert name and version, info
        installed[canonical(name.group(1))] = version.group(1).strip()
    locked = {canonical(name): version for name, version in pins(COMMITTED.read_text()).items()}
    assert installed == locked


def test_layer_holds_none_of_the_runtimes_packages() -> None:
    present = {p.name for p in layer_python().iterdir()}
    assert not present & RUNTIME_IMPORTS, "these would shadow the runtime's boto3 stack"
    assert (layer_python() / "aws_lambda_powertools" / "__init__.py").is_file()
    # The X-Ray SDK stays for EnableTracing=true; without its botocore dependency.
    assert (layer_python() / "aws_xray_sdk" / "__init__.py").is_file()


def test_layer_code_is_byte_compiled_for_the_runtime() -> None:
    """/opt is read-only in Lambda: code without bytecode is compiled at every cold start."""
    tag = "cpython-313"
    for source in (layer_python() / "ir_vpc_guard").rglob("*.py"):
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), f"{source} is not compiled"


def test_compiled_code_in_the_layer_is_for_arm64() -> None:
    extensions = list(layer_python().rglob("*.so"))
    assert [p for p in extensions if "x86_64" in p.name] == []
    for extension in extensions:
        header = extension.read_bytes()[:20]
        assert header[:4] == b"\x7fELF"
        assert int.from_bytes(header[18:20], "little") == 183, f"{extension} is not aarch64"


def test_function_holds_the_handler() -> None:
    function = built() / "GuardrailFunction"
    assert (function / "app.py").is_file()
    assert not (function / "ir_vpc_guard").exists(), "the engine ships in the layer only"


def test_built_template_points_at_the_built_code_and_fits_lambdas_limit() -> None:
    template = load(built() / "template.yaml")
    resources = template["Resources"]
    assert resources["GuardrailFunction"]["Properties"]["CodeUri"] == "GuardrailFunction"
    assert resources["EngineLayer"]["Properties"]["ContentUri"] == "EngineLayer"
    size = sum(
        p.stat().st_size
        for part in ("GuardrailFunction", "EngineLayer")
        for p in (built() / part).rglob("*")
        if p.is_file()
    )
    assert size < LAYER_LIMIT_BYTES


DEVELOPMENT_ONLY = ("moto", "rich", "hypothesis", "pytest", "ir_vpc_guard_dev")


def test_layer_ships_no_development_code() -> None:
    """The demo, its sample world and the catalogue printer live in dev/ir_vpc_guard_dev,
    outside the layer's ContentUri; no layer module imports moto or the dev package."""
    python = layer_python()
    assert not (python / "ir_vpc_guard_dev").exists()
    for name in ("demo.py", "sandbox.py", "catalogue.py"):
        assert list(python.rglob(f"ir_vpc_guard/**/{name}")) == [], f"{name} is in the layer"
    for name in DEVELOPMENT_ONLY:
        assert not (python / name).exists(), f"{name} is in the layer"
    imports = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(DEVELOPMENT_ONLY)})\b", re.M)
    for source in (python / "ir_vpc_guard").rglob("*.py"):
        found = imports.findall(source.read_text())
        if source.name == "cli.py":  # `ir-vpc-guard demo` reaches the dev install, lazily
            found = [name for name in found if name != "ir_vpc_guard_dev"]
        assert found == [], f"{source} imports {found}"
