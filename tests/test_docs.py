"""The README's tables are generated from the code and must not go stale."""

import re

from ir_vpc_guard.checks.table import markdown
from tests.conftest import ROOT


def between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n?<!-- {name}:end -->", text, re.S)
    assert match, f"README has no {name} markers"
    return match.group(1).strip()


def test_readme_check_table_matches_the_registry() -> None:
    readme = (ROOT / "README.md").read_text()
    assert between(readme, "checks") == markdown(), "run `make docs` to regenerate"
