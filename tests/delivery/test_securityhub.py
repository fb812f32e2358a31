"""Security Hub export on moto (which implements BatchImportFindings as an upsert by Id, and
GetFindings without filters, so the tests filter what it returns)."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from typing import Any

import botocore.model
import botocore.session
import pytest

from ir_vpc_guard.delivery import securityhub
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Finding, Outcome, Severity
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.requirements import s3_service_name
from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from ir_vpc_guard_dev.sandbox import allow_eni_attribute, build_world
from tests.conftest import REGION, load_event
from tests.integration.test_training import training_event
from tests.lambda_context import Inbox, deploy


def ours(aws: Any) -> dict[str, dict[str, Any]]:
    """Every finding IR VPC Guard imported, by Id."""
    paginator = aws.client("securityhub").get_paginator("get_findings")
    return {
        f["Id"]: f
        for page in paginator.paginate()
        for f in page["Findings"]
        if f["GeneratorId"].startswith("ir-vpc-guard/")
    }


@pytest.fixture
def setup(aws: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, dict[str, Any]]:
    aws.client("securityhub").enable_security_hub()
    world = build_world(aws, REGION, with_endpoint=False)
    allow_eni_attribute(aws)  # one finding to follow (the role's LOW advisory is not it)
    inbox = Inbox(aws)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, SECURITY_HUB="true")
    return app, world, world.event(load_event("good_job"))


def fresh(event: dict[str, Any]) -> dict[str, Any]:
    """The same job seen through another event (a re-check, not a replay)."""
    again = copy.deepcopy(event)
    again["detail"]["eventID"] = str(uuid.uuid4())
    return again


def test_failed_check_is_imported_as_an_active_failed_finding(
    aws: Any, setup: tuple[Any, Any, dict[str, Any]]
) -> None:
    app, world, event = setup
    report = app.lambda_handler(event, FakeContext())
    findings = ours(aws)
    job_arn = report["job"]["arn"]
    failed = findings[f"{job_arn}/ir-vpc-guard/S3_ENDPOINT_MISSING"]
    assert failed["ProductArn"] == (
        f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    )
    assert failed["GeneratorId"] == "ir-vpc-guard/S3_ENDPOINT_MISSING"
    assert failed["AwsAccountId"] == ACCOUNT and failed["SchemaVersion"] == "2018-10-08"
    assert failed["Severity"]["Label"] == "HIGH"
    assert failed["Compliance"] == {"Status": "FAILED"}
    assert failed["RecordState"] == "ACTIVE" and failed["Workflow"] == {"Status": "NEW"}
    assert failed["Types"][0].startswith("Software and Configuration Checks/")
    assert failed["Resources"][0] == {
        "Type": "Other",
        "Id": job_arn,
        "Partition": "aws",
        "Region": REGION,
    }
    assert {
        "Type": "AwsEc2Vpc",
        "Id": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{world.vpc_id}",
        "Partition": "aws",
        "Region": REGION,
    } in failed["Resources"]
    assert "create-vpc-endpoint" in failed["Remediation"]["Recommendation"]["Text"]
    passed = report["summary"]["checks"]["passed"]
    assert len(findings) == 1 + len(passed)
    for check_id in passed:
        archived = findings[f"{job_arn}/ir-vpc-guard/{check_id}"]
        assert archived["Compliance"] == {"Status": "PASSED"}
        assert archived["RecordState"] == "ARCHIVED"


def test_a_rerun_updates_the_same_findings_and_a_fix_archives_them(
    aws: Any, setup: tuple[Any, Any, dict[str, Any]]
) -> None:
    app, world, event = setup
    app.lambda_handler(event, FakeContext())
    first = ours(aws)
    app.lambda_handler(fresh(event), FakeContext())
    second = ours(aws)
    assert second.keys() == first.keys()  # updated, not duplicated

    aws.client("ec2").create_vpc_endpoint(  # someone fixes the VPC; the job is checked again
        VpcId=world.vpc_id,
        ServiceName=s3_service_name(REGION),
        VpcEndpointType="Gateway",
        RouteTableIds=world.route_table_ids,
    )
    report = app.lambda_handler(fresh(event), FakeContext())
    assert report["outcome"] == "PASS"
    third = ours(aws)
    assert third.keys() == first.keys()
    fixed = third[f"{report['job']['arn']}/ir-vpc-guard/S3_ENDPOINT_MISSING"]
    assert fixed["Compliance"] == {"Status": "PASSED"}
    assert fixed["RecordState"] == "ARCHIVED"
    assert all(f["RecordState"] == "ARCHIVED" for f in third.values())


def test_skipped_events_export_nothing(aws: Any, setup: tuple[Any, Any, dict[str, Any]]) -> None:
    app, _, _ = setup
    app.lambda_handler(load_event("no_vpc_config"), FakeContext())
    assert ours(aws) == {}


def test_findings_are_imported_100_per_call(aws: Any) -> None:
    calls: list[int] = []
    client = aws.client("securityhub")
    client.enable_security_hub()
    client.meta.events.register(
        "provide-client-params.securityhub.BatchImportFindings",
        lambda params, **_: calls.append(len(params["Findings"])),
    )
    report = Report(
        "e",
        ACCOUNT,
        REGION,
        Outcome.FAIL,
        job={"name": "many"},
        checks={"passed": [f"PASSED_{n}" for n in range(60)]},
        findings=[
            Finding(f"CHECK_{n}", Severity.LOW, "t", "d", (f"subnet-{n:017x}", "10.0.0.0/24"))
            for n in range(190)
        ],
    )
    result = securityhub.export(client, report)
    assert calls == [100, 100, 50] and result.calls == 3
    assert result.imported == 250 and result.failed == []
    ids = {f["Id"] for f in securityhub.asff_findings(report)}
    job = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-recommendations-job/many"
    assert f"{job}/ir-vpc-guard/CHECK_7" in ids and len(ids) == 250


def checked(outcome: Outcome, findings: list[Finding]) -> Report:
    """A report with only what the ASFF mapping reads: the job (with its ARN) and findings."""
    job = {"name": "j", "arn": "arn:aws:sagemaker:us-east-1:123456789012:x/j"}
    return Report("e", ACCOUNT, REGION, outcome, job=job, findings=findings)


def medium(check_id: str, *, title: str, detail: str, resources: list[str], **more: Any) -> Finding:
    """A MEDIUM finding."""
    return Finding(check_id, Severity.MEDIUM, title, detail, tuple(resources), **more)


def test_check_error_is_not_available_and_names_no_api_as_resource() -> None:
    errors = [
        medium(
            "CHECK_ERROR",
            title="A check could not run because a read failed",
            detail=f"ec2:DescribeSubnets failed with {code}.",
            resources=["ec2:DescribeSubnets"],
        )
        for code in ("AccessDenied", "Throttling")
    ]
    report = checked(Outcome.ERROR, errors)
    [finding] = securityhub.asff_findings(report)
    assert finding["Compliance"] == {"Status": "NOT_AVAILABLE"}
    assert [r["Id"] for r in finding["Resources"]] == [report.job["arn"]]
    assert "AccessDenied" in finding["Description"] and "Throttling" in finding["Description"]


def test_an_undetermined_finding_is_a_warning_not_a_failure() -> None:
    """Security Hub's WARNING: the check could not determine pass or fail."""
    undetermined = medium(
        "MODEL_ARTIFACT_VPC_RESTRICTED",
        title="The model artifact bucket is restricted to a VPC",
        detail="may deny the read",
        resources=["demo-ir-models"],
        evidence={"undetermined": "aws:PrincipalOrgID"},
    )
    report = checked(Outcome.WARN, [undetermined])
    [finding] = securityhub.asff_findings(report)
    assert finding["Compliance"] == {"Status": "WARNING"}
    certain = replace(undetermined, severity=Severity.HIGH, evidence={})
    [failed] = securityhub.asff_findings(replace(report, findings=[certain]))
    assert failed["Compliance"] == {"Status": "FAILED"}


