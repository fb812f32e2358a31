"""R8: the execution role may create and manage the job's network interfaces.

The IAM simulator is asked first (on the ARNs the job's calls name); without it, every
identity policy of the role and its permissions boundary are evaluated here. Neither can see
service control policies, so an ALLOWED here is what the account's own policies say.

AWS's Inference Recommender page lists ec2:ModifyNetworkInterfaceAttribute for custom
policies, yet AWS's own AmazonSageMakerFullAccess, with which VPC jobs run, lacks it: lacking
that action alone is a LOW advisory (ROLE_ENI_ATTRIBUTE_NOT_ALLOWED), never a failure.
"""

from __future__ import annotations

from collections.abc import Iterator

from ir_vpc_guard.checks import policy
from ir_vpc_guard.checks.confirm import context_entry, principal_read
from ir_vpc_guard.checks.registry import Problem, register
from ir_vpc_guard.checks.requests import role_calls
from ir_vpc_guard.checks.role_fixes import Cause, Refusal, fix_command
from ir_vpc_guard.checks.role_scope import scoped_grants
from ir_vpc_guard.discovery.snapshot import RoleAccess, Snapshot, Source
from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.role_arns import Owners, owners_of, role_resources
from ir_vpc_guard.intake.workloads import workload_of
from ir_vpc_guard.requirements import (
    ROLE_ADVISORY_ACTIONS,
    ROLE_REQUIRED_ACTIONS,
    SAGEMAKER_FULL_ACCESS,
)

SIMULATOR = "iam:SimulatePrincipalPolicy"
UNPROVEN = (
    "AWS's page for this workload lists the action and its managed policy grants it, but no "
    "failure without it is documented"
)
LOCAL = "the role's identity policies and permissions boundary, evaluated by the guardrail"


def resource_owners(snapshot: Snapshot) -> dict[str, str]:
    """Who owns the job's subnets, groups and VPC (shared ones: another account)."""
    found = [
        *(snapshot.subnets.value or {}).values(),
        *(snapshot.security_groups.value or {}).values(),
    ]
    return owners_of(found, snapshot.vpc_id, snapshot.vpc_owner)


def judge_role(snapshot: Snapshot) -> dict[str, Refusal]:
    """Each required action the role is not certainly allowed: its evaluation and cause."""
    access = snapshot.role.get()
    if access.simulated is not None:
        return _simulated(access)
    owners = resource_owners(snapshot)
    found = {}
    for action in ROLE_REQUIRED_ACTIONS:
        requests = role_calls(snapshot.job, action, snapshot.vpc_id, owners, access.tags)
        verdict = policy.combine(
            policy.evaluate_with_boundary(access.policies, access.boundary, r) for r in requests
        )
        if verdict.decision is not policy.Decision.ALLOWED:
            found[action] = _local_cause(access, requests, verdict)
    return found


def _simulated(access: RoleAccess) -> dict[str, Refusal]:
    found = {}
    for action in ROLE_REQUIRED_ACTIONS:
        decision = (access.simulated or {}).get(action, "implicitDeny")
        missing = access.missing_context.get(action, ())
        if decision == "allowed":
            continue
        if missing and decision != "explicitDeny":
            evaluation = policy.Evaluation(policy.Decision.UNDETERMINED, (), missing)
            found[action] = Refusal(evaluation, Cause.UNKNOWN)
            continue
        evaluation = policy.Evaluation(policy.Decision(decision))
        if decision == "explicitDeny":
            found[action] = Refusal(evaluation, Cause.DENY, access.denied_by.get(action, ()))
        elif action in access.boundary_refuses:
            found[action] = Refusal(evaluation, Cause.BOUNDARY)
        else:
            found[action] = Refusal(evaluation, Cause.NO_ALLOW)
    return found


def _local_cause(
    access: RoleAccess, requests: list[policy.Request], verdict: policy.Evaluation
) -> Refusal:
    if verdict.decision is policy.Decision.UNDETERMINED:
        return Refusal(verdict, Cause.UNKNOWN)
    if verdict.decision is policy.Decision.EXPLICIT_DENY:
        named = [*_named_policies(access)]
        if access.boundary is not None:
            named.append(
                ("boundary", access.boundary_arn or "permissions boundary", access.boundary)
            )
        sources = {
            Source(kind, name, label): None
            for kind, name, document in named
            for request in requests
            for label in policy.denying_statements(document, request)
        }
        return Refusal(verdict, Cause.DENY, tuple(sources))
    own = policy.combine(policy.evaluate(access.policies, r) for r in requests)
    if access.boundary is not None and own.decision is not policy.Decision.IMPLICIT_DENY:
        return Refusal(verdict, Cause.BOUNDARY)
    return Refusal(verdict, Cause.NO_ALLOW)


def _named_policies(access: RoleAccess) -> Iterator[tuple[str, str, dict[str, object]]]:
    """Each identity policy with what names it: inline ones first, then the attached ARNs."""
    inline = access.inline_policy_names
    names = [
        *(("inline", n) for n in inline),
        *(("managed", a) for a in access.attached_policy_arns),
    ]
    for index, document in enumerate(access.policies):
        kind, name = names[index] if len(names) == len(access.policies) else ("", f"policy {index}")
        yield kind, name, document


def _confirm_command(job: JobRequest, actions: list[str], owners: Owners, keys: list[str]) -> str:
    """The reads that answer the unknown keys, then the simulator with each key's value
    filled in by the person (AWS's own evaluation, service control policies aside)."""
    resources = sorted({arn for a in actions for arn in role_resources(job, a, owners)})
    reads = dict.fromkeys(r for k in keys if (r := principal_read(k, str(job.role_arn))))
    entries = " ".join(context_entry(k) for k in keys)
    simulate = (
        f"aws iam simulate-principal-policy --policy-source-arn {job.role_arn} "
        f"--action-names {' '.join(actions)} --resource-arns {' '.join(resources)}"
        + (f" --context-entries {entries}" if entries else "")
    )
    return " && ".join([*reads, simulate])


