"""The only place that makes boto3 clients: one session, one retry policy, set once."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

# Throttling is retried with backoff inside a bounded budget; everything else fails fast
# and becomes a CHECK_ERROR finding.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=5,
    read_timeout=10,
    max_pool_connections=16,
)


class AwsClients:
    """Lazily created, thread-safe boto3 clients for one region."""

    def __init__(self, region: str, session: Any = None, config: Config = RETRY_CONFIG) -> None:
        self.region = region
        self._session = session or boto3.session.Session()
        self._config = config
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        # Sessions are not thread-safe: create clients under a lock; clients themselves are.
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service, region_name=self.region, config=self._config
                )
            return self._clients[service]

    def assumed(self, role_arn: str, session_name: str) -> AwsClients:
        """Clients of the same region acting as `role_arn` (another account's role), with
        the credentials of one STS AssumeRole call (valid for its default hour)."""
        answer = self.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)
        credentials = answer["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return AwsClients(self.region, session=session, config=self._config)

    @property
    def ec2(self) -> Any:
        return self.client("ec2")

    @property
    def iam(self) -> Any:
        return self.client("iam")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def ecr(self) -> Any:
        return self.client("ecr")

    @property
    def sagemaker(self) -> Any:
        return self.client("sagemaker")