def test_a_training_jobs_findings_name_its_own_arn_and_workload(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job resource is its training-job ARN (ASFF has no training job type: Other), and
    ProductFields name the workload for a Security Hub filter."""
    aws.client("securityhub").enable_security_hub()
    world = build_world(aws, REGION, with_endpoint=False)
    app = deploy(monkeypatch, TOPIC_ARN=Inbox(aws).topic_arn, SECURITY_HUB="true")
    report = app.lambda_handler(training_event(world), FakeContext())
    job_arn = report["job"]["arn"]
    assert job_arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/demo-training-job"
    findings = ours(aws)
    failed = findings[f"{job_arn}/ir-vpc-guard/S3_ENDPOINT_MISSING"]
    assert failed["Resources"][0] == {
        "Type": "Other",
        "Id": job_arn,
        "Partition": "aws",
        "Region": REGION,
    }
    assert len(findings) == 1 + len(report["summary"]["checks"]["passed"])
    assert {f["ProductFields"]["ir-vpc-guard/workload"] for f in findings.values()} == {"training"}


def test_inference_recommender_findings_keep_their_product_fields() -> None:
    found = medium("VPC_CUSTOM_DNS", title="t", detail="d", resources=[])
    [finding] = securityhub.asff_findings(checked(Outcome.WARN, [found]))
    assert sorted(finding["ProductFields"]) == [
        "ir-vpc-guard/checkId",
        "ir-vpc-guard/eventId",
        "ir-vpc-guard/mode",
        "ir-vpc-guard/outcome",
        "ir-vpc-guard/remediationStatus",
        "ir-vpc-guard/trigger",
    ]


@pytest.mark.parametrize(
    ("workload", "arn_type"),
    [
        ("inference-recommender", "inference-recommendations-job"),
        ("training", "training-job"),
    ],
)
def test_a_job_arn_the_event_lacks_is_built_in_its_workloads_resource_type(
    workload: str, arn_type: str
) -> None:
    job: dict[str, Any] = {"name": "nightly"}
    if workload != "inference-recommender":
        job["workload"] = workload
    report = Report("e", ACCOUNT, REGION, Outcome.FAIL, job=job, findings=[])
    expected = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{arn_type}/nightly"
    assert securityhub.job_arn(report) == expected


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_every_workloads_built_arn_is_one_its_api_would_answer(workload: str) -> None:
    """A workload registered later gets its own ARN from its ARN pattern, unedited."""
    unit = WORKLOADS[workload]
    job: dict[str, Any] = {"name": "nightly-1", "workload": workload}
    built = securityhub.job_arn(Report("e", ACCOUNT, REGION, Outcome.FAIL, job=job))
    assert built is not None and unit.job_arn.fullmatch(built), built


def test_asff_has_no_resource_type_for_any_sagemaker_job_so_the_job_is_other() -> None:
    """botocore's Security Hub model lists ASFF's typed resources: when AWS adds a SageMaker
    job, model or endpoint type, this fails and the job resource should use it."""
    model = botocore.session.get_session().get_service_model("securityhub")
    details = model.shape_for("ResourceDetails")
    assert isinstance(details, botocore.model.StructureShape)
    typed = set(details.members)
    assert {t for t in typed if t.startswith("AwsSageMaker")} == {"AwsSageMakerNotebookInstance"}
    assert securityhub.JOB_RESOURCE_TYPE == "Other"