def _report(
    snapshot: Snapshot, refused: dict[str, Refusal], *, advisory: bool, unproven: bool = False
) -> Iterator[Problem]:
    access = snapshot.role.get()
    job = snapshot.job
    role = str(job.role_arn)
    method = SIMULATOR if access.simulated is not None else LOCAL
    certain = {a: r for a, r in refused.items() if r.evaluation.certain}
    evidence = {
        "denied": {a: r.evaluation.decision.value for a, r in refused.items()},
        "method": method,
        "statements": sorted(
            {s for r in refused.values() for s in r.evaluation.statements}
            | {str(s) for r in refused.values() for s in r.sources}
        ),
        "causes": {a: r.cause.value for a, r in refused.items()},
    }
    why = (
        " AWS's Inference Recommender page lists it for custom policies, but AWS's own "
        f"{SAGEMAKER_FULL_ACCESS}, with which VPC jobs run, does not grant it: the job is not "
        "expected to fail without it."
        if advisory
        else ""
    )
    if unproven:
        why = f" {UNPROVEN}: whether the job fails without it is not determined."
        evidence["undetermined"] = UNPROVEN
    if certain:
        yield Problem(
            detail=f"{role} is not allowed: {', '.join(certain)} (judged by {method}).{why}",
            resources=(role,),
            evidence=evidence,
            severity=Severity.LOW if advisory else Severity.MEDIUM if unproven else None,
            command=fix_command(job, access, certain),
        )
        return
    keys = sorted({k for r in refused.values() for k in r.evaluation.unknown_keys})
    yield Problem(
        detail=f"{role} may not be allowed: {', '.join(refused)}: the answer hangs on "
        f"{', '.join(keys)} (judged by {method}).{why}",
        resources=(role,),
        evidence={**evidence, "undetermined": ", ".join(keys)},
        severity=Severity.LOW if advisory else Severity.MEDIUM,
        command=_confirm_command(job, list(refused), resource_owners(snapshot), keys),
    )


@register(
    "ROLE_VPC_PERMISSIONS_MISSING",
    title="The job's execution role lacks the EC2 permissions a VPC job needs",
    severity=Severity.HIGH,
    requirement="R8",
    reads=("role",),
    risk="SageMaker cannot create the endpoints' network interfaces and the job fails.",
    fix="Let the role do the listed EC2 actions: change the Deny that refuses them, let the "
    f"permissions boundary allow them, or attach {SAGEMAKER_FULL_ACCESS} (or a policy "
    "allowing them), as the command says for the cause found.",
    blocks_job=True,
)
def role_vpc_permissions_missing(snapshot: Snapshot) -> Iterator[Problem]:
    # The actions the job's workload needs (Inference Recommender: all but the advisory one).
    workload = workload_of(snapshot.job.workload)
    judged = judge_role(snapshot)
    refused = {a: r for a, r in judged.items() if a in workload.role_actions}
    if refused:
        yield from _report(snapshot, refused, advisory=False)
        return
    # Listed for this workload but with no failure documented without them: MEDIUM, and
    # only once the needed ones are allowed (otherwise the HIGH says it all).
    unproven = {a: r for a, r in judged.items() if a in workload.role_unproven_actions}
    if unproven:
        yield from _report(snapshot, unproven, advisory=False, unproven=True)
    elif workload.unscoped_role_rule:
        yield from _scoped(snapshot, workload.role_actions, workload.unscoped_role_rule)


def _scoped(snapshot: Snapshot, actions: tuple[str, ...], rule: str) -> Iterator[Problem]:
    """Allowed, but only under a Condition or on named resources: AWS says the job's
    creation then fails its validation, without saying which scopes it checks (MEDIUM)."""
    access = snapshot.role.get()
    scoped = scoped_grants(_named_policies(access), actions)
    if not scoped:
        return
    role = str(snapshot.job.role_arn)
    name = role.rsplit("/", 1)[-1]
    yield Problem(
        detail=f"{role} is allowed {', '.join(scoped)} only by statements with a Condition or "
        f'a Resource other than "*". AWS says of this workload\'s role: "{rule}".',
        resources=(role,),
        evidence={
            "scoped": scoped,
            "rule": rule,
            "undetermined": "whether SageMaker's validation at job creation refuses these "
            "scoped statements",
        },
        severity=Severity.MEDIUM,
        command=f"aws iam list-role-policies --role-name {name} && aws iam "
        f"list-attached-role-policies --role-name {name}  # grant {' '.join(scoped)} on "
        '"Resource": "*" without a Condition',
    )


@register(
    "ROLE_ENI_ATTRIBUTE_NOT_ALLOWED",
    title="The job's execution role may not modify network interface attributes",
    severity=Severity.LOW,
    requirement="R8",
    reads=("role",),
    risk="Advisory: AWS's Inference Recommender page lists ec2:ModifyNetworkInterfaceAttribute,"
    f" yet AWS's own {SAGEMAKER_FULL_ACCESS} lacks it and VPC jobs run with that policy.",
    fix="Nothing is required; allow the action if your jobs need it.",
    quiet=True,
)
def role_eni_attribute_not_allowed(snapshot: Snapshot) -> Iterator[Problem]:
    refused = judge_role(snapshot)
    # Reported only when every other action is allowed: otherwise the role's HIGH says it all.
    if refused and all(a in ROLE_ADVISORY_ACTIONS for a in refused):
        yield from _report(snapshot, refused, advisory=True)
