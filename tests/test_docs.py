"""The README's tables are generated from the code and the template and must not go stale."""

import re

import pytest

from scripts.readme_tables import checks_table, config_table, iam_table, stops_table
from tests.conftest import ROOT


def between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n?<!-- {name}:end -->", text, re.S)
    assert match, f"README has no {name} markers"
    return match.group(1).strip()


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("checks", checks_table),
        ("config", config_table),
        ("iam", iam_table),
        ("stops", stops_table),
    ],
)
def test_readme_tables_match_the_code(name: str, table: object) -> None:
    readme = (ROOT / "README.md").read_text()
    assert callable(table)
    assert between(readme, name) == table(), "run `make docs` to regenerate"
