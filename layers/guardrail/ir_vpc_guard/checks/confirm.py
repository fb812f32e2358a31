"""How a person confirms what a resource policy's answer hangs on: the read that gives the
unknown condition key its value (the object's tags, the organization's ID), never a rewrite
of a policy that may be right. Pure: commands as text, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ir_vpc_guard.arns import account_of
from ir_vpc_guard.checks.s3path import Hop, TablePath


@dataclass(frozen=True, eq=False, repr=False)
class Target:
    """The resource a read was refused on: an S3 object (`bucket`, `key`) or an ECR
    repository (`repository`, `arn`); `action` is the read; `role_arn` who makes it."""

    action: str
    arn: str
    role_arn: str | None
    bucket: str | None = None
    key: str | None = None
    repository: str | None = None


def object_target(action: str, arn: str, role_arn: str | None) -> Target:
    """The target of a read of an S3 object, from its ARN (`arn:p:s3:::bucket/key`)."""
    bucket, _, key = arn.split(":::", 1)[1].partition("/")
    return Target(action, arn, role_arn, bucket=bucket, key=key)


def commands(keys: Iterable[str], targets: Iterable[Target], policy_read: str = "") -> str:
    """One command per distinct read that answers `keys` for `targets`, joined with `&&`
    (each is a read: running them all changes nothing). `policy_read`, when given, stands
    for the simulator on a key no other read answers (a policy the simulator cannot take,
    such as an endpoint's: reading it shows the statement and the value it expects)."""
    found = list(targets)
    reads: dict[str, None] = {}
    for key in keys:
        for target in found:
            read = _read(key, target)
            reads.setdefault(policy_read if policy_read and "simulate-" in read else read, None)
    return " && ".join(reads)


def _read(key: str, target: Target) -> str:
    name = key.lower()
    role = target.role_arn or "<role-arn>"
    if name.startswith("s3:existingobjecttag/"):
        return _object_tags(str(target.bucket), str(target.key))
    if name.startswith(("aws:resourcetag/", "ecr:resourcetag/")):
        if target.repository:
            return f"aws ecr list-tags-for-resource --resource-arn {target.arn}"
        return f"aws s3api get-bucket-tagging --bucket {target.bucket}"
    principal = principal_read(key, role)
    if principal:
        return principal
    if " " in key or key.startswith("("):  # not a key: a session name, a malformed block
        return _simulate(target, role)
    # Any other key: the simulator answers, for the resource's own policy and the value
    # the person knows the key has.
    return _simulate(target, role) + f" --context-entries {context_entry(key)}"


# The simulator's ContextKeyType of the global keys that are not strings (IAM User Guide,
# "AWS global condition context keys"); every other key is passed as a string.
_KEY_TYPES = {
    "aws:sourceip": "ip",
    "aws:vpcsourceip": "ip",
    "aws:securetransport": "boolean",
    "aws:multifactorauthpresent": "boolean",
    "aws:viaawsservice": "boolean",
    "aws:principalisawsservice": "boolean",
    "aws:currenttime": "date",
    "aws:epochtime": "numeric",
    "aws:multifactorauthage": "numeric",
}


def context_entry(key: str) -> str:
    """One --context-entries item for the simulator, the value left to the person."""
    kind = _KEY_TYPES.get(key.lower(), "string")
    return f"ContextKeyName={key},ContextKeyValues=<value of {key}>,ContextKeyType={kind}"


def principal_read(key: str, role: str) -> str | None:
    """The read that gives a key about the role or its organization its value, if any."""
    name = key.lower()
    if name.startswith("aws:principaltag/"):
        return f"aws iam list-role-tags --role-name {role.rsplit('/', 1)[-1]}"
    if name in {"aws:principalorgid", "aws:resourceorgid"}:
        return "aws organizations describe-organization --query Organization.Id --output text"
    if name in {"aws:principalorgpaths", "aws:resourceorgpaths"}:
        account = account_of(role) or "<account-id>"
        return f"aws organizations list-parents --child-id {account}"
    return None


def _object_tags(bucket: str, key: str) -> str:
    """The object's tags; for a prefix (a directory of artifacts), each object's under it."""
    if not key.endswith("*"):
        return f"aws s3api get-object-tagging --bucket {bucket} --key {key}"
    return (
        f"aws s3api list-objects-v2 --bucket {bucket} --prefix '{key[:-1]}' "
        "--query 'Contents[].Key' --output text | tr '\\t' '\\n' | "
        f"xargs -I{{}} aws s3api get-object-tagging --bucket {bucket} --key {{}}"
    )


def _simulate(target: Target, role: str) -> str:
    """The simulator on the role and the resource's own policy, fetched first."""
    return (
        f"{_fetch_policy(target)} && "
        f"aws iam simulate-principal-policy --policy-source-arn {role} "
        f"--action-names {target.action} --resource-arns {target.arn} "
        "--resource-policy file://policy.json"
    )


def _fetch_policy(target: Target) -> str:
    if target.repository:
        return (
            f"aws ecr get-repository-policy --repository-name {target.repository} "
            "--query policyText --output text > policy.json"
        )
    return (
        f"aws s3api get-bucket-policy --bucket {target.bucket} --query Policy --output text "
        "> policy.json"
    )


def role_allows(targets: Iterable[Target]) -> str:
    """The read that says whether the role's own policies allow the reads (the simulator on
    the role alone: the resource policy grants nothing outside the VPC)."""
    found = list(targets)
    role = next((t.role_arn for t in found if t.role_arn), None) or "<role-arn>"
    actions = " ".join(dict.fromkeys(t.action for t in found))
    arns = " ".join(dict.fromkeys(t.arn for t in found))
    return (
        f"aws iam simulate-principal-policy --policy-source-arn {role} "
        f"--action-names {actions} --resource-arns {arns} "
        "--query 'EvaluationResults[].[EvalActionName,EvalResourceName,EvalDecision]'"
    )


# The reads of a shared VPC's resources as its owner's account runs them: the answers the
# guardrail could not get (no read role, or the role refused it).
_OWNER_READS = {
    "ec2:DescribeVpcs": "aws ec2 describe-vpcs --vpc-ids {vpc}",
    "ec2:DescribeVpcAttribute": (
        "aws ec2 describe-vpc-attribute --vpc-id {vpc} --attribute enableDnsSupport"
    ),
    "ec2:DescribeDhcpOptions": (
        "aws ec2 describe-dhcp-options --dhcp-options-ids $(aws ec2 describe-vpcs "
        "--vpc-ids {vpc} --query 'Vpcs[0].DhcpOptionsId' --output text)"
    ),
}


def owner_reads(actions: Iterable[str], vpc_id: str, owner: str) -> str:
    """The owner's reads a check needed, each to run with account `owner`'s credentials."""
    reads = []
    for action in dict.fromkeys(actions):
        service, _, name = action.partition(":")
        kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
        default = f"aws {service} {kebab} --filters Name=vpc-id,Values={{vpc}}"
        reads.append(_OWNER_READS.get(action, default).format(vpc=vpc_id))
    return " && ".join(reads) + f"  # as account {owner}"


def route_reads(paths: Iterable[TablePath], vpc_id: str) -> str:
    """Where the transit gateways and appliances the S3 ranges go to send them: for each
    range and target, the read that answers it (the transit gateway's route for that range;
    the routes of the appliance's own subnet)."""
    reads: dict[str, None] = {}
    for path in paths:
        for cidr, routes in path.by_cidr.items():
            for route in routes:
                if route and route.hop is Hop.OTHER:
                    reads.setdefault(_route_read(cidr, route.target, vpc_id), None)
    return " && ".join(reads)


def _route_read(cidr: str, target: str, vpc_id: str) -> str:
    if target.startswith("tgw-"):
        table = (
            "$(aws ec2 describe-transit-gateway-attachments --filters "
            f"Name=resource-id,Values={vpc_id} Name=transit-gateway-id,Values={target} "
            "--query 'TransitGatewayAttachments[0].Association.TransitGatewayRouteTableId' "
            "--output text)"
        )
        return (
            f"aws ec2 search-transit-gateway-routes --transit-gateway-route-table-id {table} "
            f"--filters Name=route-search.longest-prefix-match,Values={cidr}"
        )
    if target.startswith(("eni-", "i-")):
        where = (
            f"aws ec2 describe-network-interfaces --network-interface-ids {target} "
            "--query 'NetworkInterfaces[0].SubnetId' --output text"
            if target.startswith("eni-")
            else f"aws ec2 describe-instances --instance-ids {target} "
            "--query 'Reservations[0].Instances[0].SubnetId' --output text"
        )
        return (
            f"aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=$({where})"
        )
    return (
        f"aws ec2 describe-route-tables --filters Name=route.destination-cidr-block,Values={cidr}"
    )
