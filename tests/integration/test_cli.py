"""The CLI in-process on moto: every command, and every error path with its exit code.

The black-box runs over HTTP against a moto server are in test_cli_server.py.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from ir_vpc_guard import cli
from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import REGION, ROLE_ADVISORY, load_event
from tests.integration.calls import counting_session
from tests.integration.fake_recommender import FakeRecommender
from tests.refusals import refuse
from tests.report_schema import validate_report


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def broken(aws: Any) -> World:
    return build_world(aws, REGION, with_endpoint=False, group_egress="proxy-https-only")


@pytest.fixture
def cli_session(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The one boto3 session every CLI command gets, so that a test can hook its calls."""
    session = boto3.session.Session(region_name=REGION)
    monkeypatch.setattr(boto3.session, "Session", lambda region_name=None: session)
    return session


def test_check_is_a_preflight_with_the_same_report(
    capsys: pytest.CaptureFixture[str], broken: World, tmp_path: Path
) -> None:
    out_file = tmp_path / "report.json"
    code, out, err = run(
        capsys,
        "check",
        "--subnets",
        *broken.subnet_ids,
        "--security-groups",
        *broken.group_ids,
        "--role-arn",
        broken.role_arn,
        "--model-package-arn",
        broken.model_package_arn,
        "--max-parallel",
        "2",
        "--json",
        "--output-file",
        str(out_file),
    )
    assert code == 1, err
    report = json.loads(out)
    validate_report(report)
    assert report["trigger"] == "cli"
    assert report["job"]["name"] == "preflight"
    assert {f["checkId"] for f in report["findings"]} == {
        "S3_ENDPOINT_MISSING",
        "SG_EGRESS_S3_MISSING",
        "SG_EGRESS_SUBNETS_MISSING",
        ROLE_ADVISORY,
    }
    assert json.loads(out_file.read_text())["findings"] == report["findings"]


def test_check_in_apply_mode_fixes_then_passes(
    capsys: pytest.CaptureFixture[str], broken: World
) -> None:
    args = ["check", "--subnets", *broken.subnet_ids, "--security-groups", *broken.group_ids]
    code, out, _ = run(capsys, *args, "--mode", "apply")
    assert code == 0
    assert out.startswith("REMEDIATED: preflight")
    assert "* APPLIED create-s3-gateway-endpoint" in out
    code, out, _ = run(capsys, *args)
    assert (code, out.splitlines()[0]) == (0, f"PASS: preflight in {broken.account}/{REGION}")


def test_check_names_an_unknown_subnet(capsys: pytest.CaptureFixture[str], world: World) -> None:
    code, out, _ = run(
        capsys,
        "check",
        "--subnets",
        "subnet-0123456789abcdef0",
        "--security-groups",
        *world.group_ids,
        "--json",
    )
    assert code == 1
    report = json.loads(out)
    [missing] = [f for f in report["findings"] if f["checkId"] == "SUBNET_NOT_FOUND"]
    assert missing["resources"] == ["subnet-0123456789abcdef0"]


