"""Fault injection with botocore event hooks (docs/moto.md, "Errors and fault injection").

`before-call` hooks fail a call outright (botocore does not retry those); `before-send`
hooks answer with an HTTP error body in the service's own protocol, which botocore's
retry handler sees exactly as it would see AWS's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError, ConnectTimeoutError

# The calls of a full check, by "service.Operation" (SimulatePrincipalPolicy has its own
# test: when it fails, the role check falls back to reading the role's policies).
CALLS = (
    "ec2.DescribeSubnets",
    "ec2.DescribeSecurityGroups",
    "ec2.DescribeNetworkAcls",
    "ec2.DescribePrefixLists",
    "ec2.GetManagedPrefixListEntries",
    "ec2.DescribeVpcs",
    "ec2.DescribeVpcAttribute",
    "ec2.DescribeRouteTables",
    "ec2.DescribeVpcEndpoints",
    "iam.ListRolePolicies",
    "sagemaker.DescribeModelPackage",
    "s3.GetBucketPolicy",
    "ecr.GetRepositoryPolicy",
)


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status


def access_denied(operation: str) -> Callable[..., Any]:
    def hook(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"}}, operation)

    return hook


def server_error(operation: str) -> Callable[..., Any]:
    def hook(**_: Any) -> tuple[Any, dict[str, Any]]:
        return _Http(500), {"Error": {"Code": "InternalError", "Message": "injected 500"}}

    return hook


def timeout(operation: str) -> Callable[..., Any]:
    def hook(**_: Any) -> None:
        raise ConnectTimeoutError(endpoint_url=f"https://{operation}.example")

    return hook


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


_THROTTLE_BODIES = {
    "ec2": (
        b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
        b"exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>",
        {},
    ),
    "iam": (
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
        b"exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        {},
    ),
    "s3": (b"<Error><Code>SlowDown</Code><Message>Slow down</Message></Error>", {}),
    "sagemaker": (
        b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
        {"x-amzn-errortype": "ThrottlingException", "content-type": "application/x-amz-json-1.1"},
    ),
    "ecr": (
        b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
        {"x-amzn-errortype": "ThrottlingException", "content-type": "application/x-amz-json-1.1"},
    ),
}


def throttle(service: str, times: int, seen: list[int]) -> Callable[..., Any]:
    """Answer the first `times` sends with the service's throttling error, then let through."""
    body, headers = _THROTTLE_BODIES[service]
    status = 503 if service == "s3" else 400

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        seen.append(1)
        if len(seen) > times:
            return None
        return AWSResponse(request.url, status, HTTPHeaders.from_dict(headers), _Raw(body))

    return hook
