"""A narrow fake of what moto's DescribeEndpointConfig leaves out.

moto (5.2.5) stores an endpoint config's ProductionVariants but drops the members of
CreateEndpointConfig it does not know: ShadowProductionVariants, VpcConfig and
ExecutionRoleArn (docs/moto.md, "SageMaker"). These hooks record them from the test's
CreateEndpointConfig calls and put them back into DescribeEndpointConfig's answer, as the
SageMaker API reference documents it; every other member is moto's, and every other call
goes to moto.
"""

from __future__ import annotations

import copy
from typing import Any

DROPPED = ("ShadowProductionVariants", "VpcConfig", "ExecutionRoleArn")


class FakeEndpointConfigs:
    """Records the dropped members of configs created through `creator` (a session's or a
    client's `events`) and adds them to the answers of the clients whose `events` `reader`
    is (the function's own clients)."""

    def __init__(self, creator: Any) -> None:
        self.kept: dict[str, dict[str, Any]] = {}
        creator.register("provide-client-params.sagemaker.CreateEndpointConfig", self._record)

    def answer_through(self, reader: Any) -> None:
        reader.register("after-call.sagemaker.DescribeEndpointConfig", self._amend)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        dropped = {k: copy.deepcopy(params[k]) for k in DROPPED if k in params}
        self.kept[params["EndpointConfigName"]] = dropped

    def _amend(self, parsed: dict[str, Any], **_: Any) -> None:
        parsed.update(copy.deepcopy(self.kept.get(parsed.get("EndpointConfigName", ""), {})))
