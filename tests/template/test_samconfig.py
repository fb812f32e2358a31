"""samconfig.toml deploys the template as it is: known parameters, allowed values."""

from __future__ import annotations

import shlex
import tomllib
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.template.cfn import load

CONFIG = ROOT / "samconfig.toml"


def config() -> dict[str, Any]:
    return tomllib.loads(CONFIG.read_text())


def overrides(environment: str) -> dict[str, str]:
    text = config()[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


def test_default_deploy_is_the_guarded_report_mode_stack() -> None:
    default = config()["default"]
    assert default["global"]["parameters"]["stack_name"] == "ir-vpc-guard"
    deploy = default["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True
    assert overrides("default")["RemediationMode"] == "report"
    assert overrides("apply")["RemediationMode"] == "apply"


@pytest.mark.parametrize("environment", ["default", "apply"])
def test_overrides_name_real_parameters_with_allowed_values(environment: str) -> None:
    parameters = load()["Parameters"]
    for name, value in overrides(environment).items():
        assert name in parameters, name
        allowed = parameters[name].get("AllowedValues")
        assert allowed is None or value in [str(v) for v in allowed], (name, value)
