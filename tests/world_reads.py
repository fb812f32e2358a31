"""What tests read back from a sandbox world after the engine ran."""

from __future__ import annotations

from typing import Any

from ir_vpc_guard_dev.sandbox import World


def live_endpoints(session: Any, world: World) -> list[dict[str, Any]]:
    """The world VPC's endpoints that are not deleted (moto keeps deleted ones listed)."""
    answer = session.client("ec2").describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [world.vpc_id]}]
    )
    return [e for e in answer["VpcEndpoints"] if e["State"].lower() != "deleted"]
