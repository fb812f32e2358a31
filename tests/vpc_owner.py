"""The other account of the shared-VPC tests: the VPC's owner, whose subnets the job's
account uses through AWS RAM.

moto holds every account in one backend: credentials from `sts.assume_role` on a role ARN
of another account act in that account, which is how these tests reach the owner's."""

from __future__ import annotations

from typing import Any

import boto3

from tests.conftest import REGION

OWNER = "111111111111"
READ_ROLE = "ir-vpc-guard-owner-read"


def owner_session(aws: Any) -> Any:
    """A session acting in the owner's account, to build (or look at) its network."""
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{OWNER}:role/network-admin", RoleSessionName="build"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