def test_invalid_ids_are_refused_in_one_line_and_never_sent(
    capsys: pytest.CaptureFixture[str], world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    monkeypatch.setattr(boto3.session, "Session", lambda region_name=None: session)
    code, out, err = run(
        capsys, "check", "--subnets", "subnet-$(rm -rf)", "--security-groups", "sg-1", "--json"
    )
    assert (code, out) == (2, "")
    assert err == (
        "ir-vpc-guard: --subnets: 'subnet-$(rm -rf)' is not an ID (letters, digits, -;"
        " 32 at most)\n"
    )
    assert not calls  # refused before any call: no ID went anywhere


# Each value CreateInferenceRecommendationsJob would refuse (botocore's model limits).
OUT_OF_LIMITS = [
    (["job", "a_b"], "job name 'a_b' is not valid"),
    (["job", "a" * 65], "is not valid: 1-64 characters"),
    (["job", "job-"], "job name 'job-' is not valid"),
    (
        ["check", "--subnets", "subnet-1", "--security-groups", "sg-1", "--max-parallel", "0"],
        "--max-parallel must be at least 1, got 0",
    ),
    (
        ["check", "--subnets", "subnet-1", "--security-groups", "sg-1", "--max-parallel", "-3"],
        "--max-parallel must be at least 1, got -3",
    ),
    (
        ["check", "--subnets", *[f"subnet-{i}" for i in range(17)], "--security-groups", "sg-1"],
        "--subnets takes 1 to 16 IDs, got 17",
    ),
    (
        ["check", "--subnets", "subnet-1", "--security-groups", *[f"sg-{i}" for i in range(6)]],
        "--security-groups takes 1 to 5 IDs, got 6",
    ),
    (
        ["check", "--subnets", "subnet-1", "--security-groups", "sg-1", "--role-arn", "MyRole"],
        "--role-arn 'MyRole' is not valid",
    ),
    (
        ["check", "--subnets", "subnet-1", "--security-groups", "sg-1", "--model-name", "m" * 64],
        "--model-name",
    ),
    (
        [
            "check",
            "--subnets",
            "subnet-1",
            "--security-groups",
            "sg-1",
            "--model-package-arn",
            "arn:aws:s3:::bucket",
        ],
        "--model-package-arn",
    ),
    (
        ["check", "--subnets", "subnet-1", "--security-groups", "sg-1", "--job-name", "a b"],
        "--job-name 'a b' is not valid",
    ),
    (
        [
            "check",
            "--subnets",
            "subnet-1",
            "--security-groups",
            "sg-1",
            "--instance-types",
            *["ml.m5.large"] * 11,
        ],
        "--instance-types takes at most 10 types",
    ),
    (
        [
            "check",
            "--subnets",
            "subnet-1",
            "--security-groups",
            "sg-1",
            "--stop-on-checks",
            "SUBNET_NOT_FOUND",
            "VPC_CUSTOM_DNS",
        ],
        "STOP_ON_CHECKS names checks that cannot stop a job: VPC_CUSTOM_DNS",
    ),
]


@pytest.mark.parametrize(("argv", "message"), OUT_OF_LIMITS)
def test_values_outside_the_apis_limits_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("ir-vpc-guard: ") and message in err
    assert err.count("\n") == 1


def test_a_64_character_job_name_is_read(
    capsys: pytest.CaptureFixture[str], broken: World, cli_session: Any
) -> None:
    name = "j" * 64  # the API's longest name: refused as invalid before this fix
    fake = FakeRecommender(cli_session)
    fake.add(broken, name)
    code, out, _ = run(capsys, "job", name, "--json")
    assert code == 1
    assert json.loads(out)["job"]["name"] == name
    assert fake.calls == ["DescribeInferenceRecommendationsJob"]


def test_a_service_the_region_cannot_serve_is_one_line_naming_the_region(
    capsys: pytest.CaptureFixture[str], world: World, cli_session: Any
) -> None:
    def no_endpoint(**_: Any) -> None:  # as when sagemaker has no endpoint in the region
        raise EndpointConnectionError(endpoint_url=f"https://api.sagemaker.{REGION}.amazonaws.com")

    cli_session.events.register("before-call.sagemaker", no_endpoint)
    code, out, err = run(
        capsys,
        "check",
        "--subnets",
        *world.subnet_ids,
        "--security-groups",
        *world.group_ids,
        "--model-package-arn",
        world.model_package_arn,
    )
    assert (code, out) == (2, "")
    assert err == (
        f"ir-vpc-guard: region {REGION}: the endpoints of sagemaker could not serve it (no"
        " connection, or not an AWS answer): check --region, AWS_ENDPOINT_URL and that these"
        " services exist in the region\n"
    )


def test_job_reads_an_existing_job(
    capsys: pytest.CaptureFixture[str], broken: World, cli_session: Any
) -> None:
    fake = FakeRecommender(cli_session)  # moto lacks the Inference Recommender job APIs
    fake.add(broken, "nightly-recommendation")
    code, out, _ = run(capsys, "job", "nightly-recommendation", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["job"]["name"] == "nightly-recommendation"
    assert report["job"]["arn"].endswith("inference-recommendations-job/nightly-recommendation")
    assert fake.calls == ["DescribeInferenceRecommendationsJob"]


def test_replay_in_both_modes(
    capsys: pytest.CaptureFixture[str], broken: World, tmp_path: Path
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(broken.event(load_event("good_job"))))
    code, out, _ = run(capsys, "replay", str(event))
    assert code == 1 and out.startswith("FAIL: demo-ir-job")
    code, out, _ = run(capsys, "replay", str(event), "--mode", "apply", "--json")
    assert code == 0 and json.loads(out)["outcome"] == "REMEDIATED"


def test_checks_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "checks", "--json")
    assert code == 0
    assert [c["checkId"] for c in json.loads(out)] == list(CATALOGUE)
    code, out, _ = run(capsys, "checks")
    assert len(out.splitlines()) == len(CATALOGUE)


def test_no_credentials_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out, err = run(capsys, "check", "--subnets", "subnet-1", "--security-groups", "sg-1")
    assert (code, out) == (2, "")
    assert err == "ir-vpc-guard: no AWS credentials found: run `aws configure` or set AWS_PROFILE\n"


def test_no_region_and_unknown_region(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, _, err = run(capsys, "job", "some-job")
    assert (code, err) == (2, "ir-vpc-guard: no region: pass --region or set AWS_DEFAULT_REGION\n")
    code, _, err = run(capsys, "job", "some-job", "--region", "us-middle-7")
    assert code == 2
    assert err == "ir-vpc-guard: unknown region 'us-middle-7': pass --region, e.g. us-east-1\n"
    code, _, err = run(capsys, "job", "some-job", "--region", "us-iso-west-1")  # EC2, no SageMaker
    assert code == 2
    assert err == (
        "ir-vpc-guard: no SageMaker in region 'us-iso-west-1': pass --region, e.g. us-east-1\n"
    )


def test_access_denied_says_what_to_do(
    capsys: pytest.CaptureFixture[str], cli_session: Any
) -> None:
    refuse(cli_session.events, "sts", "GetCallerIdentity", "AccessDenied")
    code, out, err = run(capsys, "check", "--subnets", "subnet-1", "--security-groups", "sg-1")
    assert (code, out) == (2, "")
    assert err == (
        "ir-vpc-guard: access denied to GetCallerIdentity: use credentials that allow it\n"
    )


def test_reads_denied_mid_check_are_named(
    capsys: pytest.CaptureFixture[str], world: World, cli_session: Any
) -> None:
    refuse(cli_session.events, "ec2", "DescribeRouteTables", "UnauthorizedOperation")
    code, _, err = run(
        capsys, "check", "--subnets", *world.subnet_ids, "--security-groups", *world.group_ids
    )
    assert code == 2
    assert "access denied to ec2:DescribeRouteTables" in err
    assert "Traceback" not in err


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "--subnets", "subnet-1"])  # no --security-groups
    assert exit_info.value.code == 2
    assert "--security-groups" in capsys.readouterr().err
    code, _, err = run(capsys, "replay", str(tmp_path / "missing.json"))
    assert code == 2 and err.startswith("ir-vpc-guard: cannot read")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, _, err = run(capsys, "replay", str(bad))
    assert code == 2 and "is not JSON" in err


