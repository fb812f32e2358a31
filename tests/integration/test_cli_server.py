"""Black box: the installed `ir-vpc-guard replay` against a moto server over HTTP."""

import http.server
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import EVENTS, ROLE_ADVISORY, load_event
from tests.moto_server import BIN, RemoteSession, cli_env, moto_server, reset
from tests.report_schema import validate_report


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        yield url


def replay(url: str, event: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return run_cli(url, "replay", str(event), *flags)


def run_cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ir-vpc-guard"), *argv],
        env=cli_env(url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _remote_world(server: str, **knobs: Any) -> tuple[World, Any]:
    """A fresh account on the shared server, with a world built over HTTP; its EC2 client."""
    reset(server)
    remote = RemoteSession(server)
    return build_world(remote, "us-east-1", **knobs), remote.client("ec2")


def test_replay_names_the_findings_of_the_world_it_finds(server: str, tmp_path: Path) -> None:
    world = build_world(RemoteSession(server), "us-east-1", with_endpoint=False)
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(world.event(load_event("good_job"))))

    result = replay(server, event_file, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    validate_report(report)
    # Over HTTP moto answers SimulatePrincipalPolicy with a 500: the role check falls back.
    assert [f["checkId"] for f in report["findings"]] == ["S3_ENDPOINT_MISSING", ROLE_ADVISORY]
    assert report["job"]["vpc"] == world.vpc_id


def test_replay_of_a_placeholder_event_reports_missing_resources(server: str) -> None:
    result = replay(server, EVENTS / "good_job.json", "--json")
    assert result.returncode == 1
    found = {f["checkId"] for f in json.loads(result.stdout)["findings"]}
    assert {"SUBNET_NOT_FOUND", "SECURITY_GROUP_NOT_FOUND"} <= found


def test_readable_summary_and_exit_codes(server: str, tmp_path: Path) -> None:
    skipped = replay(server, EVENTS / "failed_call.json")
    assert skipped.returncode == 0 and skipped.stdout.startswith("SKIPPED: demo-ir-job")
    assert skipped.stderr == ""  # skipped for its own reason: no cross-account hint
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    broken = replay(server, bad)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr


def test_replay_in_apply_mode_fixes_the_world_over_http(server: str, tmp_path: Path) -> None:
    world, ec2 = _remote_world(server, with_endpoint=False, group_egress="proxy-https-only")
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(world.event(load_event("good_job"))))

    first = replay(server, event_file, "--json", "--mode", "apply")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["outcome"] == "REMEDIATED"
    assert {a["status"] for a in report["actions"]} == {"APPLIED"}
    second = replay(server, event_file, "--json", "--mode", "apply")
    assert json.loads(second.stdout)["outcome"] == "PASS"
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}])
    assert len(endpoints["VpcEndpoints"]) == 1


def test_replay_of_another_accounts_event_is_skipped_unless_allowed(
    server: str, tmp_path: Path
) -> None:
    world, ec2 = _remote_world(server, with_endpoint=False, group_egress="proxy-https-only")
    event = world.event(load_event("good_job"))
    event["account"] = event["detail"]["recipientAccountId"] = "111122223333"
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))

    # The credentials are moto's account 123456789012: in apply mode the old CLI wrote there.
    skipped = replay(server, event_file, "--json", "--mode", "apply")
    assert skipped.returncode == 0, skipped.stderr
    report = json.loads(skipped.stdout)
    validate_report(report)
    assert report["outcome"] == "SKIPPED"
    assert "another account (111122223333)" in report["reason"]
    assert "(123456789012)" in report["reason"]
    assert "--allow-cross-account" in skipped.stderr
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}])
    assert endpoints["VpcEndpoints"] == []  # nothing written in the credentials' account

    allowed = replay(server, event_file, "--json", "--allow-cross-account")
    assert allowed.returncode == 1, allowed.stderr
    checked = json.loads(allowed.stdout)
    assert checked["account"] == "111122223333"
    assert "S3_ENDPOINT_MISSING" in {f["checkId"] for f in checked["findings"]}


def test_a_same_account_job_without_a_vpc_is_skipped_without_the_cross_account_note(
    server: str, tmp_path: Path
) -> None:
    event = load_event("no_vpc_config")
    event["account"] = event["detail"]["recipientAccountId"] = "123456789012"  # moto's own
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    skipped = replay(server, event_file, "--json")
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)["outcome"] == "SKIPPED"
    assert "--allow-cross-account" not in skipped.stderr  # red team: it said so wrongly


def test_an_unreachable_endpoint_is_one_line_naming_the_region(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for argv in (
        ["replay", str(EVENTS / "good_job.json")],
        ["check", "--subnets", "subnet-1", "--security-groups", "sg-1"],
        ["job", "nightly"],
    ):
        result = run_cli(url, *argv, "--region", "eu-west-3")
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr == (
            f"ir-vpc-guard: region eu-west-3: {url} cannot serve it (EndpointConnectionError):"
            " check --region, AWS_ENDPOINT_URL and the network\n"
        )


@pytest.mark.parametrize("status", [200, 404, 502])
def test_an_html_answer_is_one_line_not_a_page_of_check_errors(status: int) -> None:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # what a web server, or a proxy's error page, answers
            body = b"<!DOCTYPE html><html><body><h1>Welcome</h1>" + b"<p>x</p>" * 200 + b"</html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{web.server_address[1]}"
        result = run_cli(url, "replay", str(EVENTS / "good_job.json"))
    finally:
        web.shutdown()
        web.server_close()
    assert (result.returncode, result.stdout) == (2, ""), result.stdout
    assert result.stderr == (
        f"ir-vpc-guard: region us-east-1: {url} cannot serve it (ResponseParserError):"
        " check --region, AWS_ENDPOINT_URL and the network\n"
    )
    assert "<html" not in result.stderr.lower()
