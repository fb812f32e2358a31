"""The mute list end to end: the Lambda reading it from SSM (moto), and the CLI's
--mute-file against a moto server over HTTP."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters

from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import World, allow_eni_attribute, build_world
from tests.conftest import REGION, ROLE_ADVISORY, load_event
from tests.lambda_context import Inbox, deploy
from tests.moto_server import BIN, RemoteSession, cli_env, moto_server
from tests.report_schema import validate_report

PARAMETER = "/ir-vpc-guard/mutes"
SOON = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
LAPSED = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


def mute_of(vpc: str, expires: str = SOON) -> dict[str, Any]:
    """One entry for the world's S3 path (VPC_ID: filled in once the world exists)."""
    return {
        "mutes": [
            {
                "checkId": "S3_ENDPOINT_MISSING",
                "vpc": vpc,
                "job": "*",
                "reason": "S3 through the inspection appliance, accepted by SecOps",
                "expires": expires,
            }
        ]
    }


@pytest.fixture(autouse=True)
def _cold_parameters() -> Iterator[None]:
    """Powertools caches parameters (and its SSM client) per process: start each test cold."""
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    yield
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def lambda_run(
    aws: Any, monkeypatch: pytest.MonkeyPatch, mute_list: str | None, mode: str = "report"
) -> tuple[dict[str, Any], Inbox, World]:
    aws.client("securityhub").enable_security_hub()
    world = build_world(aws, REGION, with_endpoint=False)
    allow_eni_attribute(aws)  # the mute is what silences: no role advisory besides
    inbox = Inbox(aws)
    if mute_list is not None:
        text = mute_list.replace("VPC_ID", world.vpc_id)
        aws.client("ssm").put_parameter(Name=PARAMETER, Value=text, Type="String")
    app = deploy(
        monkeypatch,
        TOPIC_ARN=inbox.topic_arn,
        SECURITY_HUB="true",
        MUTE_LIST_PARAMETER=PARAMETER,
        REMEDIATION_MODE=mode,
    )
    report = app.lambda_handler(world.event(load_event("good_job")), FakeContext())
    return report, inbox, world


def test_lambda_mutes_from_ssm_publishes_nothing_and_suppresses_in_security_hub(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = json.dumps(mute_of("VPC_ID"))
    report, inbox, _ = lambda_run(aws, monkeypatch, text)
    validate_report(report)
    (muted,) = [f for f in report["findings"] if f["checkId"] != ROLE_ADVISORY]
    assert muted["checkId"] == "S3_ENDPOINT_MISSING"
    assert muted["muted"]["expires"] == SOON
    assert report["outcome"] == "PASS" and report["summary"]["muted"] == 1
    assert inbox.envelopes() == []  # NOTIFY_ON=findings: an accepted finding does not alert
    hub = aws.client("securityhub").get_findings()["Findings"]
    (suppressed,) = [f for f in hub if f["GeneratorId"] == "ir-vpc-guard/S3_ENDPOINT_MISSING"]
    assert suppressed["Workflow"]["Status"] == "SUPPRESSED"


def test_lambda_in_apply_mode_does_not_fix_a_muted_finding(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, _, world = lambda_run(aws, monkeypatch, json.dumps(mute_of("VPC_ID")), "apply")
    assert report["outcome"] == "PASS" and "actions" not in report
    assert report["findings"][0]["remediation"]["status"] == "SKIPPED"
    endpoints = aws.client("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )["VpcEndpoints"]
    assert endpoints == []


def test_lambda_with_an_expired_entry_alerts_and_lists_it(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, inbox, world = lambda_run(aws, monkeypatch, json.dumps(mute_of("VPC_ID", LAPSED)))
    assert report["outcome"] == "FAIL" and "muted" not in report["findings"][0]
    assert report["expiredMutes"] == mute_of(world.vpc_id, LAPSED)["mutes"]
    assert len(inbox.envelopes()) == 1


@pytest.mark.parametrize("stored", [None, '{"mutes": [{"checkId": "S3_ENDPOINT_MISSING"}]}'])
def test_lambda_with_a_missing_or_invalid_list_mutes_nothing_and_says_so(
    aws: Any, monkeypatch: pytest.MonkeyPatch, stored: str | None
) -> None:
    report, inbox, _ = lambda_run(aws, monkeypatch, stored)
    assert report["outcome"] == "FAIL"
    found = {f["checkId"]: f for f in report["findings"]}
    assert "muted" not in found["S3_ENDPOINT_MISSING"]
    assert PARAMETER in found["MUTE_LIST_INVALID"]["detail"]
    assert len(inbox.envelopes()) == 1


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, World]]:
    """One server and one world (report mode changes nothing, so the tests share it)."""
    with moto_server() as url:
        yield url, build_world(RemoteSession(url), REGION, with_endpoint=False)


def replay(url: str, tmp_path: Path, world: World, mute_text: str) -> tuple[int, dict[str, Any]]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(world.event(load_event("good_job"))))
    mute_file = tmp_path / "mutes.json"
    mute_file.write_text(mute_text)
    result = subprocess.run(
        [str(BIN / "ir-vpc-guard"), "replay", str(event), "--json", "--mute-file", str(mute_file)],
        env=cli_env(url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    validate_report(report)
    return result.returncode, report


def test_cli_mute_file_mutes_against_a_moto_server(
    server: tuple[str, World], tmp_path: Path
) -> None:
    url, world = server
    code, report = replay(url, tmp_path, world, json.dumps(mute_of(world.vpc_id)))
    assert code == 0
    assert report["outcome"] == "PASS"
    assert [f["muted"]["reason"] for f in report["findings"] if f["checkId"] != ROLE_ADVISORY] == [
        "S3 through the inspection appliance, accepted by SecOps"
    ]


def test_cli_invalid_mute_file_mutes_nothing(server: tuple[str, World], tmp_path: Path) -> None:
    url, world = server
    code, report = replay(url, tmp_path, world, "{not json")
    assert code == 1 and report["outcome"] == "FAIL"
    assert sorted(f["checkId"] for f in report["findings"]) == [
        "MUTE_LIST_INVALID",
        ROLE_ADVISORY,
        "S3_ENDPOINT_MISSING",
    ]
    assert not any("muted" in f for f in report["findings"])
