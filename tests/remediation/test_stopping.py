"""Which findings doom a job, and what the stop decision does with each answer AWS gives.

The SageMaker calls (Describe, ListTags, Stop) are answered by a recording stub: moto has
none of them for Inference Recommender jobs (docs/moto.md, "SageMaker"). The pipeline with
moto and the narrow botocore fake is in tests/integration/test_stop.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.discovery.snapshot import Read, Snapshot
from ir_vpc_guard.findings import Finding, Mode, Mute, PartialMute, RemediationStatus, Severity
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.remediation.actions import Action
from ir_vpc_guard.remediation.fixes.stop_job import stop_if_doomed
from ir_vpc_guard.remediation.stopping import CERTAIN_BECAUSE, NOT_BY_DEFAULT, stoppable_checks
from ir_vpc_guard.settings import Settings, SettingsError

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import SecurityGroupTypeDef, TagTypeDef

ACCOUNT = "123456789012"
VPC = "vpc-0123456789abcdef0"
ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:inference-recommendations-job/doomed"
ON = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)
BLOCKING = sorted(c for c, check in CATALOGUE.items() if check.blocks_job)
BY_DEFAULT = sorted(CERTAIN_BECAUSE)
NOT_BLOCKING = sorted(
    c for c, check in CATALOGUE.items() if not check.blocks_job and check.severity is Severity.HIGH
)


class SageMaker:
    """Answers the three calls and records them."""

    def __init__(
        self, status: str = "IN_PROGRESS", tags: dict[str, str] | None = None, fail: str = ""
    ) -> None:
        self.status, self.tags, self.fail = status, tags or {}, fail
        self.calls: list[str] = []

    def describe_inference_recommendations_job(self, JobName: str) -> dict[str, Any]:
        self.calls.append("Describe")
        return {"JobName": JobName, "Status": self.status}

    def list_tags(self, ResourceArn: str) -> dict[str, Any]:
        self.calls.append("ListTags")
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()]}

    def stop_inference_recommendations_job(self, JobName: str) -> dict[str, Any]:
        self.calls.append("Stop")
        if self.fail:
            raise ClientError({"Error": {"Code": self.fail}}, "StopInferenceRecommendationsJob")
        return {}


def job(account: str = ACCOUNT, arn: str | None = ARN) -> JobRequest:
    return JobRequest(
        job_name="doomed",
        account=account,
        region="us-east-1",
        event_id="e",
        subnets=("subnet-0aaaaaaaaaaaaaaaa",),
        security_groups=("sg-0cccccccccccccccc",),
        job_arn=arn,
    )


def snapshot(vpc_tags: dict[str, str] | None = None) -> Snapshot:
    tags: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in (vpc_tags or {}).items()]
    return Snapshot(job=job(), vpc_id=VPC, vpc=Read(value={"VpcId": VPC, "Tags": tags}))


def finding(check_id: str, severity: Severity = Severity.HIGH, **evidence: Any) -> Finding:
    return Finding(check_id=check_id, severity=severity, title="t", detail="d", evidence=evidence)


def decide(
    findings: list[Finding],
    sagemaker: SageMaker,
    settings: Settings = ON,
    *,
    request: JobRequest | None = None,
    state: Snapshot | None = None,
    broken: list[str] | None = None,
) -> Action | None:
    return stop_if_doomed(
        request or job(),
        findings,
        state or snapshot(),
        settings=settings,
        sagemaker=sagemaker,  # type: ignore[arg-type]  # the recording stub above
        home_account=ACCOUNT,
        broken_checks=broken,
    )


def test_the_blocking_checks_are_the_declared_ones() -> None:
    assert BLOCKING == [
        "BUCKET_POLICY_DENIES_JOB_PATH",
        "IMAGE_VPC_RESTRICTED",
        "MODEL_ARTIFACT_VPC_RESTRICTED",
        "NACL_BLOCKS_S3",
        "REGISTRY_AUTH_LAMBDA_UNREACHABLE",
        "ROLE_VPC_PERMISSIONS_MISSING",
        "S3_ENDPOINT_MISSING",
        "S3_ENDPOINT_POLICY_DENIES",
        "S3_ENDPOINT_ROUTE_MISSING",
        "SAMPLE_PAYLOAD_VPC_RESTRICTED",
        "SECURITY_GROUP_NOT_FOUND",
        "SG_EGRESS_S3_MISSING",
        "SUBNET_IP_CAPACITY",
        "SUBNET_NOT_FOUND",
        "VPC_CONFIG_INVALID",
        "VPC_MISMATCH",
    ]


def test_every_blocking_check_stops_by_default_or_says_why_not() -> None:
    assert sorted([*CERTAIN_BECAUSE, *NOT_BY_DEFAULT]) == BLOCKING
    assert not set(CERTAIN_BECAUSE) & set(NOT_BY_DEFAULT)
    assert sorted(NOT_BY_DEFAULT) == [
        "REGISTRY_AUTH_LAMBDA_UNREACHABLE",
        "ROLE_VPC_PERMISSIONS_MISSING",
        "SUBNET_IP_CAPACITY",
    ]


@pytest.mark.parametrize("check_id", BY_DEFAULT)
def test_each_documented_check_stops_the_job_with_its_evidence(check_id: str) -> None:
    sagemaker = SageMaker()
    action = decide([finding(check_id, statements=["DenyOutsideVpc"])], sagemaker)
    assert action is not None and action.status is RemediationStatus.APPLIED
    assert sagemaker.calls == ["Describe", "ListTags", "Stop"]
    out = action.to_dict()
    assert out["action"] == "stop-job" and out["checkId"] == check_id and out["resource"] == ARN
    assert "create-inference-recommendations-job" in out["details"]["restartCommand"]
    (why,) = out["details"]["findings"]
    assert why["checkId"] == check_id and why["evidence"] == {"statements": ["DenyOutsideVpc"]}
    assert why["certainBecause"] == CERTAIN_BECAUSE[check_id]


@pytest.mark.parametrize("check_id", sorted(NOT_BY_DEFAULT))
def test_a_check_off_the_documented_list_stops_only_when_named(check_id: str) -> None:
    sagemaker = SageMaker()
    assert decide([finding(check_id)], sagemaker) is None and sagemaker.calls == []
    named = replace(ON, stop_on_checks=frozenset({check_id}))
    action = decide([finding(check_id)], sagemaker, named)
    assert action is not None and action.status is RemediationStatus.APPLIED
    assert "not by default" in action.to_dict()["details"]["findings"][0]["certainBecause"]


def test_stop_on_checks_narrows_the_list() -> None:
    narrow = replace(ON, stop_on_checks=frozenset({"SUBNET_NOT_FOUND"}))
    sagemaker = SageMaker()
    assert decide([finding("S3_ENDPOINT_MISSING")], sagemaker, narrow) is None
    both = [finding("S3_ENDPOINT_MISSING"), finding("SUBNET_NOT_FOUND")]
    action = decide(both, sagemaker, narrow)
    assert action is not None and action.details["blockingChecks"] == ["SUBNET_NOT_FOUND"]


@pytest.mark.parametrize("name", ["SG_EGRESS_SUBNETS_MISSING", "NO_SUCH_CHECK", "CHECK_ERROR"])
def test_stop_on_checks_refuses_a_check_that_cannot_stop_a_job(name: str) -> None:
    with pytest.raises(SettingsError, match=f"STOP_ON_CHECKS names .*{name}"):
        stoppable_checks(replace(ON, stop_on_checks=frozenset({name})))


def test_a_broken_check_means_no_stop() -> None:
    sagemaker = SageMaker()
    action = decide([finding("SUBNET_NOT_FOUND")], sagemaker, broken=["VPC_CUSTOM_DNS"])
    assert action is not None and action.status is RemediationStatus.SKIPPED
    assert "VPC_CUSTOM_DNS raised" in action.reason and sagemaker.calls == []


def test_a_finding_a_mute_covers_in_part_never_stops() -> None:
    partial = PartialMute("accepted", "2027-01-01", ("subnet-0aaaaaaaaaaaaaaaa",))
    found = replace(finding("NACL_BLOCKS_S3"), partially_muted=partial)
    sagemaker = SageMaker()
    assert decide([found], sagemaker) is None and sagemaker.calls == []


@pytest.mark.parametrize(
    ("check_id", "stops"),
    [("S3_ENDPOINT_MISSING", False), ("NACL_BLOCKS_S3", False), ("SUBNET_NOT_FOUND", True)],
)
def test_what_was_read_through_a_shared_vpcs_owner_never_stops(check_id: str, stops: bool) -> None:
    """Route tables, endpoints and ACLs read with the owner's role: not the job account's own
    answer. Subnets are read with the job account's credentials."""
    shared = replace(snapshot(), vpc_owner="210987654321", reader_account=ACCOUNT)
    sagemaker = SageMaker()
    action = decide([finding(check_id)], sagemaker, state=shared)
    assert (action is not None) is stops and ("Stop" in sagemaker.calls) is stops


