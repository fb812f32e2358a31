"""R3 inverted, for workloads whose data path is the VPC (training): the policies of the
job's own buckets must admit the way its subnets reach S3 (docs/workloads.md).

Through a gateway endpoint on a subnet's route, requests carry aws:SourceVpce (that
endpoint) and aws:SourceVpc (the job's VPC); through a NAT gateway they carry neither. A
policy restricted to the job's own endpoint or VPC is what AWS recommends and passes. HIGH
only when the evaluator is certain every subnet's way is denied; MEDIUM when the answer
hangs on a key the product cannot know, on which subnet SageMaker places the instances, or
on a bucket of another account whose policy only its owner may read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from ir_vpc_guard.checks import confirm, policy
from ir_vpc_guard.checks.model import policy_command
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.requests import RoleFacts, endpoint_read, role_facts, service_read
from ir_vpc_guard.checks.routing import PATH_READS
from ir_vpc_guard.checks.s3path import (
    Hop,
    TablePath,
    job_requests,
    private_dns_interfaces,
    s3_paths,
)
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.workload import THROUGH_VPC

# NAT hops whose requests, if they reach S3 at all, reach it without VPC keys.
_NAT_HOPS = (Hop.NAT, Hop.NAT_UNDETERMINED)


@dataclass(frozen=True, eq=False, repr=False)
class Way:
    """One way a route table sends the job's S3 requests: a gateway endpoint, or NAT."""

    table: TablePath
    endpoint: str | None  # None: through a NAT gateway (`via`)
    via: str

    def label(self) -> str:
        kind = f"gateway endpoint {self.via}" if self.endpoint else f"NAT gateway {self.via}"
        subnets = ", ".join(self.table.subnets)
        return f"{kind} (route table {self.table.table_id or 'none'}, subnets {subnets})"

    def request(self, snapshot: Snapshot, action: str, arn: str, role: RoleFacts) -> policy.Request:
        job, vpc_id = snapshot.job, str(snapshot.vpc_id)
        if self.endpoint:
            request = endpoint_read(job, self.endpoint, vpc_id, arn, role=role, action=action)
        else:
            request = service_read(job, action, arn, role=role)  # no VPC key, as through NAT
        # The job's locations are prefixes (requests.prefix_arn): evaluated as templates.
        return replace(request, resource_is_template=True)


def ways(paths: list[TablePath]) -> dict[str | None, list[Way]]:
    """The ways each route table (by ID) takes to S3 that reach a bucket's policy; tables
    whose S3 traffic has no such way are the routing checks' findings, not this one's."""
    found: dict[str | None, list[Way]] = {}
    for path in paths:
        listed = [Way(path, e, e) for e in path.targets(Hop.ENDPOINT)]
        listed += [Way(path, None, n) for hop in _NAT_HOPS for n in path.targets(hop)]
        if listed:
            found[path.table_id] = listed
    return found


@dataclass(frozen=True, eq=False, repr=False)
class _Verdict:
    """How one bucket's policy treats one way: the requests it denies, certainly or not."""

    way: Way
    denied: list[tuple[policy.Request, policy.Evaluation]]
    maybe: list[tuple[policy.Request, policy.Evaluation]]


@register(
    "BUCKET_POLICY_DENIES_JOB_PATH",
    title="A bucket policy refuses the way the job's subnets reach S3",
    severity=Severity.HIGH,
    requirement="R3",
    reads=("job_bucket_policies", "s3_endpoints", "subnets", *PATH_READS),
    consults=("dns_support",),
    risk="The job reads its data and writes its output through its own VPC; a bucket policy "
    "that admits only another endpoint or VPC (or only an endpoint, where the subnets use "
    "NAT) refuses those requests and the job fails.",
    fix="Admit the job's own S3 gateway endpoint (aws:SourceVpce) or VPC (aws:SourceVpc) in "
    "the bucket policy, or route the job subnets' S3 traffic through the endpoint it admits.",
    blocks_job=True,
    concerns=lambda workload: workload.data_path == THROUGH_VPC,
)
def bucket_policy_denies_job_path(snapshot: Snapshot) -> Iterator[Problem]:
    buckets = snapshot.job_bucket_policies.get()
    by_table = ways(s3_paths(snapshot))
    requests = job_requests(snapshot)
    role = role_facts(snapshot)
    interfaces = private_dns_interfaces(snapshot.s3_endpoints.get(), snapshot.dns_support.value)
    for bucket, text in buckets.policies.items():
        document = policy.parse(text)
        if not document or not by_table:
            continue
        wanted = [(a, arn) for a, arn in requests if _bucket_of(arn) == bucket]
        verdicts = {
            table: [_verdict(snapshot, document, way, wanted, role) for way in listed]
            for table, listed in by_table.items()
        }
        problem = _judge(snapshot, bucket, verdicts, bool(interfaces))
        if problem:
            yield problem
    for bucket in buckets.foreign:
        yield _foreign(snapshot, bucket, [w for listed in by_table.values() for w in listed])


