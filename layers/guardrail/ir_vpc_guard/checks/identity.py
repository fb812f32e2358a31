"""R8: the execution role may create and manage the job's network interfaces.

The IAM simulator is asked first (on the ARNs the job's calls name); without it, every
identity policy of the role and its permissions boundary are evaluated here. Neither can see
service control policies, so an ALLOWED here is what the account's own policies say.
"""

from __future__ import annotations

from collections.abc import Iterator

from ir_vpc_guard.arns import managed_policy_arn
from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.requests import role_calls
from ir_vpc_guard.discovery.snapshot import RoleAccess, Snapshot
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.role_arns import role_resources
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS, SAGEMAKER_FULL_ACCESS

SIMULATOR = "iam:SimulatePrincipalPolicy"
LOCAL = "the role's identity policies and permissions boundary, evaluated by the guardrail"


def judge_role(
    access: RoleAccess, job: JobRequest, vpc_id: str | None
) -> dict[str, policy.Evaluation]:
    """Each required action the role is not certainly allowed, with its evaluation."""
    if access.simulated is not None:
        found = {}
        for action in ROLE_REQUIRED_ACTIONS:
            decision = access.simulated.get(action, "implicitDeny")
            missing = access.missing_context.get(action, ())
            if decision == "allowed":
                continue
            if missing and decision != "explicitDeny":
                found[action] = policy.Evaluation(policy.Decision.UNDETERMINED, (), missing)
            else:
                found[action] = policy.Evaluation(policy.Decision(decision))
        return found
    results = {
        action: policy.combine(
            policy.evaluate_with_boundary(access.policies, access.boundary, request)
            for request in role_calls(job, action, vpc_id)
        )
        for action in ROLE_REQUIRED_ACTIONS
    }
    return {a: e for a, e in results.items() if e.decision is not policy.Decision.ALLOWED}


def _confirm_command(job: JobRequest, actions: list[str]) -> str:
    resources = sorted({arn for a in actions for arn in role_resources(job, a)})
    return (
        f"aws iam simulate-principal-policy --policy-source-arn {job.role_arn} "
        f"--action-names {' '.join(actions)} --resource-arns {' '.join(resources)} "
        "--context-entries ContextKeyName=<key>,ContextKeyValues=<value>,ContextKeyType=string"
    )


@register(
    "ROLE_VPC_PERMISSIONS_MISSING",
    title="The job's execution role lacks the EC2 permissions a VPC job needs",
    severity=Severity.HIGH,
    requirement="R8",
    reads=("role",),
    risk="SageMaker cannot create the endpoints' network interfaces and the job fails.",
    fix=f"Attach {SAGEMAKER_FULL_ACCESS}, or a policy allowing the listed EC2 actions.",
    blocks_job=True,
)
def role_vpc_permissions_missing(snapshot: Snapshot) -> Iterator[Problem]:
    access = snapshot.role.get()
    job = snapshot.job
    refused = judge_role(access, job, snapshot.vpc_id)
    if not refused:
        return
    role = str(job.role_arn)
    method = SIMULATOR if access.simulated is not None else LOCAL
    certain = {a: e for a, e in refused.items() if e.certain}
    evidence = {
        "denied": {a: e.decision.value for a, e in refused.items()},
        "method": method,
        "statements": sorted({s for e in refused.values() for s in e.statements}),
    }
    if certain:
        yield Problem(
            detail=f"{role} is not allowed: {', '.join(certain)} (judged by {method}).",
            resources=(role,),
            evidence=evidence,
            command=(
                f"aws iam attach-role-policy --role-name {role.rsplit('/', 1)[-1]} "
                f"--policy-arn {managed_policy_arn(job.partition, SAGEMAKER_FULL_ACCESS)}"
            ),
        )
        return
    keys = sorted({k for e in refused.values() for k in e.unknown_keys})
    yield Problem(
        detail=f"{role} may not be allowed: {', '.join(refused)}: the answer hangs on "
        f"{', '.join(keys)} (judged by {method}).",
        resources=(role,),
        evidence={**evidence, "undetermined": ", ".join(keys)},
        severity=Severity.MEDIUM,
        command=_confirm_command(job, list(refused)),
    )