@pytest.mark.parametrize("check_id", NOT_BLOCKING)
def test_a_non_blocking_high_finding_does_not_stop(check_id: str) -> None:
    sagemaker = SageMaker()
    assert decide([finding(check_id)], sagemaker) is None and sagemaker.calls == []


@pytest.mark.parametrize(
    "found",
    [
        finding("S3_ENDPOINT_MISSING", Severity.MEDIUM, undetermined="a NAT through a TGW"),
        finding("ROLE_VPC_PERMISSIONS_MISSING", Severity.HIGH, undetermined="an SCP"),
        finding("S3_ENDPOINT_MISSING", Severity.LOW),
    ],
)
def test_undetermined_or_lower_findings_never_stop(found: Finding) -> None:
    sagemaker = SageMaker()
    assert decide([found], sagemaker) is None and sagemaker.calls == []


def test_a_muted_finding_never_stops() -> None:
    muted = replace(finding("S3_ENDPOINT_MISSING"), muted=Mute("accepted", "2027-01-01"))
    sagemaker = SageMaker()
    assert decide([muted], sagemaker) is None and sagemaker.calls == []


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "STOPPING", "STOPPED"])
def test_a_job_that_is_not_running_is_not_stopped(status: str) -> None:
    sagemaker = SageMaker(status=status)
    action = decide([finding("SUBNET_NOT_FOUND")], sagemaker)
    assert action is not None and action.status is RemediationStatus.SKIPPED
    assert status in action.reason and "Stop" not in sagemaker.calls


