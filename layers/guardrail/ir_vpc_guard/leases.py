"""Leases in the guardrail's DynamoDB table: an item whose `expiration` says until when it
holds. Job records and VPC locks are both leases; DynamoDB's TTL deletes them lazily, so
every reader and writer also compares `expiration` with the time itself."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

TAKEN = "ConditionalCheckFailedException"


def take(dynamodb: Any, table: str, item: dict[str, Any], now: int, seconds: int) -> bool:
    """Write `item` for `seconds` unless a lease on its key still holds; False if one does."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={**item, "expiration": {"N": str(now + seconds)}},
            ConditionExpression="attribute_not_exists(id) OR expiration < :now",
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == TAKEN:
            return False
        raise
    return True
