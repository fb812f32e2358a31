"""Leases in the guardrail's DynamoDB table: an item whose `expiration` says until when it
holds. Job records and VPC locks are both leases; DynamoDB's TTL deletes them lazily, so
every reader and writer also compares `expiration` with the time itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_dynamodb import DynamoDBClient

TAKEN = "ConditionalCheckFailedException"


def take(
    dynamodb: DynamoDBClient, table: str, item: dict[str, Any], now: int, seconds: int
) -> bool:
    """Write `item` (with its `owner`) for `seconds` unless another owner's lease holds.

    When the answer to our own write was lost and botocore retried it, the item found is
    ours: that is a success, not a lease held by someone else.
    """
    try:
        dynamodb.put_item(
            TableName=table,
            Item={**item, "expiration": {"N": str(now + seconds)}},
            ConditionExpression="attribute_not_exists(id) OR expiration < :now",
            ExpressionAttributeValues={":now": {"N": str(now)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == TAKEN:
            answer: Mapping[str, Any] = error.response  # ALL_OLD adds the item held
            held_by = answer.get("Item", {}).get("owner")
            return held_by is not None and held_by == item.get("owner")
        raise
    return True


def drop(dynamodb: DynamoDBClient, table: str, key: dict[str, Any], owner: dict[str, str]) -> None:
    """Delete the lease only if it is still ours (it may have lapsed and been retaken)."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key=key,
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": owner},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != TAKEN:
            raise
