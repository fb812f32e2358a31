"""The IAM actions each remediation action needs (the template grants them in apply mode).

Like the checks' READ_ACTIONS, this is a declaration the template's IAM test compares with
the role: the role may grant exactly these in apply mode, and none of them in report mode.
"""

from __future__ import annotations

WRITE_ACTIONS: dict[str, tuple[str, ...]] = {
    # Tags are set in the create call (TagSpecifications), which needs ec2:CreateTags
    # for that ec2:CreateAction (CreateVpcEndpoint, AuthorizeSecurityGroupEgress).
    "create-s3-gateway-endpoint": ("ec2:CreateVpcEndpoint", "ec2:CreateTags"),
    "add-endpoint-route-tables": ("ec2:ModifyVpcEndpoint",),
    "add-s3-egress-rule": ("ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"),
    "add-subnet-egress-rules": ("ec2:AuthorizeSecurityGroupEgress", "ec2:CreateTags"),
}

# Writes are serialized per VPC with a conditional item in the idempotency table.
LOCK_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
