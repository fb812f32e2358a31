"""Which findings make a job certain to fail: the stop's policy (the stop itself is the
unit `fixes/stop_job.py`; STOP_DOOMED_JOBS, off by default; apply mode only).

Every minute a doomed job runs is billed instance time and a late, vague failure; a job
stopped on a false HIGH is an outage the guardrail caused. So the stop is the last thing
that can go wrong: after remediation and the re-check, a job is stopped only when a certain
HIGH finding remains of a check that STOP_ON_CHECKS names (by default the checks of
`CERTAIN_BECAUSE`, whose rule AWS documents without ambiguity), whose inputs were all read
with the job account's own credentials (never through a shared VPC's owner), that no mute
touches and no undetermined read weakens, and only when no check raised. The job must still
be PENDING or IN_PROGRESS, the function's own account's, and neither the job nor its VPC may
carry the opt-out tag (the template's Deny holds that too). A check that predicted a failure
that did not happen in this account (state/false_alarms.py) is no certainty that holds: a
stop resting on such checks only is held back (SKIPPED, the finding stays HIGH). The report
always says what was decided: action `stop-job`, PLANNED (setting off or report mode),
APPLIED, FAILED or SKIPPED with why; it carries the findings that made the job certain to
fail and their evidence.
"""

from __future__ import annotations

from typing import Any

from ir_vpc_guard.checks.registry import CATALOGUE
from ir_vpc_guard.discovery.shared_vpc import OWNER_READS
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Finding, Severity
from ir_vpc_guard.settings import Settings, SettingsError
from ir_vpc_guard.state.false_alarms import EVIDENCE

# The checks that may stop a job by default (STOP_ON_CHECKS empty), and why a HIGH of each
# is certain: the AWS rule behind it, and what never makes it HIGH. The README's stop
# section is generated from this table.
CERTAIN_BECAUSE: dict[str, str] = {
    "VPC_CONFIG_INVALID": "SageMaker's API refuses a VpcConfig outside its own limits "
    "(1-16 subnets, 1-5 groups, their ID patterns: botocore's model of the API).",
    "SUBNET_NOT_FOUND": "DescribeSubnets with the job account's own credentials does not "
    "know the subnet: SageMaker, acting in that account, has nowhere to put the interface.",
    "SECURITY_GROUP_NOT_FOUND": "DescribeSecurityGroups with the job account's own "
    "credentials does not know the group: SageMaker cannot attach it to an interface.",
    "VPC_MISMATCH": "A network interface takes the security groups of its own VPC only (VPC "
    "User Guide, security groups) or of another VPC associated with it; a group associated, "
    "being associated or of another account (whose associations the job's cannot see) is "
    "never a certain HIGH.",
    "MODEL_ARTIFACT_VPC_RESTRICTED": "The bucket policy's explicit Deny matches the read "
    "SageMaker makes outside the VPC (its context has no aws:SourceVpc or aws:SourceVpce); "
    "an explicit Deny wins over every Allow (IAM User Guide, policy evaluation logic).",
    "SAMPLE_PAYLOAD_VPC_RESTRICTED": "As for the artifacts: the bucket policy's explicit "
    "Deny matches SageMaker's service-side read of the payload, which no Allow overrides.",
    "IMAGE_VPC_RESTRICTED": "The repository policy's explicit Deny matches SageMaker's pull "
    "of the image, made outside the VPC; no Allow overrides it.",
    "NACL_BLOCKS_S3": "Network ACLs are stateless and ordered: the lowest-numbered matching "
    "rule denies HTTPS to S3 or its return traffic in a job subnet (VPC User Guide, network "
    "ACLs).",
    "S3_ENDPOINT_MISSING": "No S3 gateway endpoint, and a job subnet's route table sends S3 "
    "nowhere, to a blackhole, a peering connection or a NAT gateway without a route to an "
    "internet gateway (VPC User Guide: route priority, NAT connectivity types, VPC peering "
    "has no edge-to-edge routing); a transit gateway, appliance, internet gateway or S3 "
    "interface endpoint in the path is never certain.",
    "S3_ENDPOINT_ROUTE_MISSING": "The S3 gateway endpoint exists but a job subnet's route "
    "table sends S3 nowhere, to a blackhole, a peering connection or a NAT gateway without "
    "a route to an internet gateway (same rules).",
    "S3_ENDPOINT_POLICY_DENIES": "The endpoint policy refuses s3:GetObject on the model "
    "artifacts the instances read through it, for certain; a request through an endpoint "
    "needs the endpoint policy's Allow too (VPC User Guide, endpoint policies).",
    "SG_EGRESS_S3_MISSING": "Security groups allow only what a rule names: no egress rule of "
    "the job's groups covers HTTPS to every S3 range (VPC User Guide, security group rules), "
    "and the VPC's endpoints, read, hold no S3 interface endpoint with private DNS that would "
    "take the traffic instead.",
    "BUCKET_POLICY_DENIES_JOB_PATH": "The bucket policy's explicit Deny matches the requests "
    "of every job subnet's way to S3: through the gateway endpoint on its route, they carry "
    "that endpoint's aws:SourceVpce and the VPC's aws:SourceVpc; through NAT, neither (VPC "
    "User Guide, endpoint policies; IAM User Guide, condition keys); no Allow overrides it.",
}


