"""The IAM actions each remediation action needs (the template grants them in apply mode).

Like the checks' READ_ACTIONS, this is a declaration the template's IAM test compares with
the role: the role may grant exactly these in apply mode, and none of them in report mode.
"""

from __future__ import annotations

from ir_vpc_guard.findings import ActionName

WRITE_ACTIONS: dict[ActionName, tuple[str, ...]] = {
    # Tags are set in the create call (TagSpecifications), which needs ec2:CreateTags
    # for that ec2:CreateAction (CreateVpcEndpoint, AuthorizeSecurityGroupEgress).
    ActionName.CREATE_S3_GATEWAY_ENDPOINT: ("ec2:CreateVpcEndpoint", "ec2:CreateTags"),
    ActionName.ADD_ENDPOINT_ROUTE_TABLES: ("ec2:ModifyVpcEndpoint",),
    ActionName.ADD_S3_EGRESS_RULE: ("ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"),
    ActionName.ADD_SUBNET_EGRESS_RULES: ("ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"),
}

# Writes are serialized per VPC with a conditional item in the idempotency table.
LOCK_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
