"""Black box: the installed `ir-vpc-guard` with --workload, against a moto server over HTTP:
a training or processing pre-flight with its own arguments, an existing processing job read
with DescribeProcessingJob, a processing event replayed, and which workloads each check
applies to."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard_dev.sandbox import World, build_world
from tests.conftest import load_event
from tests.integration.test_cli_server import run_cli
from tests.moto_server import RemoteSession, moto_server, reset
from tests.report_schema import validate_report


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def world(server: str) -> World:
    """A world without its S3 endpoint: every workload's job there fails S3_ENDPOINT_MISSING."""
    reset(server)
    return build_world(RemoteSession(server), "us-east-1", with_endpoint=False)


def vpc_arguments(world: World) -> list[str]:
    return ["--subnets", *world.subnet_ids, "--security-groups", *world.group_ids]


@pytest.mark.parametrize("workload", ["training", "processing"])
def test_check_a_workloads_preflight_with_its_instances(
    server: str, world: World, workload: str
) -> None:
    result = run_cli(
        server,
        "check",
        "--workload",
        workload,
        *vpc_arguments(world),
        "--role-arn",
        world.role_arn,
        "--instance-count",
        "3",
        "--instance-type",
        "ml.m5.xlarge",
        "--json",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    validate_report(report)
    assert (report["job"]["workload"], report["trigger"]) == (workload, "cli")
    assert [f["checkId"] for f in report["findings"]] == ["S3_ENDPOINT_MISSING"]
    # The workload's own, and those a pre-flight has nothing for (no S3 location, no
    # private registry named on the command line).
    assert set(WORKLOADS[workload].not_evaluated) <= set(
        report["summary"]["checks"]["notEvaluated"]
    )


def test_a_preflight_bigger_than_the_subnets_fails_capacity(server: str, world: World) -> None:
    # 300 training instances x 2 IPs: more than the two /24 job subnets hold together.
    result = run_cli(
        server, "check", "--workload", "training", *vpc_arguments(world), "--instance-count", "300"
    )
    assert result.returncode == 1
    assert "SUBNET_IP_CAPACITY" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--workload", "processing", "--instance-count", "101"],
            "processingResources.clusterConfig.instanceCount must be 1 to 100",
        ),
        (
            ["--workload", "training", "--max-parallel", "2"],
            "--max-parallel is not an argument of the training workload",
        ),
        (
            ["--instance-count", "2"],
            "--instance-count is not an argument of the inference-recommender workload",
        ),
        (["--workload", "training"], "resourceConfig.instanceCount is missing or invalid"),
        (["--workload", "processing", "--job-name", "x" * 64], "--job-name 'xxxx"),
    ],
)
def test_arguments_a_workload_does_not_take_exit_2_in_one_line(
    server: str, world: World, argv: list[str], message: str
) -> None:
    result = run_cli(server, "check", *vpc_arguments(world), *argv)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_job_reads_an_existing_processing_job_through_its_describe_api(
    server: str, world: World
) -> None:
    RemoteSession(server).client("sagemaker", region_name="us-east-1").create_processing_job(
        ProcessingJobName="nightly-features",
        ProcessingResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 30,
            }
        },
        AppSpecification={"ImageUri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/x:1"},
        RoleArn=world.role_arn,
        NetworkConfig={
            "VpcConfig": {"Subnets": world.subnet_ids, "SecurityGroupIds": world.group_ids}
        },
    )
    result = run_cli(server, "job", "--workload", "processing", "nightly-features", "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["job"]["arn"].endswith(":processing-job/nightly-features")
    assert report["job"]["workload"] == "processing"
    assert [f["checkId"] for f in report["findings"]] == ["S3_ENDPOINT_MISSING"]
    missing = run_cli(server, "job", "--workload", "processing", "no-such-job")
    assert missing.returncode == 2
    assert missing.stderr.startswith("ir-vpc-guard: DescribeProcessingJob: ")


def test_replay_of_a_processing_event(server: str, world: World, tmp_path: Path) -> None:
    event = load_event("processing_job")
    params = event["detail"]["requestParameters"]
    params["networkConfig"]["vpcConfig"] = {
        "subnets": world.subnet_ids,
        "securityGroupIds": world.group_ids,
    }
    params["roleArn"] = world.role_arn
    # The bucket it reads and writes, in the world's account (its policy is read).
    RemoteSession(server).client("s3", region_name="us-east-1").create_bucket(
        Bucket="demo-processing-data"
    )
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event))
    result = run_cli(server, "replay", str(event_file), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert (report["job"]["workload"], report["job"]["name"]) == (
        "processing",
        "demo-processing-job",
    )
    assert [f["checkId"] for f in report["findings"]] == ["S3_ENDPOINT_MISSING"]


def test_checks_lists_the_workloads_each_check_applies_to(server: str) -> None:
    result = run_cli(server, "checks", "--json")
    rows = {row["checkId"]: row["workloads"] for row in json.loads(result.stdout)}
    assert set(rows) == set(CATALOGUE)
    assert rows["S3_ENDPOINT_MISSING"] == list(WORKLOADS)
    assert "model" not in rows["SUBNET_IP_CAPACITY"]  # a model runs no instances
    assert rows["MODEL_NOT_IN_REGISTRY"] == ["inference-recommender"]
    text = run_cli(server, "checks").stdout.splitlines()
    [line] = [row for row in text if row.startswith("SG_EGRESS_SUBNETS_MISSING")]
    assert line.endswith("[inference-recommender]")
