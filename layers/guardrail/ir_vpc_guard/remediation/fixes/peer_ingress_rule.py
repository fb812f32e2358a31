"""add-peer-ingress-rule: the inbound rule a distributed job's instances need, on the job's
first group of its own VPC: all traffic from that same group, and nothing wider (never a CIDR,
never another group). Planned from SG_PEER_TRAFFIC_BLOCKED's inbound findings only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_vpc_guard.checks.network import INGRESS, all_traffic, rules_allowing
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding
from ir_vpc_guard.remediation.actions import Action, rule_description
from ir_vpc_guard.remediation.fix import Context
from ir_vpc_guard.remediation.tracks.security_group import (
    INGRESS_GRANTS,
    IngressRuleFix,
    first_group,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import IpPermissionTypeDef, SecurityGroupTypeDef


class AddPeerIngressRule(IngressRuleFix):
    name = ActionName.ADD_PEER_INGRESS_RULE
    grants = INGRESS_GRANTS

    def plan(self, snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
        if finding.evidence.get("direction") != "inbound":
            return []  # an outbound gap is not this rule's to close
        group = first_group(snapshot, vpc_id)
        if group is None:
            return []
        return [Action(self.name, finding.check_id, vpc_id, group)]

    def missing(
        self,
        context: Context,
        action: Action,
        groups: list[SecurityGroupTypeDef],
        job_groups: list[str],
    ) -> IpPermissionTypeDef | None:
        admitted = rules_allowing(groups, INGRESS, all_traffic).to_groups
        if any(g in admitted for g in job_groups):
            return None  # all traffic from a group every peer carries: nothing to add
        description = rule_description("its own instances", context.snapshot.job.job_name)
        return {
            "IpProtocol": "-1",
            "UserIdGroupPairs": [{"GroupId": action.resource, "Description": description}],
        }


UNIT = AddPeerIngressRule()
