"""What a workload is: one SageMaker API that runs compute in a customer's VPC, declared as
data (its events, where its request keeps the VPC config and the role, how many instances it
runs at once, which checks apply, its Describe/List/Stop APIs). Each module of
`intake/workloads/` declares one (docs/architecture.md, "Adding a workload")."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ir_vpc_guard.intake.request import TextLimit

# A workload's own JobRequest fields read from its request parameters (either casing); the
# reader appends to `problems` every member present but invalid.
RequestReader = Callable[[Mapping[str, Any], list[str]], dict[str, Any]]

INFERENCE_RECOMMENDER = "inference-recommender"
# Workload.data_path values (docs/workloads.md).
SERVICE_SIDE = "service"
THROUGH_VPC = "vpc"


@dataclass(frozen=True, eq=False, repr=False)
class Workload:
    """One SageMaker job API the guardrail judges.

    Paths are member names as CloudTrail writes them (camelCase); intake matches them in
    either casing, so the Describe API's and the CLI's PascalCase read the same way.
    """

    name: str
    event_names: tuple[str, ...]
    job_name_path: tuple[str, ...]
    job_name: TextLimit
    # The job's ARN in `responseElements` and in the Describe answer.
    job_arn_path: tuple[str, ...]
    job_arn: re.Pattern[str]
    vpc_config_path: tuple[str, ...]
    role_path: tuple[str, ...]
    read: RequestReader
    # R4: private IPs per instance; `efa_ips_per_instance` for the instance types that can
    # use an Elastic Fabric Adapter (whether the job does is not in the request).
    ips_per_instance: int
    # R8: the EC2 actions the execution role must be allowed (a certain miss is HIGH).
    role_actions: tuple[str, ...]
    # The catalogue's checks that do not apply to this workload (yet), and why: the report
    # lists them under notEvaluated with that reason. Every other check applies.
    not_evaluated: Mapping[str, str]
    describe_api: str
    list_api: str
    stop_api: str | None
    efa_ips_per_instance: int | None = None
    efa_instance_types: frozenset[str] = field(default_factory=frozenset)
    # Where the job's S3 reads and writes go: "service" (Inference Recommender: SageMaker
    # reads from outside the VPC, so a VPC-restricted policy refuses it) or "vpc" (through
    # the job's subnets: R3 inverts, the endpoint policy must admit the job's own URIs).
    data_path: str = SERVICE_SIDE

    def ips_for(self, instances: int, groups: tuple[tuple[str, int], ...]) -> tuple[int, int]:
        """The private IPs `instances` certainly need, and the most they may need: each
        instance of an EFA-capable type may take `efa_ips_per_instance` (whether the job
        uses EFA is not in the request), every other one `ips_per_instance`."""
        needed = self.ips_per_instance * instances
        efa = self.efa_ips_per_instance
        if efa is None:
            return needed, needed
        capable = sum(n for t, n in groups if t in self.efa_instance_types)
        return needed, needed + (efa - self.ips_per_instance) * min(capable, instances)
