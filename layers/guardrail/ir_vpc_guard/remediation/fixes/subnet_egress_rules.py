"""add-subnet-egress-rules: all TCP to each job subnet's IPv4 CIDR not yet allowed, on the
job's first group of its own VPC; never wider than a subnet, never an IPv6 rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_vpc_guard.checks.network import allows_subnet, subnet_gaps, subnet_label, tcp_egress
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, RemediationStatus
from ir_vpc_guard.remediation.actions import Action, rule_description
from ir_vpc_guard.remediation.fix import Context
from ir_vpc_guard.remediation.safety import safe_egress_cidr
from ir_vpc_guard.remediation.tracks.security_group import EGRESS_GRANTS, EgressRuleFix, first_group

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import IpPermissionTypeDef, SecurityGroupTypeDef


class AddSubnetEgressRules(EgressRuleFix):
    name = ActionName.ADD_SUBNET_EGRESS_RULES
    grants = EGRESS_GRANTS

    def plan(self, snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
        if "undetermined" in finding.evidence:
            return []  # confirm first; the certain gaps, if any, have their own finding
        group = first_group(snapshot, vpc_id)
        if group is None:
            return []
        missing = subnet_gaps(snapshot).unreached
        cidrs = sorted({str(s["CidrBlock"]) for s in missing.values() if s.get("CidrBlock")})
        ipv6_only = [
            f"{sid} ({subnet_label(s)})" for sid, s in missing.items() if not s.get("CidrBlock")
        ]
        if not cidrs and not ipv6_only:
            return []
        unsafe = [c for c in cidrs if not safe_egress_cidr(c)]
        action = Action(
            self.name,
            finding.check_id,
            vpc_id,
            group,
            cidrs=tuple(c for c in cidrs if safe_egress_cidr(c)),
        )
        refusals = []
        if unsafe:
            refusals.append(f"refused: {', '.join(unsafe)} is not a subnet-sized IPv4 CIDR")
        if ipv6_only:
            refusals.append(
                f"{', '.join(ipv6_only)} has no IPv4 CIDR: add its IPv6 rule by hand "
                "(the finding's command)"
            )
        if refusals:
            return [action.settle(RemediationStatus.SKIPPED, "; ".join(refusals))]
        return [action]

    def missing(
        self,
        context: Context,
        action: Action,
        groups: list[SecurityGroupTypeDef],
        job_groups: list[str],
    ) -> IpPermissionTypeDef | None:
        egress = tcp_egress(groups)
        cidrs = [c for c in action.cidrs if not allows_subnet(egress, c, job_groups)]
        if not cidrs:
            return None
        description = rule_description("traffic between job subnets", context.snapshot.job.job_name)
        return {
            "IpProtocol": "tcp",
            "FromPort": 0,
            "ToPort": 65535,
            "IpRanges": [
                {"CidrIp": c, "Description": description} for c in cidrs if safe_egress_cidr(c)
            ],
        }


UNIT = AddSubnetEgressRules()
