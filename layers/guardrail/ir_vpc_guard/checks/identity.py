"""R8: the execution role may create and manage the job's network interfaces."""

from __future__ import annotations

from collections.abc import Iterator

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS, SAGEMAKER_FULL_ACCESS
from ir_vpc_guard.snapshot import RoleAccess, Snapshot


def denied_actions(access: RoleAccess) -> tuple[dict[str, str], str]:
    """Required actions the role is not allowed, with their decision, and how it was judged."""
    if access.simulated is not None:
        return {
            a: access.simulated.get(a, "implicitDeny")
            for a in ROLE_REQUIRED_ACTIONS
            if access.simulated.get(a) != "allowed"
        }, "iam:SimulatePrincipalPolicy"
    if any(arn.endswith(f":policy/{SAGEMAKER_FULL_ACCESS}") for arn in access.attached_policy_arns):
        return {}, f"{SAGEMAKER_FULL_ACCESS} is attached"
    decisions = {a: policy.decide(access.policies, a) for a in ROLE_REQUIRED_ACTIONS}
    return {
        a: d.value for a, d in decisions.items() if d is not policy.Decision.ALLOWED
    }, "the role's own policies (simulator unavailable; conditions not evaluated)"


@register(
    "ROLE_VPC_PERMISSIONS_MISSING",
    title="The job's execution role lacks the EC2 permissions a VPC job needs",
    severity=Severity.HIGH,
    requirement="R8",
    reads=("role",),
    risk="SageMaker cannot create the endpoints' network interfaces and the job fails.",
    fix=f"Attach {SAGEMAKER_FULL_ACCESS}, or a policy allowing the listed EC2 actions.",
)
def role_vpc_permissions_missing(snapshot: Snapshot) -> Iterator[Problem]:
    denied, method = denied_actions(snapshot.role.get())
    if denied:
        role = str(snapshot.job.role_arn)
        yield Problem(
            detail=f"{role} is not allowed: {', '.join(denied)} (judged by {method}).",
            resources=(role,),
            evidence={"denied": denied, "method": method},
            command=(
                f"aws iam attach-role-policy --role-name {role.rsplit('/', 1)[-1]} "
                f"--policy-arn arn:aws:iam::aws:policy/{SAGEMAKER_FULL_ACCESS}"
            ),
        )
