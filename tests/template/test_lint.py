"""Static analysis of the template: cfn-lint (with the SAM transform) and checkov.

Both must report nothing. cfn-lint runs with its informational rules too; checkov runs on
the SAM template and on the transformed CloudFormation (where it sees the generated role,
rule and permissions). Every checkov skip sits next to its resource in the template's
Metadata with the reason, and this test lists them so a new one is a visible change.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]

from tests.template.cfn import TEMPLATE, transformed

# (check id, resource) -> why it does not apply; the reasons are in template.yaml.
CHECKOV_SKIPS = {
    ("CKV_AWS_116", "GuardrailFunction"),  # failures go to the OnFailure destination
    ("CKV_AWS_117", "GuardrailFunction"),  # calls AWS APIs only; no VPC needed
    ("CKV_AWS_173", "GuardrailFunction"),  # environment holds no secret
    ("CKV_AWS_158", "GuardrailLogGroup"),  # no secrets in logs; service encryption
    ("CKV_AWS_119", "GuardrailTable"),  # AWS managed key; no findings stored
    ("CKV_AWS_27", "DeadLetterQueue"),  # SSE-SQS, which the check does not recognise
}


def test_cfn_lint_reports_nothing() -> None:
    config = ManualArgs(regions=["us-east-1", "eu-west-1", "ap-southeast-2"], include_checks=["I"])
    matches = lint_file(Path(TEMPLATE), config=config)
    assert [str(match) for match in matches] == []


def test_checkov_fails_nothing_and_skips_only_the_justified(tmp_path: Path) -> None:
    cfn = tmp_path / "transformed.json"
    cfn.write_text(json.dumps(transformed(), indent=1))
    checkov = Path(sys.executable).with_name("checkov")
    run = subprocess.run(
        [str(checkov), "--skip-download", "--framework", "cloudformation",
         "--output", "json", "-f", str(TEMPLATE), "-f", str(cfn)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.stdout, run.stderr
    report = json.loads(run.stdout)
    results = report["results"]
    failed = [(c["check_id"], c["resource"], c["file_path"]) for c in results["failed_checks"]]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] >= 20, "checkov read both templates"
    skipped = {(c["check_id"], c["resource"].split(".")[-1]) for c in results["skipped_checks"]}
    assert skipped == CHECKOV_SKIPS
