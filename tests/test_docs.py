"""The README's tables are generated from the code and the template and must not go stale."""

import re
from types import SimpleNamespace

import pytest

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.intake import workloads
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard_dev import catalogue
from scripts.readme_tables import (
    checks_table,
    config_table,
    iam_table,
    reasons_table,
    stops_table,
)
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
        ("reasons", reasons_table),
    ],
)
def test_readme_tables_match_the_code(name: str, table: object) -> None:
    readme = (ROOT / "README.md").read_text()
    assert callable(table)
    assert between(readme, name) == table(), "run `make docs` to regenerate"


def test_the_checks_table_says_which_workloads_each_check_judges() -> None:
    """From the registry: a check judges a workload unless its `not_evaluated` names it or
    it is no requirement of that workload (`Check.judges`)."""
    rows = between((ROOT / "README.md").read_text(), "checks").splitlines()[2:]
    cells = {row.split(" | ")[0].strip("| `"): row.rsplit(" | ", 1)[1].rstrip(" |") for row in rows}
    assert cells["S3_ENDPOINT_MISSING"] == cells["CHECK_ERROR"] == "all"
    assert cells["MODEL_NOT_IN_REGISTRY"] == "`inference-recommender`"
    for check_id, cell in cells.items():
        if check_id in CATALOGUE:
            left_out = [n for n, w in WORKLOADS.items() if not CATALOGUE[check_id].judges(w)]
            assert (cell == "all") is (not left_out), check_id


CHECK = "S3_ENDPOINT_MISSING"  # a requirement of every workload


@pytest.mark.parametrize(
    ("not_evaluated", "cell"),
    [
        ([], "all"),
        (["c"], "all but `c`"),
        (["b", "c"], "`a`"),
        (["a", "b", "c"], "none"),
    ],
)
def test_a_check_left_out_by_few_workloads_names_those(
    monkeypatch: pytest.MonkeyPatch, not_evaluated: list[str], cell: str
) -> None:
    """Workloads registered later change the column by themselves, kept short to read."""
    registry = {
        name: SimpleNamespace(not_evaluated={CHECK: "why"} if name in not_evaluated else {})
        for name in ("a", "b", "c")
    }
    monkeypatch.setattr(workloads, "WORKLOADS", registry)
    assert catalogue.applies_to(CHECK) == cell