def test_pending_is_stopped() -> None:
    action = decide([finding("SUBNET_NOT_FOUND")], SageMaker(status="PENDING"))
    assert action is not None and action.status is RemediationStatus.APPLIED


def test_the_opt_out_tag_on_the_job_holds() -> None:
    sagemaker = SageMaker(tags={"ir-vpc-guard:remediate": "False"})
    action = decide([finding("SUBNET_NOT_FOUND")], sagemaker)
    assert action is not None and action.status is RemediationStatus.SKIPPED
    assert "tagged ir-vpc-guard:remediate=false" in action.reason
    assert "Stop" not in sagemaker.calls


def test_the_opt_out_tag_on_the_vpc_holds() -> None:
    sagemaker = SageMaker()
    state = snapshot({"ir-vpc-guard:remediate": "false"})
    action = decide([finding("SUBNET_NOT_FOUND")], sagemaker, state=state)
    assert action is not None and action.status is RemediationStatus.SKIPPED
    assert VPC in action.reason and sagemaker.calls == []


def test_another_accounts_job_is_not_stopped() -> None:
    other = "arn:aws:sagemaker:us-east-1:210987654321:inference-recommendations-job/doomed"
    sagemaker = SageMaker()
    action = decide([finding("VPC_MISMATCH")], sagemaker, request=job("210987654321", other))
    assert action is not None and action.status is RemediationStatus.SKIPPED
    assert sagemaker.calls == []


def test_a_stop_that_fails_is_failed_with_the_aws_error_code() -> None:
    action = decide([finding("VPC_MISMATCH")], SageMaker(fail="AccessDeniedException"))
    assert action is not None and action.status is RemediationStatus.FAILED
    assert action.error_code == "AccessDeniedException"


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        (Settings(remediation_mode=Mode.REPORT, stop_doomed_jobs=True), "REMEDIATION_MODE"),
        (Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=False), "STOP_DOOMED_JOBS"),
    ],
)
def test_report_mode_or_the_setting_off_only_plans(settings: Settings, why: str) -> None:
    sagemaker = SageMaker()
    action = decide([finding("S3_ENDPOINT_MISSING")], sagemaker, settings)
    assert action is not None and action.status is RemediationStatus.PLANNED
    assert why in action.reason and sagemaker.calls == []


def test_a_preflight_check_has_no_job_to_stop() -> None:
    sagemaker = SageMaker()
    assert decide([finding("SUBNET_NOT_FOUND")], sagemaker, request=job(arn=None)) is None


@pytest.mark.parametrize(("owner", "stops"), [(ACCOUNT, True), ("210987654321", False)])
def test_a_group_another_account_shares_never_stops(owner: str, stops: bool) -> None:
    """Its rules are the other account's to change: reported HIGH, never a stop."""
    group: SecurityGroupTypeDef = {"GroupId": "sg-0123456789abcdef0", "OwnerId": owner}
    state = replace(snapshot(), security_groups=Read(value={"sg-0123456789abcdef0": group}))
    sagemaker = SageMaker()
    action = decide([finding("SG_EGRESS_S3_MISSING")], sagemaker, state=state)
    assert (action is not None) is stops and ("Stop" in sagemaker.calls) is stops


def test_what_a_check_consults_through_a_shared_vpcs_owner_never_stops() -> None:
    """SG_EGRESS_S3_MISSING is certain only with the VPC's endpoints read, which in a shared
    VPC the owner's role reads: no stop on it there."""
    shared = replace(snapshot(), vpc_owner="210987654321", reader_account=ACCOUNT)
    sagemaker = SageMaker()
    assert decide([finding("SG_EGRESS_S3_MISSING")], sagemaker, state=shared) is None
    assert "Stop" not in sagemaker.calls