# Checks that can doom a job but stop one only when STOP_ON_CHECKS names them: why their
# HIGH is not certain enough to stop a job by default.
NOT_BY_DEFAULT: dict[str, str] = {
    "REGISTRY_AUTH_LAMBDA_UNREACHABLE": "the guardrail sees the VPC's routes and endpoints, "
    "not how the customer's own resolvers and networks answer lambda.<region>.amazonaws.com.",
    "SUBNET_IP_CAPACITY": "the free addresses change as other workloads start and stop, and "
    "how many instances a job runs at once is the guardrail's estimate, not AWS's number.",
    "ROLE_VPC_PERMISSIONS_MISSING": "AWS documents the actions for custom policies, yet its "
    "own AmazonSageMakerFullAccess lacks one of them (now an advisory of its own): AWS's list "
    "is not exactly what a job needs, and neither the simulator nor the guardrail's "
    "evaluator can see service control policies.",
}


def stoppable_checks(settings: Settings) -> frozenset[str]:
    """The checks whose certain HIGH may stop a job: STOP_ON_CHECKS, else the documented
    list. A name that is not a check that can doom a job is a configuration error (raised
    at cold start, like every other bad setting)."""
    if settings.stop_on_checks is None:
        return frozenset(CERTAIN_BECAUSE)
    dooming = {c for c, check in CATALOGUE.items() if check.blocks_job}
    wrong = sorted(settings.stop_on_checks - dooming)
    if wrong:
        raise SettingsError(
            f"STOP_ON_CHECKS names checks that cannot stop a job: {', '.join(wrong)}; "
            f"they can: {', '.join(sorted(dooming))}"
        )
    return settings.stop_on_checks


def blocking(
    findings: list[Finding], snapshot: Snapshot, stoppable: frozenset[str]
) -> list[Finding]:
    """The findings that make the job certain to fail, with a certainty that holds."""
    foreign = _read_from_other_accounts(snapshot)
    return [
        f
        for f in findings
        if f.muted is None
        and f.partially_muted is None
        and f.severity.rank >= Severity.HIGH.rank
        and not f.evidence.get("undetermined")
        and f.check_id in stoppable
        and f.check_id in CATALOGUE
        and CATALOGUE[f.check_id].blocks_job
        and not foreign.intersection(CATALOGUE[f.check_id].reads + CATALOGUE[f.check_id].consults)
    ]


def never_wrong_here(doomed: list[Finding]) -> list[Finding]:
    """The blocking findings of checks with no false alarm recorded in this account: the
    only ones a stop may rest on."""
    return [f for f in doomed if EVIDENCE not in f.evidence]


def held_back(doomed: list[Finding]) -> str:
    """Why a stop resting only on checks proven wrong here is not made."""
    checks = ", ".join(sorted({f.check_id for f in doomed}))
    return (
        f"{checks} predicted a failure that did not happen in this account before "
        "(evidence.falseAlarms): a person confirms before such a job is stopped"
    )


def _read_from_other_accounts(snapshot: Snapshot) -> set[str]:
    """The snapshot's reads that hold another account's answer: the VPC owner's network in a
    shared VPC (read through its role), and the job's groups when one of them belongs to
    another account, which may change its rules under the job. Subnets are read with the
    job account's own credentials: a subnet it cannot see, SageMaker cannot use either."""
    foreign = set(OWNER_READS) if snapshot.shared_vpc else set()
    groups = snapshot.security_groups.value if snapshot.security_groups.ok else {}
    if any(g.get("OwnerId", snapshot.reader) != snapshot.reader for g in (groups or {}).values()):
        foreign.add("security_groups")
    return foreign


def why(finding: Finding) -> dict[str, Any]:
    """A blocking finding as the stop action carries it: what, where, the evidence that
    made it certain, and the AWS rule that makes it so."""
    return {
        "checkId": finding.check_id,
        "resources": list(finding.resources),
        "detail": finding.detail,
        "evidence": finding.evidence,
        "certainBecause": CERTAIN_BECAUSE.get(finding.check_id)
        or f"named in STOP_ON_CHECKS; not by default because {NOT_BY_DEFAULT[finding.check_id]}",
    }
