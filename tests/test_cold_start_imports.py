"""The cold start of the event path: importing the handler as Lambda does (a fresh interpreter,
the template's environment, what Lambda sets) loads what an Inference Recommender job's
event uses, and none of what only other paths use. Each of these was a measured part of the
cold start (benchmarks/RESULTS.md, table 3) and is imported where it is first used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.template.cfn import function_environment

HANDLER = ROOT / "functions" / "guardrail" / "app.py"
# Imported by the handler's module, then the modules it left loaded, as JSON.
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
print(json.dumps(sorted(sys.modules)))
"""
# Never on the event path's import, by the package (every module under it) or module.
OFF_THE_EVENT_PATH = {
    "ir_vpc_guard.outcomes": "a state-change event or the sweep's comparison loads it",
    "ir_vpc_guard.sweep": "the schedule's event loads it",
    "ir_vpc_guard.remediation.executor": "the first approved fix loads it",
    "ir_vpc_guard.delivery.securityhub": "SECURITY_HUB=true loads the ASFF mapping",
    "aws_lambda_powertools.utilities.parameters": "MUTE_LIST_PARAMETER loads it",
    "aws_lambda_powertools.utilities.data_classes": "every Powertools event class",
    "aws_xray_sdk": "tracing is off by default",
}
# Development and test packages: never in the function (they are not in the layer).
DEV_ONLY = ("moto", "jsonschema", "pydantic", "rich", "typer", "hypothesis", "ir_vpc_guard_dev")


def imported_by_handler(**settings: str) -> set[str]:
    """The modules loaded by importing functions/guardrail/app.py with the template's default
    environment (EnableTracing=false) and `settings` over it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env |= function_environment({"EnableTracing": "false"}) | settings
    env |= {
        "LAMBDA_TASK_ROOT": str(HANDLER.parent),
        "AWS_LAMBDA_FUNCTION_NAME": "ir-vpc-guard-GuardrailFunction",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PYTHONPATH": os.pathsep.join([str(HANDLER.parent), str(ROOT / "layers" / "guardrail")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(HANDLER)],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def under(modules: set[str], name: str) -> list[str]:
    """`name` and every module of it that is loaded."""
    return sorted(m for m in modules if m == name or m.startswith(f"{name}."))


@pytest.fixture(scope="module")
def default_import() -> set[str]:
    return imported_by_handler()


def test_the_handler_import_loads_the_event_path(default_import: set[str]) -> None:
    """What an Inference Recommender job's event runs through is loaded at cold start."""
    for module in (
        "ir_vpc_guard.pipeline",
        "ir_vpc_guard.intake.workloads.inference_recommender",
        "ir_vpc_guard.checks",
        "ir_vpc_guard.delivery.deliverer",
        "aws_lambda_powertools.utilities.idempotency",  # the template sets IDEMPOTENCY_TABLE
    ):
        assert module in default_import


@pytest.mark.parametrize("name", sorted(OFF_THE_EVENT_PATH))
def test_the_handler_import_leaves_out_what_other_paths_use(
    default_import: set[str], name: str
) -> None:
    assert under(default_import, name) == [], OFF_THE_EVENT_PATH[name]


def test_the_handler_import_loads_no_development_package(default_import: set[str]) -> None:
    assert sorted(m for m in default_import if m.split(".")[0] in DEV_ONLY) == []


@pytest.mark.parametrize(
    ("settings", "loaded"),
    [
        (
            {"MUTE_LIST_PARAMETER": "/ir-vpc-guard/mutes"},
            "aws_lambda_powertools.utilities.parameters",
        ),
        ({"SECURITY_HUB": "true"}, "ir_vpc_guard.delivery.securityhub"),
    ],
)
def test_a_setting_that_uses_a_part_loads_it_at_cold_start(
    settings: dict[str, str], loaded: str
) -> None:
    """The probe sees a lazily imported part when the settings use it."""
    assert loaded in imported_by_handler(**settings)
