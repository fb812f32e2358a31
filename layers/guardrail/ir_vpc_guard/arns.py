"""ARNs in the partition of the job's region: one place builds them, so that a job in
`aws-cn` or `aws-us-gov` is never judged against an `arn:aws:` resource."""

from __future__ import annotations

# Region prefixes of the partitions other than `aws` (botocore's endpoints.json, regionRegex).
_PARTITIONS_BY_PREFIX = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
)


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to (`aws` for every commercial region)."""
    return next((p for prefix, p in _PARTITIONS_BY_PREFIX if region.startswith(prefix)), "aws")


def s3_object_arn(partition: str, bucket: str, key: str = "") -> str:
    """`arn:<partition>:s3:::bucket/key`, or the bucket's own ARN when `key` is empty."""
    return f"arn:{partition}:s3:::{bucket}/{key}" if key else f"arn:{partition}:s3:::{bucket}"


def managed_policy_arn(partition: str, name: str) -> str:
    """An AWS-managed policy: only `arn:<partition>:iam::aws:policy/...` is AWS's own."""
    return f"arn:{partition}:iam::aws:policy/{name}"


def ec2_arn(partition: str, region: str, account: str, kind: str, resource_id: str) -> str:
    """`arn:<partition>:ec2:<region>:<account>:<kind>/<id>` (subnet, security-group, ...)."""
    return f"arn:{partition}:ec2:{region}:{account}:{kind}/{resource_id}"


def account_of(arn: str) -> str | None:
    """The account field of an ARN (`arn:p:svc:region:account:...`), if it has one."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else None


def role_arn(partition: str, account: str, name: str) -> str:
    """`arn:<partition>:iam::<account>:role/<name>` (a role of another account, to assume)."""
    return f"arn:{partition}:iam::{account}:role/{name}"
