"""One name for each thing: the action names and modes are spelled once (findings.py), and
everything that lists them (settings, IAM declarations, planners, check hints, the
template, the report schema and the docs) lists exactly those."""

from __future__ import annotations

import json
import re

import pytest

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.findings import FIXES, ActionName, Mode
from ir_vpc_guard.remediation.fixes import FIX_UNITS, STOP_UNITS
from ir_vpc_guard.settings import Settings, SettingsError
from tests.conftest import ROOT
from tests.template.cfn import load

# The public contract (reports, SNS filter policies, settings): a rename breaks users.
CONTRACT = {
    "create-s3-gateway-endpoint",
    "add-endpoint-route-tables",
    "add-s3-egress-rule",
    "add-subnet-egress-rules",
    "add-peer-ingress-rule",
    "stop-job",
    "manual",
}
SCHEMA = ROOT / "layers/guardrail/ir_vpc_guard/delivery/report.schema.json"
# Prose that lists the actions REMEDIATION_ACTIONS may name ("... subset of a, b, c, d").
LISTING = re.compile(r"subset of (.*?)(?:\.|\)| or empty| \|)")
DOCS = ("README.md", "docs/deployment.md", "docs/operations.md")


def test_the_names_are_the_public_contract() -> None:
    assert {name.value for name in ActionName} == CONTRACT
    assert [mode.value for mode in Mode] == ["report", "apply"]
    assert set(FIXES) == CONTRACT - {"stop-job", "manual"}


def test_every_fix_is_a_registered_unit_hinted_by_a_check() -> None:
    hints = {c.remediation_action for c in CATALOGUE.values() if c.remediation_action}
    assert list(FIX_UNITS) == list(FIXES)
    assert hints == set(FIXES)
    assert all(unit.iam_actions for unit in FIX_UNITS.values()), "each fix declares its IAM"
    assert [unit.name for unit in STOP_UNITS] == [ActionName.STOP_JOB]


def test_settings_accept_exactly_the_fixes() -> None:
    assert Settings().remediation_actions == frozenset(FIXES)
    for fix in FIXES:
        chosen = Settings.from_env({"REMEDIATION_ACTIONS": fix.value}).remediation_actions
        assert chosen == {fix} and all(type(a) is ActionName for a in chosen)
    for other in (ActionName.STOP_JOB, ActionName.MANUAL):
        with pytest.raises(SettingsError, match="unknown actions"):
            Settings.from_env({"REMEDIATION_ACTIONS": other.value})
    assert Settings.from_env({"REMEDIATION_MODE": "apply"}).remediation_mode is Mode.APPLY


def test_the_template_allows_exactly_the_fixes_and_modes() -> None:
    parameters = load()["Parameters"]
    actions = parameters["RemediationActions"]
    choice = "|".join(FIXES)
    assert actions["AllowedPattern"] == f"^$|^({choice})(,({choice}))*$"
    assert _listed(actions["ConstraintDescription"]) == [list(FIXES)]
    assert parameters["RemediationMode"]["AllowedValues"] == list(Mode)
    assert parameters["RemediationMode"]["Default"] == Mode.REPORT


def test_the_report_schema_knows_the_modes() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["properties"]["mode"]["enum"] == list(Mode)


@pytest.mark.parametrize("doc", DOCS)
def test_the_docs_list_exactly_the_fixes(doc: str) -> None:
    listings = _listed((ROOT / doc).read_text())
    assert listings, f"{doc} no longer lists the remediation actions"
    assert all(names == list(FIXES) for names in listings), listings


def _listed(text: str) -> list[list[str]]:
    """The action names of every "subset of ..." in the text, in order."""
    flat = " ".join(text.split())
    return [
        re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", listing)
        for listing in LISTING.findall(flat)
        if "create-s3-gateway-endpoint" in listing
    ]
