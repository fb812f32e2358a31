"""IAM reads of the job's execution role: the policy simulator on the ARNs the job's calls
will name, or, where the simulator is unavailable, the role's own policy documents and its
permissions boundary for local evaluation."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import Read, RoleAccess, Source, failed, not_applicable
from ir_vpc_guard.discovery.waves import Wave, done
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.role_arns import Owners, resource_arn, role_resources
from ir_vpc_guard.intake.workloads import workload_of
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.type_defs import ContextEntryTypeDef

# The read of the snapshot made here, and the IAM actions it may use.
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "role": (
        "iam:SimulatePrincipalPolicy",
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    ),
}

# How "no simulator here" looks: AWS AccessDenied (a ClientError), moto in-process
# (NotImplementedError) and the moto server (an HTML 500 that botocore cannot parse).
SIMULATION_UNAVAILABLE = (NotImplementedError, BotoCoreError, ClientError, ResponseParserError)


def submit(
    wave: Wave,
    clients: AwsClients,
    job: JobRequest,
    owners: Owners | None = None,
    vpc_id: str | None = None,
) -> Future[Read[RoleAccess]]:
    """What the job's role may do, or why that is not read (no role, an invalid ARN).
    `owners`: who owns the job's subnets, groups and VPC (their ARNs carry that account)."""
    arn = job.role_arn
    if arn is None:
        reason = "roleArn is not valid" if "roleArn is not valid" in job.input_problems else ""
        if reason:
            return done(failed("iam:SimulatePrincipalPolicy", "InvalidInput", reason))
        return done(not_applicable("the job names no execution role"))
    return wave.submit(
        "iam:SimulatePrincipalPolicy",
        lambda: read_role(clients.iam, job, arn, owners or {}, vpc_id),
    )


