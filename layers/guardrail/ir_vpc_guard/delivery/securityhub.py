"""Optional export to Security Hub: one ASFF finding per (job, check), updated on re-runs.

Each finding's Id is derived from the job ARN and the check ID, so checking a job again
updates the same finding instead of adding one. A check that fails is imported ACTIVE with
Compliance FAILED (NOT_AVAILABLE for CHECK_ERROR: the check could not run); a check that
passes is imported with Compliance PASSED and RecordState ARCHIVED, which resolves a
finding an earlier run reported (Security Hub moves its workflow to RESOLVED), the way
Prowler reports passed checks. A check whose every finding is muted (accepted on the mute
list) is imported with workflow status SUPPRESSED. Only BatchImportFindings is used: no
read permission needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from ir_vpc_guard.arns import ec2_arn, partition_of, s3_object_arn
from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.findings import CHECK_ERROR, Finding, Remediation, Severity
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER, Workload
from ir_vpc_guard.intake.workloads import WORKLOADS

if TYPE_CHECKING:  # boto3-stubs is dev-only
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import (
        AwsSecurityFindingTypeDef,
        ImportFindingsErrorTypeDef,
    )

    from ir_vpc_guard.delivery.report import Report

BATCH = 100  # BatchImportFindings accepts at most 100 findings per call
ASFF_VERSION = "2018-10-08"
MAX_RESOURCES = 32
MAX_TITLE = 256
MAX_DESCRIPTION = 1024
MAX_RECOMMENDATION = 512
NETWORK_CHECKS = re.compile(r"(SG_|NACL_|S3_ENDPOINT|VPC_DNS|VPC_CUSTOM_DNS|SUBNET_IP)")


class Ec2Resource(NamedTuple):
    """An EC2 resource a finding names: its ID prefix, ASFF type and ARN resource path."""

    id_prefix: str
    asff_type: str
    arn_path: str


EC2_RESOURCES = (
    Ec2Resource("subnet-", "AwsEc2Subnet", "subnet"),
    Ec2Resource("sg-", "AwsEc2SecurityGroup", "security-group"),
    Ec2Resource("vpc-", "AwsEc2Vpc", "vpc"),
    Ec2Resource("vpce-", "Other", "vpc-endpoint"),
    Ec2Resource("rtb-", "AwsEc2RouteTable", "route-table"),
    Ec2Resource("acl-", "AwsEc2NetworkAcl", "network-acl"),
    Ec2Resource("dopt-", "Other", "dhcp-options"),
)
ARN_RESOURCES = {"iam": "AwsIamRole", "s3": "AwsS3Bucket", "ecr": "AwsEcrRepository"}
# The job's own resource. ASFF's resource types hold one SageMaker type,
# AwsSageMakerNotebookInstance: none for a job, model or endpoint of any workload, so the
# job is `Other` with its ARN (of its workload's resource type) as Id, as ASFF asks of a
# resource without a type (the test holds this to botocore's list of ASFF types).
JOB_RESOURCE_TYPE = "Other"
# Where a workload's ARN pattern names its resource type: `...:[0-9]{12}:training-job/...`.
_ARN_RESOURCE = re.compile(r"\}:([a-z][a-z-]*)/")
# Checks whose resources are plain names: buckets and repositories.
BUCKET_CHECKS = frozenset({"MODEL_ARTIFACT_VPC_RESTRICTED", "SAMPLE_PAYLOAD_VPC_RESTRICTED"})
REPOSITORY_CHECKS = frozenset({"IMAGE_VPC_RESTRICTED"})


def _compliance(check_id: str, found: list[Finding]) -> str:
    """NOT_AVAILABLE: the check could not run; WARNING: it could not determine pass or fail
    (every finding of it is undetermined); else FAILED."""
    if check_id == CHECK_ERROR:
        return "NOT_AVAILABLE"
    if all(f.evidence.get("undetermined") for f in found):
        return "WARNING"
    return "FAILED"


@dataclass
class ExportResult:
    imported: int = 0
    failed: list[ImportFindingsErrorTypeDef] = field(default_factory=list)
    calls: int = 0


def product_arn(region: str, account: str) -> str:
    """The default product ARN a custom integration imports its own findings under."""
    return f"arn:{partition_of(region)}:securityhub:{region}:{account}:product/{account}/default"


def job_arn(report: Report) -> str | None:
    """The job's ARN from the report, or built from its name and its workload's resource
    type (`training-job/NAME`, ...) when the event had none."""
    job = report.job
    if job.get("arn"):
        return str(job["arn"])
    if not job.get("name") or report.account == "unknown":
        return None
    region, account = report.region, report.account
    resource = arn_resource_type(WORKLOADS[report.workload])
    return f"arn:{partition_of(region)}:sagemaker:{region}:{account}:{resource}/{job['name']}"


def arn_resource_type(workload: Workload) -> str:
    """The resource type in the workload's job ARNs, read from its ARN pattern (botocore's,
    e.g. `training-job`)."""
    match = _ARN_RESOURCE.search(workload.job_arn.pattern)
    if match is None:
        raise ValueError(f"{workload.name}: no resource type in {workload.job_arn.pattern}")
    return match.group(1)


def finding_id(arn: str, check_id: str, part: object = None) -> str:
    """Deterministic: the same job (and part of it: a tuning definition, an endpoint's VPC
    config) and check always give the same Id; one part's pass never resolves another's."""
    suffix = f"#{part}" if part else ""
    return f"{arn}{suffix}/ir-vpc-guard/{check_id}"


def asff_findings(report: Report, now: datetime | None = None) -> list[dict[str, Any]]:
    """The ASFF findings for one checked report: failed checks, then passed ones."""
    arn = job_arn(report)
    if report.outcome.value == "SKIPPED" or arn is None:
        return []
    stamp = _timestamp(now or datetime.now(UTC))
    by_check: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    out = [_failed(report, arn, check_id, found, stamp) for check_id, found in by_check.items()]
    passed = report.checks.get("passed", [])
    out.extend(_passed(report, arn, str(check_id), stamp) for check_id in passed)
    return out


def export(securityhub: SecurityHubClient, report: Report) -> ExportResult:
    """Import the report's findings in batches of 100. ClientErrors propagate."""
    result = ExportResult()
    # Built as plain JSON (the ASFF field by field above); the stubs' type is asserted here.
    findings = cast("list[AwsSecurityFindingTypeDef]", asff_findings(report))
    for start in range(0, len(findings), BATCH):
        answer = securityhub.batch_import_findings(Findings=findings[start : start + BATCH])
        result.calls += 1
        result.imported += int(answer.get("SuccessCount", 0))
        result.failed.extend(answer.get("FailedFindings", []))
    return result