def test_a_bad_setting_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMEDIATION_MODE", "fix-everything")
    code, _, err = run(capsys, "job", "x")
    assert code == 2 and "REMEDIATION_MODE must be one of report, apply" in err


def test_govcloud_is_a_region_and_a_missing_profile_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = run(
        capsys,
        "check",
        "--subnets",
        "subnet-1",
        "--security-groups",
        "sg-1",
        "--region",
        "us-gov-west-1",
        "--json",
    )
    assert "unknown region" not in err
    monkeypatch.setenv("AWS_PROFILE", "nope")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, out, err = run(capsys, "job", "x")
    assert (code, out) == (2, "")
    assert err == "ir-vpc-guard: The config profile (nope) could not be found\n"


def test_the_report_is_printed_even_when_the_output_file_cannot_be_written(
    capsys: pytest.CaptureFixture[str], broken: World, tmp_path: Path
) -> None:
    code, out, err = run(
        capsys,
        "check",
        "--subnets",
        *broken.subnet_ids,
        "--security-groups",
        *broken.group_ids,
        "--mode",
        "apply",
        "--output-file",
        str(tmp_path / "missing-dir" / "report.json"),
    )
    assert code == 2
    assert out.startswith("REMEDIATED: preflight")  # what was changed is never lost
    assert "cannot write" in err


def test_warn_exits_0_unless_strict(
    aws: Any, capsys: pytest.CaptureFixture[str], world: World, tmp_path: Path
) -> None:
    """Only an undetermined (MEDIUM) finding: WARN, exit 0; with --strict, exit 1."""
    ec2 = aws.client("ec2")
    options = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["10.0.0.53"]}]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=world.vpc_id)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(world.event(load_event("good_job"))))
    code, out, _ = run(capsys, "replay", str(event))
    assert code == 0 and out.startswith("WARN: demo-ir-job")
    code, _, _ = run(capsys, "replay", str(event), "--strict")
    assert code == 1
