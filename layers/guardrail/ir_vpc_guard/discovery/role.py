"""IAM reads of the job's execution role: the policy simulator on the ARNs the job's calls
will name, or, where the simulator is unavailable, the role's own policy documents and its
permissions boundary for local evaluation."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import Read, RoleAccess, failed, not_applicable
from ir_vpc_guard.discovery.waves import Wave, done
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.role_arns import role_resources
from ir_vpc_guard.requirements import ROLE_REQUIRED_ACTIONS

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_iam import IAMClient

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


def submit(wave: Wave, clients: AwsClients, job: JobRequest) -> Future[Read[RoleAccess]]:
    """What the job's role may do, or why that is not read (no role, an invalid ARN)."""
    arn = job.role_arn
    if arn is None:
        reason = "roleArn is not valid" if "roleArn is not valid" in job.input_problems else ""
        if reason:
            return done(failed("iam:SimulatePrincipalPolicy", "InvalidInput", reason))
        return done(not_applicable("the job names no execution role"))
    return wave.submit("iam:SimulatePrincipalPolicy", lambda: read_role(clients.iam, job, arn))


def read_role(iam: IAMClient, job: JobRequest, role_arn: str) -> RoleAccess:
    """The simulator first, on the ARNs the job's calls will name."""
    resources = sorted({arn for a in ROLE_REQUIRED_ACTIONS for arn in role_resources(job, a)})
    try:
        answer = iam.simulate_principal_policy(
            PolicySourceArn=role_arn,
            ActionNames=list(ROLE_REQUIRED_ACTIONS),
            ResourceArns=resources,
            ContextEntries=[
                {
                    "ContextKeyName": "aws:RequestedRegion",
                    "ContextKeyValues": [job.region],
                    "ContextKeyType": "string",
                },
                {
                    "ContextKeyName": "ec2:Region",
                    "ContextKeyValues": [job.region],
                    "ContextKeyType": "string",
                },
            ],
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            raise
        return read_role_policies(iam, role_arn)
    except SIMULATION_UNAVAILABLE:
        return read_role_policies(iam, role_arn)
    return _simulated(job, answer.get("EvaluationResults", []))


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
    documents = [
        _policy_document(iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"])
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
        for policy in page.get("PolicyNames", [])
    ]
    documents += [_managed_policy(iam, arn) for arn in attached]
    boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return RoleAccess(
        policies=tuple(documents),
        boundary=_managed_policy(iam, boundary_arn) if boundary_arn else None,
        attached_policy_arns=tuple(attached),
    )


def _managed_policy(iam: IAMClient, arn: str) -> dict[str, Any]:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
    return _policy_document(document["PolicyVersion"]["Document"])


def _simulated(job: JobRequest, results: Iterable[Mapping[str, Any]]) -> RoleAccess:
    """Per action, the worst decision over the resources it names (the simulator answers per
    resource when given several), and the context keys it said it was missing."""
    rank = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}
    decisions: dict[str, str] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for result in results:
        action = str(result.get("EvalActionName"))
        wanted = set(role_resources(job, action))
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
    return RoleAccess(simulated=decisions, missing_context=missing)


def _policy_document(document: object) -> dict[str, Any]:
    """IAM answers documents as dicts (boto3 decodes) or URL-encoded JSON strings."""
    if isinstance(document, dict):
        return document
    parsed = json.loads(urllib.parse.unquote(str(document)))
    return parsed if isinstance(parsed, dict) else {}
