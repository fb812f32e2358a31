"""The real Lambda handler outside Lambda, for the tests and the demo (one copy of each): a
context with what the handler and Powertools read, and a fresh import of the handler's
module (a cold start: its app is built at import, from the environment)."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ir_vpc_guard.arns import partition_of

ROOT = Path(__file__).resolve().parents[2]
HANDLER = ROOT / "functions" / "guardrail" / "app.py"
MODULE = "guardrail_app"
SERVICE = "ir-vpc-guard"  # the Powertools logger's name, as the handler makes it
ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION = "ir-vpc-guard"
# What Lambda and the template set that the handler reads at import (settings aside).
FUNCTION_ENV = {
    "AWS_REGION": REGION,
    "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
    "POWERTOOLS_SERVICE_NAME": SERVICE,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "IrVpcGuard",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


@dataclass
class FakeContext:
    """What the handler and Powertools read from a LambdaContext."""

    account: str = ACCOUNT
    region: str = REGION
    remaining_ms: int = 300_000
    function_name: str = FUNCTION
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = f"/aws/lambda/{FUNCTION}"
    log_stream_name: str = "2026/11/24/[$LATEST]0123456789abcdef"

    @property
    def invoked_function_arn(self) -> str:
        partition = partition_of(self.region)
        return f"arn:{partition}:lambda:{self.region}:{self.account}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def load_handler(
    register: Callable[[str, ModuleType], object] = sys.modules.__setitem__,
) -> ModuleType:
    """Import functions/guardrail/app.py afresh, with the environment as it is now.

    Call it inside a moto mock: the module makes its clients at import. In a process whose
    Powertools logger is already set up, the module's logger writes where that one does.
    `register` puts the module in sys.modules (a test passes one that is undone after it).
    """
    spec = importlib.util.spec_from_file_location(MODULE, HANDLER)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(HANDLER)
    module = importlib.util.module_from_spec(spec)
    register(MODULE, module)
    spec.loader.exec_module(module)
    return module
