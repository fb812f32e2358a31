"""The only place that makes boto3 clients: one session, one retry policy, set once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import boto3
from botocore.config import Config

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never imported at run time
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_sts import STSClient

C = TypeVar("C")

# Throttling is retried with backoff inside a bounded budget; everything else fails fast
# and becomes a CHECK_ERROR finding.
RETRY_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=5,
    read_timeout=10,
    max_pool_connections=16,
)


class _Client(Generic[C]):
    """One service's client of an AwsClients, named by the attribute that holds it: made on
    first use, then kept. The attribute's annotation gives the client its boto3-stubs type."""

    def __set_name__(self, owner: type[AwsClients], name: str) -> None:
        self.service = name

    def __get__(self, clients: AwsClients, owner: type[AwsClients]) -> C:
        client: C = clients._client(self.service)
        return client


class AwsClients:
    """Lazily created, thread-safe boto3 clients for one region."""

    dynamodb: _Client[DynamoDBClient] = _Client()
    ec2: _Client[EC2Client] = _Client()
    ecr: _Client[ECRClient] = _Client()
    iam: _Client[IAMClient] = _Client()
    s3: _Client[S3Client] = _Client()
    sagemaker: _Client[SageMakerClient] = _Client()
    securityhub: _Client[SecurityHubClient] = _Client()
    sns: _Client[SNSClient] = _Client()
    ssm: _Client[SSMClient] = _Client()
    sts: _Client[STSClient] = _Client()

    def __init__(
        self,
        region: str,
        session: boto3.session.Session | None = None,
        config: Config = RETRY_CONFIG,
    ) -> None:
        self.region = region
        self._session = session or boto3.session.Session()
        self._config = config
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        # Sessions are not thread-safe: create clients under a lock; clients themselves are.
        with self._lock:
            if service not in self._clients:
                make: Callable[..., Any] = self._session.client
                self._clients[service] = make(service, region_name=self.region, config=self._config)
            return self._clients[service]

    def assumed(self, role_arn: str, session_name: str) -> AwsClients:
        """Clients of the same region acting as `role_arn` (another account's role), with
        the credentials of one STS AssumeRole call (valid for its default hour)."""
        answer = self.sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)
        credentials = answer["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        return AwsClients(self.region, session=session, config=self._config)