def _verdict(
    snapshot: Snapshot,
    document: dict[str, object],
    way: Way,
    wanted: list[tuple[str, str]],
    role: RoleFacts,
) -> _Verdict:
    evaluations = [
        (request, policy.explicit_deny([document], request))
        for request in (way.request(snapshot, action, arn, role) for action, arn in wanted)
    ]
    return _Verdict(
        way,
        [(r, e) for r, e in evaluations if e.decision is policy.Decision.EXPLICIT_DENY],
        [(r, e) for r, e in evaluations if e.decision is policy.Decision.UNDETERMINED],
    )


def _judge(
    snapshot: Snapshot,
    bucket: str,
    verdicts: dict[str | None, list[_Verdict]],
    through_interface: bool,
) -> Problem | None:
    """HIGH when every table's every way is certainly denied (wherever SageMaker places the
    instances, each way they take is refused) and no S3 interface endpoint may take the
    requests instead; MEDIUM when any way is or may be denied."""
    flat = [v for listed in verdicts.values() for v in listed]
    if not any(v.denied or v.maybe for v in flat):
        return None
    certain = all(v.denied for v in flat)
    unknown: list[str] = []
    if not certain:
        keys = sorted({k for v in flat for _, e in v.maybe for k in e.unknown_keys})
        if keys:
            unknown.append(f"the request context keys {', '.join(keys)}")
        if any(not v.denied for v in flat) and any(v.denied for v in flat):
            unknown.append("which job subnets SageMaker places the instances in")
    if certain and through_interface:
        unknown.append("whether the job's S3 requests use an S3 interface endpoint (private DNS)")
    severity = Severity.HIGH if not unknown else Severity.MEDIUM
    refused = [v for v in flat if v.denied or v.maybe]
    statements = sorted({s for v in refused for _, e in v.denied + v.maybe for s in e.statements})
    reads = sorted({f"{r.action} on {r.resource}" for v in refused for r, _ in v.denied + v.maybe})
    verb = "denies" if severity is Severity.HIGH else "denies or may deny"
    detail = (
        f"The policy of bucket {bucket} {verb} {', '.join(reads)} through "
        f"{'; '.join(v.way.label() for v in refused)} ({', '.join(statements)}): the way the "
        "job's subnets reach S3, where its requests carry "
        + (
            "no VPC key (NAT)."
            if all(not v.way.endpoint for v in refused)
            else "that endpoint's aws:SourceVpce and the job's aws:SourceVpc."
        )
    )
    evidence: dict[str, object] = {
        "bucket": bucket,
        "statements": statements,
        "ways": [
            {
                "routeTable": v.way.table.table_id,
                "subnets": list(v.way.table.subnets),
                "via": v.way.via,
                "denied": bool(v.denied),
            }
            for v in flat
        ],
        "resources": sorted({r.resource for v in refused for r, _ in v.denied + v.maybe}),
        "actions": sorted({r.action for v in refused for r, _ in v.denied + v.maybe}),
    }
    if unknown:
        evidence["undetermined"] = "; ".join(unknown)
    return Problem(
        detail=detail,
        resources=(bucket,),
        evidence=evidence,
        severity=severity,
        command=_command(snapshot, bucket, refused, severity),
    )


def _command(snapshot: Snapshot, bucket: str, refused: list[_Verdict], severity: Severity) -> str:
    keys = sorted({k for v in refused for _, e in v.maybe for k in e.unknown_keys})
    if severity is Severity.HIGH or not keys:
        return policy_command("bucket", bucket)
    targets = [
        confirm.object_target(r.action, r.resource, snapshot.job.role_arn)
        for v in refused
        for r, _ in v.maybe
    ]
    return confirm.commands(keys, targets)


def _foreign(snapshot: Snapshot, bucket: str, listed: list[Way]) -> Problem:
    """A bucket of another account: only its owner may read its policy (GetBucketPolicy)."""
    vias = ", ".join(w.label() for w in listed) or "its subnets' route"
    return Problem(
        detail=f"Bucket {bucket} is not this account's: whether its policy admits the job's "
        f"requests through {vias} is not determined.",
        resources=(bucket,),
        evidence={
            "bucket": bucket,
            "undetermined": f"the policy of {bucket}, which only its owner's account may read",
        },
        severity=Severity.MEDIUM,
        command=f"aws s3api get-bucket-policy --bucket {bucket} --query Policy --output text"
        "  # as the bucket owner's account: look for aws:SourceVpce / aws:SourceVpc conditions",
    )


def _bucket_of(arn: str) -> str:
    return arn.split(":::", 1)[1].split("/", 1)[0]
