"""The catalogue itself: stable IDs, complete metadata, and the baseline passes."""

from ir_vpc_guard.checks import CATALOGUE, run_checks
from ir_vpc_guard.discovery.discover import READ_ACTIONS
from ir_vpc_guard.discovery.snapshot import failed, not_applicable
from ir_vpc_guard.requirements import REQUIREMENTS
from tests.checks.helpers import found
from tests.snapshots import compliant

# A public contract (README, "The report"): these IDs may gain siblings, never be renamed.
CONTRACT_IDS = {
    "VPC_CONFIG_INVALID",
    "SUBNET_NOT_FOUND",
    "SECURITY_GROUP_NOT_FOUND",
    "VPC_MISMATCH",
    "SUBNET_IP_CAPACITY",
    "S3_ENDPOINT_MISSING",
    "S3_ENDPOINT_ROUTE_MISSING",
    "S3_ENDPOINT_POLICY_DENIES",
    "SG_EGRESS_S3_MISSING",
    "SG_EGRESS_SUBNETS_MISSING",
    "NACL_BLOCKS_S3",
    "NACL_BLOCKS_SUBNETS",
    "VPC_DNS_DISABLED",
    "VPC_CUSTOM_DNS",
    "ROLE_VPC_PERMISSIONS_MISSING",
    "MODEL_NOT_IN_REGISTRY",
    "MODEL_ARTIFACT_VPC_RESTRICTED",
    "SAMPLE_PAYLOAD_VPC_RESTRICTED",
    "IMAGE_VPC_RESTRICTED",
    # Hosted models (issue 23).
    "ENDPOINT_SUBNETS_ONE_AZ",
    "ENDPOINT_VPC_CONFIGS_DIFFER",
    # Distributed jobs and tenancy (issue 23).
    "SG_PEER_TRAFFIC_BLOCKED",
    "VPC_TENANCY_NOT_DEFAULT",
    # The data path of VPC-side workloads (issue 23).
    "BUCKET_POLICY_DENIES_JOB_PATH",
    "REGISTRY_AUTH_LAMBDA_UNREACHABLE",
}


def test_catalogue_holds_every_contract_id() -> None:
    assert set(CATALOGUE) >= CONTRACT_IDS


def test_every_check_traces_to_a_requirement_and_declares_known_reads() -> None:
    for check in CATALOGUE.values():
        assert check.requirement in REQUIREMENTS, check.check_id
        assert set(check.reads) <= set(READ_ACTIONS), check.check_id
        assert check.title and check.risk and check.fix, check.check_id


def test_compliant_snapshot_has_no_finding() -> None:
    run = run_checks(compliant())
    assert run.findings == []
    assert not run.not_evaluated and not run.errored


def test_failed_read_gives_one_check_error_naming_call_code_and_checks() -> None:
    snapshot = compliant(security_groups=failed("ec2:DescribeSecurityGroups", "AccessDenied"))
    run = run_checks(snapshot)
    assert [f.check_id for f in run.findings] == ["CHECK_ERROR"]
    evidence = run.findings[0].evidence
    assert evidence["api"] == "ec2:DescribeSecurityGroups"
    assert evidence["errorCode"] == "AccessDenied"
    assert set(evidence["checks"]) == {
        "SECURITY_GROUP_NOT_FOUND",
        "VPC_MISMATCH",
        "SG_EGRESS_S3_MISSING",
        "SG_EGRESS_SUBNETS_MISSING",
    }
    assert "SUBNET_NOT_FOUND" in run.passed  # the other checks still ran


def test_not_applicable_read_is_listed_not_passed() -> None:
    run = run_checks(compliant(repository_policies=not_applicable("no ECR image")))
    assert run.not_evaluated == {"IMAGE_VPC_RESTRICTED": "no ECR image"}
    assert "IMAGE_VPC_RESTRICTED" not in run.passed
    assert found(compliant(repository_policies=not_applicable("x"))) == []
