"""R3 inverted on snapshots: where the job subnets' ways to S3 differ (which subnet SageMaker
places the instances in is undocumented) or an S3 interface endpoint may take the requests,
a denial is not certain."""

from __future__ import annotations

import json
from typing import Any

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import JobBuckets, Read, Snapshot
from ir_vpc_guard.findings import Finding
from tests.snapshots import compliant, endpoint, job, route_table

CHECK = "BUCKET_POLICY_DENIES_JOB_PATH"


def only_from(endpoint_id: str) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Sid": "OnlyOurEndpoint",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::data/*",
                    "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint_id}},
                }
            ]
        }
    )


def training(policy: str, **changes: Any) -> Snapshot:
    request = job(
        workload="training",
        model_package_arn=None,
        instance_count=1,
        s3_reads=("s3://data/train/",),
        s3_writes=("s3://data/out/",),
    )
    return compliant(
        job=request, job_bucket_policies=Read(value=JobBuckets({"data": policy})), **changes
    )


def split() -> dict[str, Any]:
    """subnet-a routes S3 to vpce-1, subnet-b to vpce-2 (two gateway endpoints)."""
    second = {**endpoint(["rtb-2"]), "VpcEndpointId": "vpce-2"}
    return {
        "route_tables": Read(
            value=[
                route_table("rtb-main", main=True),
                route_table("rtb-1", ("subnet-a",)),
                route_table("rtb-2", ("subnet-b",)),
            ]
        ),
        "s3_endpoints": Read(value=[endpoint(["rtb-1"]), second]),
    }


def judged(snapshot: Snapshot) -> list[Finding]:
    return [f for f in run_checks(snapshot).findings if f.check_id == CHECK]


def test_a_denial_of_only_some_subnets_way_is_undetermined() -> None:
    [finding] = judged(training(only_from("vpce-1"), **split()))
    assert finding.severity.value == "MEDIUM"
    assert "which job subnets" in finding.evidence["undetermined"]
    assert [(w["via"], w["denied"]) for w in finding.evidence["ways"]] == [
        ("vpce-1", False),
        ("vpce-2", True),
    ]
    # Every subnet's way denied: certain.
    [high] = judged(training(only_from("vpce-9"), **split()))
    assert high.severity.value == "HIGH" and "undetermined" not in high.evidence


def test_an_s3_interface_endpoint_that_may_take_the_requests_makes_it_undetermined() -> None:
    assert [f.severity.value for f in judged(training(only_from("vpce-9")))] == ["HIGH"]
    interface = {
        **endpoint([], kind="Interface"),
        "VpcEndpointId": "vpce-i",
        "PrivateDnsEnabled": True,
        "DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": False},
    }
    both = Read(value=[endpoint(["rtb-1"]), interface])
    [finding] = judged(training(only_from("vpce-9"), s3_endpoints=both))
    assert finding.severity.value == "MEDIUM"
    assert "interface endpoint" in finding.evidence["undetermined"]


def test_a_bucket_without_a_policy_or_a_path_is_not_this_checks_finding() -> None:
    assert judged(training("")) == []
    no_route = Read(
        value=[route_table("rtb-main", main=True), route_table("rtb-1", ("subnet-a", "subnet-b"))]
    )
    assert (
        judged(training(only_from("vpce-9"), s3_endpoints=Read(value=[]), route_tables=no_route))
        == []
    )


def test_a_deny_that_hangs_on_the_principal_not_a_key_is_undetermined() -> None:
    # Deny everyone but the role: whether the role's sessions are exempt AWS leaves to the
    # assumed-role session ARN, which the product cannot know (IAM User Guide, NotPrincipal).
    role = job().role_arn
    document = json.dumps(
        {
            "Statement": [
                {
                    "Sid": "OnlyTheRole",
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": role},
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::data/*",
                }
            ]
        }
    )
    [finding] = judged(training(document))
    assert finding.severity.value == "MEDIUM"
    assert "assumed-role session" in finding.evidence["undetermined"]