def _context(
    job: JobRequest, owners: Owners, vpc_id: str | None, tags: Mapping[str, str]
) -> list[ContextEntryTypeDef]:
    """The context keys the job's ENI calls give away: the region, the VPC and (one subnet:
    a single value) the subnet, as ARNs in their owner's account; and the role's own tags."""
    values: dict[str, str] = {"aws:RequestedRegion": job.region, "ec2:Region": job.region}
    if vpc_id:
        values["ec2:Vpc"] = resource_arn(job, "vpc", vpc_id, owners)
    if len(job.subnets) == 1:
        values["ec2:Subnet"] = resource_arn(job, "subnet", job.subnets[0], owners)
    values |= {f"aws:PrincipalTag/{k}": v for k, v in tags.items()}
    return [
        {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
        for k, v in values.items()
    ]


def read_role(
    iam: IAMClient,
    job: JobRequest,
    role_arn: str,
    owners: Owners | None = None,
    vpc_id: str | None = None,
) -> RoleAccess:
    """The simulator first, on the ARNs the job's calls will name. When it says it lacks
    an aws:PrincipalTag key, the role's tags are read and it is asked once more with them."""
    owners = owners or {}
    resources = sorted(
        {arn for a in ROLE_REQUIRED_ACTIONS for arn in role_resources(job, a, owners)}
    )

    def simulate(tags: Mapping[str, str]) -> RoleAccess:
        answer = iam.simulate_principal_policy(
            PolicySourceArn=role_arn,
            ActionNames=list(ROLE_REQUIRED_ACTIONS),
            ResourceArns=resources,
            ContextEntries=_context(job, owners, vpc_id, tags),
        )
        return _simulated(job, owners, answer.get("EvaluationResults", []))

    try:
        access = simulate({})
        if any(
            k.lower().startswith("aws:principaltag/")
            for keys in access.missing_context.values()
            for k in keys
        ):
            tags = _tags(iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"])
            access = replace(simulate(tags), tags=tags) if tags else replace(access, tags=tags)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise
        return read_role_policies(iam, role_arn)
    except SIMULATION_UNAVAILABLE:
        return read_role_policies(iam, role_arn)
    if workload_of(job.workload).unscoped_role_rule:
        # The workload's rule is about the statements' scope, which the simulator never says.
        own = read_role_policies(iam, role_arn)
        return replace(
            access,
            policies=own.policies,
            attached_policy_arns=own.attached_policy_arns,
            inline_policy_names=own.inline_policy_names,
        )
    return access


def _tags(role: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in role.get("Tags", []) if "Key" in t}


def read_role_policies(iam: IAMClient, role_arn: str) -> RoleAccess:
    """Fallback when the simulator is unavailable: every identity policy of the role and
    its permissions boundary. A policy's document decides, never its name."""
    name = role_arn.rsplit("/", 1)[-1]
    role = iam.get_role(RoleName=name)["Role"]
    attached = [
        p["PolicyArn"]
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        for p in page.get("AttachedPolicies", [])
    ]
    inline = [
        policy
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
        for policy in page.get("PolicyNames", [])
    ]
    documents = [
        _policy_document(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
        for p in inline
    ]
    documents += [_managed_policy(iam, arn) for arn in attached]
    boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return RoleAccess(
        policies=tuple(documents),
        boundary=_managed_policy(iam, boundary_arn) if boundary_arn else None,
        attached_policy_arns=tuple(attached),
        inline_policy_names=tuple(inline),
        boundary_arn=boundary_arn,
        tags=_tags(role),
    )


def _managed_policy(iam: IAMClient, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
    return _policy_document(document["PolicyVersion"]["Document"])


def _simulated(job: JobRequest, owners: Owners, results: Iterable[Mapping[str, Any]]) -> RoleAccess:
    """Per action, the worst decision over the resources it names (the simulator answers per
    resource when given several), the context keys it said it was missing, the statements
    that deny it, and whether the permissions boundary refuses it."""
    rank = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}
    decisions: dict[str, str] = {}
    missing: dict[str, tuple[str, ...]] = {}
    denied_by: dict[str, tuple[Source, ...]] = {}
    boundary_refuses: set[str] = set()
    bounded = False
    for result in results:
        action = str(result.get("EvalActionName"))
        wanted = set(role_resources(job, action, owners))
        specific = [
            r
            for r in result.get("ResourceSpecificResults", [])
            if r.get("EvalResourceName") in wanted
        ]
        found = [str(r.get("EvalResourceDecision")) for r in specific] or [
            str(result.get("EvalDecision"))
        ]
        name = result.get("EvalResourceName")
        if not specific and name not in (None, "*") and name not in wanted:
            continue  # one result per resource (older answers): not a resource of this call
        worst = max([decisions.get(action, "allowed"), *found], key=lambda d: rank.get(d, 1))
        decisions[action] = worst
        keys = [*result.get("MissingContextValues", [])]
        keys += [k for r in specific for k in r.get("MissingContextValues", [])]
        if keys:
            missing[action] = tuple(dict.fromkeys([*missing.get(action, ()), *keys]))
        answers = [result, *specific]
        sources = [
            _source(m)
            for r in answers
            if r.get("EvalResourceDecision", r.get("EvalDecision")) == "explicitDeny"
            for m in r.get("MatchedStatements", [])
        ]
        if sources:
            denied_by[action] = tuple(dict.fromkeys([*denied_by.get(action, ()), *sources]))
        limits = [
            r["PermissionsBoundaryDecisionDetail"]
            for r in answers
            if r.get("PermissionsBoundaryDecisionDetail")
        ]
        bounded = bounded or bool(limits)
        if any(d.get("AllowedByPermissionsBoundary") is False for d in limits):
            boundary_refuses.add(action)
    return RoleAccess(
        simulated=decisions,
        missing_context=missing,
        denied_by=denied_by,
        boundary_refuses=frozenset(boundary_refuses),
        simulated_boundary=bounded,
    )


def _source(matched: Mapping[str, Any]) -> Source:
    """A statement the simulator matched: its policy's ID and type, and where it starts."""
    start = matched.get("StartPosition", {})
    kind = {"role": "inline", "permissions-boundary": "boundary"}.get(
        str(matched.get("SourcePolicyType", "")), str(matched.get("SourcePolicyType", ""))
    )
    return Source(
        kind=kind,
        policy=str(matched.get("SourcePolicyId", "")),
        statement=f"at line {start.get('Line', '?')}, column {start.get('Column', '?')}",
    )


def _policy_document(document: object) -> dict[str, Any]:
    """IAM answers documents as dicts (boto3 decodes) or URL-encoded JSON strings."""
    if isinstance(document, dict):
        return document
    parsed = json.loads(urllib.parse.unquote(str(document)))
    return parsed if isinstance(parsed, dict) else {}
