"""The layer's requirements are uv.lock's versions, minus what the Lambda runtime brings.

`make layer-requirements` writes layers/guardrail/requirements.txt; a lock change that is
not exported again, or a hand edit, fails here (the build installs from this file).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT

COMMITTED = ROOT / "layers" / "guardrail" / "requirements.txt"
# Part of the python3.13 runtime (boto3 and its dependencies): a copy in the layer would be
# imported before the runtime's own and run the runtime's boto3 on another botocore.
RUNTIME = {"boto3", "botocore", "s3transfer", "urllib3", "jmespath", "python-dateutil", "six"}


def pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", text, re.M))


def test_committed_requirements_equal_a_fresh_export(tmp_path: Path) -> None:
    fresh = tmp_path / "requirements.txt"
    subprocess.run(
        ["make", "--no-print-directory", "-s", "layer-requirements",
         f"LAYER_REQUIREMENTS={fresh}"],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert COMMITTED.read_text() == fresh.read_text(), "run `make layer-requirements`"


def test_every_requirement_is_pinned_and_none_is_the_runtimes() -> None:
    text = COMMITTED.read_text()
    requirements = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    pinned = pins(text)
    assert len(pinned) == len(requirements), "every requirement is name==version"
    assert "aws-lambda-powertools" in pinned
    assert not RUNTIME & set(pinned)
