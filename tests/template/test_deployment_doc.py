"""docs/deployment.md's parameter table matches the template's parameters and defaults."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tests.template.cfn import defaults, load

DOC = ROOT / "docs" / "deployment.md"


def table() -> dict[str, str]:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", DOC.read_text(), re.M)
    return {name: default.strip() for name, default in rows}


def test_every_parameter_is_documented_with_its_default() -> None:
    documented = table()
    assert sorted(documented) == sorted(load()["Parameters"])
    for name, default in defaults(load()).items():
        shown = documented[name]
        assert shown == f"`{default}`" or (default == "" and shown.startswith("empty")), name
