"""ARNs in the partition of the job's region: one place builds them, so that a job in
`aws-cn`, `aws-us-gov`, `aws-eusc` or an `aws-iso*` partition is never judged against an
`arn:aws:` resource.

Partitions come from botocore's own data (`partitions.json`, the table its endpoint rules
resolve regions with), never from a list here: a newer botocore brings its new partitions.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.loaders import create_loader

# Lower-case ASCII words joined by dashes: botocore's region patterns use `\w` and `$`,
# which would also let through other letters and a trailing newline.
_REGION_SHAPE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+", re.ASCII)


@cache
def _partitions() -> tuple[dict[str, Any], ...]:
    """botocore's partitions, in its order (the first is the SDK's default)."""
    return tuple(create_loader().load_data("partitions")["partitions"])


def _partition_of_known(region: str) -> dict[str, Any] | None:
    """The partition that lists `region` or whose region pattern it matches, as the SDK's
    endpoint rules decide (`aws.partition`)."""
    return next(
        (
            p
            for p in _partitions()
            if region in p.get("regions", {}) or re.match(p["regionRegex"], region)
        ),
        None,
    )


def is_region(text: str) -> bool:
    """True for a region name some partition of botocore's data holds (event validation)."""
    return bool(_REGION_SHAPE.fullmatch(text)) and _partition_of_known(text) is not None


def partitions() -> tuple[str, ...]:
    """The partition names botocore knows (`aws`, `aws-cn`, ...)."""
    return tuple(str(p["id"]) for p in _partitions())


def partition_of(region: str) -> str:
    """The ARN partition a region belongs to; a region botocore does not place is in its
    default partition (`aws`), as the SDK resolves it."""
    return str((_partition_of_known(region) or _partitions()[0])["id"])


def dns_suffix(region: str) -> str:
    """The DNS suffix of the region's partition (`amazonaws.com`, `amazonaws.eu`, ...)."""
    return str((_partition_of_known(region) or _partitions()[0])["outputs"]["dnsSuffix"])


def dns_suffixes() -> frozenset[str]:
    """The partitions' DNS suffixes (`amazonaws.com`, `amazonaws.com.cn`, `amazonaws.eu`, ...):
    the domains AWS's service hosts (an ECR registry's, say) end with."""
    return frozenset(str(p["outputs"]["dnsSuffix"]) for p in _partitions())


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