def _base(report: Report, arn: str, check_id: str, stamp: str, severity: str) -> dict[str, Any]:
    region, account = report.region, report.account
    check = CATALOGUE.get(check_id)
    kind = "Software and Configuration Checks/AWS Security Best Practices"
    if NETWORK_CHECKS.match(check_id):
        kind += "/Network Reachability"
    return {
        "SchemaVersion": ASFF_VERSION,
        "Id": finding_id(arn, check_id, report.job.get("definition")),
        "ProductArn": product_arn(region, account),
        "GeneratorId": f"ir-vpc-guard/{check_id}",
        "AwsAccountId": account,
        "Region": region,
        "Types": [kind],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "LastObservedAt": stamp,
        "Severity": {"Label": severity, "Original": severity},
        "Title": _cut(check.title if check else check_id, MAX_TITLE),
        "ProductName": "IR VPC Guard",
        "CompanyName": "IR VPC Guard",
        "ProductFields": {
            "ir-vpc-guard/checkId": check_id,
            "ir-vpc-guard/outcome": report.outcome.value,
            "ir-vpc-guard/eventId": _cut(report.event_id, 128),
            "ir-vpc-guard/trigger": report.trigger,
            "ir-vpc-guard/mode": str(report.mode),
            **_workload_field(report),
        },
    }


def _workload_field(report: Report) -> dict[str, str]:
    """The job's workload, for filters on ProductFields; Inference Recommender's findings
    keep their original fields."""
    if report.workload == INFERENCE_RECOMMENDER:
        return {}
    return {"ir-vpc-guard/workload": report.workload}


