"""add-s3-egress-rule: HTTPS to the region's S3 prefix list on the job's first group of its
own VPC (never a CIDR instead)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ir_vpc_guard.checks.network import allows_s3, tcp_egress
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding
from ir_vpc_guard.remediation.actions import Action, rule_description
from ir_vpc_guard.remediation.fix import Context
from ir_vpc_guard.remediation.tracks.security_group import EGRESS_GRANTS, EgressRuleFix, first_group
from ir_vpc_guard.requirements import HTTPS_PORT

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import IpPermissionTypeDef, SecurityGroupTypeDef


class AddS3EgressRule(EgressRuleFix):
    name = ActionName.ADD_S3_EGRESS_RULE
    grants = EGRESS_GRANTS

    def plan(self, snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
        group = first_group(snapshot, vpc_id)
        if group is None:
            return []
        prefix_list = snapshot.s3_prefix_list.get()
        return [
            Action(
                self.name,
                finding.check_id,
                vpc_id,
                group,
                prefix_list_id=prefix_list.prefix_list_id,
            )
        ]

    def missing(
        self,
        context: Context,
        action: Action,
        groups: list[SecurityGroupTypeDef],
        job_groups: list[str],
    ) -> IpPermissionTypeDef | None:
        prefix_list = context.snapshot.s3_prefix_list.get()
        if allows_s3(tcp_egress(groups), prefix_list.prefix_list_id, prefix_list.cidrs):
            return None
        if action.prefix_list_id is None:  # the planner names it; never a CIDR instead
            raise ValueError("an S3 egress action without the region's S3 prefix list")
        description = rule_description("HTTPS to S3", context.snapshot.job.job_name)
        return {
            "IpProtocol": "tcp",
            "FromPort": HTTPS_PORT,
            "ToPort": HTTPS_PORT,
            "PrefixListIds": [{"PrefixListId": action.prefix_list_id, "Description": description}],
        }


UNIT = AddS3EgressRule()
