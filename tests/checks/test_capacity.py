"""R4: free private IPs for the instances the job runs at once (checks/capacity.py)."""

from dataclasses import replace

from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import Finding, Severity
from ir_vpc_guard.intake.request import EndpointConfiguration
from tests.checks.helpers import finding, found
from tests.snapshots import VPC, compliant, job, subnet


def test_default_job_needs_twice_the_default_instances() -> None:
    assert _with_free(20) == []  # default estimate: 10 instances x 2 IPs
    assert _with_free(19) == ["SUBNET_IP_CAPACITY"]


def _capacity(free: int, **job_changes: object) -> Finding:
    subnets = {
        "subnet-a": subnet("subnet-a", "10.0.1.0/24", free),
        "subnet-b": subnet("subnet-b", "10.0.2.0/24"),
    }
    return finding(
        compliant(job=job(**job_changes), subnets=Read(value=subnets)), "SUBNET_IP_CAPACITY"
    )


def test_an_assumed_instance_count_is_undetermined_and_says_how_to_set_it() -> None:
    assumed = _capacity(19)
    assert assumed.severity is Severity.MEDIUM
    assert assumed.evidence["undetermined"].startswith("instances a Default job runs at once")
    assert "MaxParallelOfTests" in assumed.detail and "DEFAULT_JOB_INSTANCES" in assumed.detail
    # The command is the read that confirms the count: the load tests running at once.
    command = (assumed.remediation and assumed.remediation.command) or ""
    assert command.startswith("aws sagemaker list-inference-recommendations-job-steps --job-name ")
    assert "--status IN_PROGRESS" in command and "aws ec2 describe-subnets" in command
    # Set on the job, the count is known: the shortfall is certain.
    certain = _capacity(19, max_parallel_of_tests=10)
    assert certain.severity is Severity.HIGH and "undetermined" not in certain.evidence


def test_advanced_tests_multiply_by_environment_parameter_combinations() -> None:
    ranges = (("OMP_NUM_THREADS", ("1", "2", "4")), ("BATCH", ("8", "16")))
    configs = (
        EndpointConfiguration("ml.c5.xlarge", parameter_ranges=ranges),  # 3 x 2 = 6 tests
        EndpointConfiguration("ml.m5.xlarge"),  # 1 test
    )
    advanced = {"job_type": "Advanced", "endpoint_configurations": configs}
    assert _with_free(14, **advanced) == []  # 7 tests at once x 2 IPs
    result = _capacity(13, **advanced)
    assert result.severity is Severity.HIGH and result.evidence["instances"] == 7
    # MaxParallelOfTests bounds the tests that run at once.
    assert _with_free(6, **advanced, max_parallel_of_tests=3) == []
    assert _with_free(5, **advanced, max_parallel_of_tests=3) == ["SUBNET_IP_CAPACITY"]
    assert _with_free(14, **advanced, max_parallel_of_tests=50) == []


def test_ipv6_only_subnet_is_not_counted_in_ipv4_addresses() -> None:
    ipv6_only = {
        "SubnetId": "subnet-b",
        "VpcId": VPC,
        "AvailableIpAddressCount": 0,
        "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:2::/64"}],
    }
    subnets = {"subnet-a": subnet("subnet-a", "10.0.1.0/24", 3), "subnet-b": ipv6_only}
    result = finding(
        compliant(job=job(max_parallel_of_tests=2), subnets=Read(value=subnets)),
        "SUBNET_IP_CAPACITY",
    )
    assert result.evidence["freeIps"] == {"subnet-a": 3}
    assert result.evidence["notCounted"] == {"subnet-b": "IPv6-only (2600:1f18:1:2::/64)"}
    assert "None" not in result.detail


def test_advanced_job_needs_min_of_parallel_and_instance_configurations() -> None:
    configs = tuple(EndpointConfiguration(f"ml.m5.{n}") for n in ("large", "xlarge", "2xlarge"))
    serverless = EndpointConfiguration(None, serverless=True)
    assert (
        _with_free(4, job_type="Advanced", endpoint_configurations=configs, max_parallel_of_tests=2)
        == []
    )
    assert _with_free(
        3, job_type="Advanced", endpoint_configurations=configs, max_parallel_of_tests=2
    ) == ["SUBNET_IP_CAPACITY"]
    # Serverless configurations place no instance in the VPC.
    assert _with_free(6, job_type="Advanced", endpoint_configurations=(*configs, serverless)) == []
    assert _with_free(5, job_type="Advanced", endpoint_configurations=(*configs, serverless)) == [
        "SUBNET_IP_CAPACITY"
    ]


def test_capacity_finding_says_it_is_an_estimate() -> None:
    subnets = {
        "subnet-a": subnet("subnet-a", "10.0.1.0/24", 3),
        "subnet-b": subnet("subnet-b", "10.0.2.0/24"),
    }
    result = finding(compliant(subnets=Read(value=subnets)), "SUBNET_IP_CAPACITY")
    assert result.evidence["needed"] == 20 and result.evidence["freeIps"] == {"subnet-a": 3}
    assert "estimate" in result.evidence


def test_configured_default_instances_is_used() -> None:
    subnets = {
        "subnet-a": subnet("subnet-a", "10.0.1.0/24", 5),
        "subnet-b": subnet("subnet-b", "10.0.2.0/24"),
    }
    snapshot = replace(compliant(subnets=Read(value=subnets)), default_job_instances=2)
    assert found(snapshot) == []


def _with_free(free: int, **job_changes: object) -> list[str]:
    subnets = {
        "subnet-a": subnet("subnet-a", "10.0.1.0/24", free),
        "subnet-b": subnet("subnet-b", "10.0.2.0/24"),
    }
    return found(compliant(job=job(**job_changes), subnets=Read(value=subnets)))
