"""Tracing as the template sets it: off by default, and then the X-Ray SDK is never loaded
(it was most of the cold start); on, only botocore's calls are traced.

Each case imports the handler in a fresh interpreter, as Lambda does, with the function's
environment from the template plus what Lambda itself sets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.template.cfn import function_environment

PROBE = """
import json, sys
import importlib.util
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
import botocore.client, sqlite3
def wrapped(owner, name):
    return type(vars(owner)[name]).__name__ == "FunctionWrapper"  # wrapt's
print(json.dumps({
    "xray": sorted(m for m in sys.modules if m.split(".")[0] == "aws_xray_sdk"),
    "botocore": wrapped(botocore.client.BaseClient, "_make_api_call"),
    "sqlite3": wrapped(sqlite3, "connect"),  # one of the others patch_all() would trace
}))
"""


def import_handler(enable_tracing: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    env |= function_environment({"EnableTracing": enable_tracing})
    env |= {
        "LAMBDA_TASK_ROOT": "/var/task",
        "AWS_LAMBDA_FUNCTION_NAME": "ir-vpc-guard-GuardrailFunction",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "layers" / "guardrail"), str(ROOT / "functions" / "guardrail")]
        ),
    }
    handler = ROOT / "functions" / "guardrail" / "app.py"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(handler)],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_default_stack_never_imports_the_xray_sdk() -> None:
    assert import_handler("false") == {"xray": [], "botocore": False, "sqlite3": False}


def test_tracing_on_patches_botocore_only() -> None:
    traced = import_handler("true")
    assert "aws_xray_sdk.core" in traced["xray"]  # type: ignore[operator]
    assert (traced["botocore"], traced["sqlite3"]) == (True, False)