def _failed(
    report: Report, arn: str, check_id: str, found: list[Finding], stamp: str
) -> dict[str, Any]:
    severity = max((f.severity for f in found), key=lambda s: s.rank).value
    out = _base(report, arn, check_id, stamp, severity)
    out["Title"] = _cut(found[0].title or out["Title"], MAX_TITLE)
    out["Description"] = _cut(" ".join(f.detail for f in found), MAX_DESCRIPTION)
    remediation = found[0].remediation
    text = _recommendation(remediation) if remediation else ""
    if text:
        out["Remediation"] = {"Recommendation": {"Text": _cut(text, MAX_RECOMMENDATION)}}
    out["Resources"] = _found_resources(report, arn, check_id, found)
    out["Compliance"] = {"Status": _compliance(check_id, found)}
    out["RecordState"] = "ACTIVE"
    suppressed = all(f.muted is not None for f in found)
    out["Workflow"] = {"Status": "SUPPRESSED" if suppressed else "NEW"}
    status = remediation.status.value if remediation else ""
    out["ProductFields"]["ir-vpc-guard/remediationStatus"] = status
    return out


def _found_resources(
    report: Report, arn: str, check_id: str, found: list[Finding]
) -> list[dict[str, Any]]:
    """The job, its VPC and every resource the check's findings name."""
    ids = [r for f in found for r in f.resources]
    return _resources(report, arn, [_named(check_id, i, report) for i in ids])


def _recommendation(remediation: Remediation) -> str:
    """What to do, from the first finding's remediation: its status and reason, the command."""
    return " ".join(
        part
        for part in (
            f"{remediation.status.value}: {remediation.reason}".strip(": "),
            f"Run: {remediation.command}" if remediation.command else "",
        )
        if part
    )


def _passed(report: Report, arn: str, check_id: str, stamp: str) -> dict[str, Any]:
    out = _base(report, arn, check_id, stamp, Severity.INFORMATIONAL.value)
    out["Description"] = _cut(
        f"{check_id} passed when the job was checked again ({report.outcome.value}).",
        MAX_DESCRIPTION,
    )
    out["Resources"] = _resources(report, arn, [])
    out["Compliance"] = {"Status": "PASSED"}
    out["RecordState"] = "ARCHIVED"
    out["Workflow"] = {"Status": "RESOLVED"}
    return out


def _resources(report: Report, arn: str, ids: list[str]) -> list[dict[str, Any]]:
    """The job first, then its VPC, then each resource a finding names (typed when known)."""
    region, account = report.region, report.account
    part = partition_of(region)
    vpc = report.job.get("vpc")
    out: dict[str, dict[str, Any]] = {
        arn: {"Type": JOB_RESOURCE_TYPE, "Id": arn, "Partition": part, "Region": region}
    }
    for value in [*([vpc] if vpc else []), *ids]:
        resource = _resource(value, part, region, account)
        if resource is not None:
            out.setdefault(resource["Id"], resource)
    return list(out.values())[:MAX_RESOURCES]


def _named(check_id: str, value: str, report: Report) -> str:
    """Bucket and repository names as ARNs, so they become typed resources."""
    part = partition_of(report.region)
    if check_id in BUCKET_CHECKS and re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        return s3_object_arn(part, value)
    if check_id in REPOSITORY_CHECKS and re.fullmatch(r"[a-z0-9][a-z0-9._/-]{0,255}", value):
        return f"arn:{part}:ecr:{report.region}:{report.account}:repository/{value}"
    return value


def _resource(value: str, part: str, region: str, account: str) -> dict[str, Any] | None:
    for resource in EC2_RESOURCES:
        if value.startswith(resource.id_prefix) and re.fullmatch(r"[a-z]+-[0-9a-f]{8,17}", value):
            return {
                "Type": resource.asff_type,
                "Id": ec2_arn(part, region, account, resource.arn_path, value),
                "Partition": part,
                "Region": region,
            }
    if value.startswith("arn:"):
        service = value.split(":")[2] if value.count(":") >= 5 else ""
        return {
            "Type": ARN_RESOURCES.get(service, "Other"),
            "Id": value,
            "Partition": part,
            "Region": region,
        }
    return None  # CIDRs, API names: they are in the description, not resources


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
