"""What a workload is: one SageMaker API that runs compute in a customer's VPC, declared as
data (its events, where its request keeps the VPC config and the role, how many instances it
runs at once, which checks apply, its Describe/List/Stop APIs). Each module of
`intake/workloads/` declares one (docs/architecture.md, "Adding a workload")."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.request import TextLimit

if TYPE_CHECKING:  # boto3-stubs: a development dependency
    from mypy_boto3_sagemaker import SageMakerClient

# A workload's own JobRequest fields read from its request parameters (either casing); the
# reader appends to `problems` every member present but invalid.
RequestReader = Callable[[Mapping[str, Any], list[str]], dict[str, Any]]
# The SageMaker client of the job's region, made only when a workload reads with it.
SageMakerReader = Callable[[], "SageMakerClient"]
# A request that holds several jobs' VPC configs, or none of its own: the views of it, one
# per job, each read by the workload's paths (a tuning job's training definitions; an
# endpoint's models, read with DescribeEndpointConfig and DescribeModel). A failed read
# raises botocore's error: the pipeline reports it as a CHECK_ERROR, never a pass.
RequestExpander = Callable[[Mapping[str, Any], SageMakerReader], Sequence[Mapping[str, Any]]]

INFERENCE_RECOMMENDER = "inference-recommender"
# Workload.data_path values (docs/workloads.md).
SERVICE_SIDE = "service"
THROUGH_VPC = "vpc"


@dataclass(frozen=True)
class PeerProfile:
    """R7 between the instances of one job (docs/workloads.md, "Distributed jobs"): what AWS
    documents for the workload. Every workload with one needs its groups to admit their own
    members inbound; the rest says what more, and how sure a gap is."""

    source: str  # the AWS page that states the rule
    # "Inbound and outbound connections ... across all ports" (batch transform): a certain
    # gap in either direction is HIGH.
    all_traffic: bool = False
    # EFA-capable instance types need all traffic in and out; whether the job uses EFA is not
    # in the request, so a gap is MEDIUM.
    efa: bool = False
    # The severity of a certain gap in the UDP 500 and ESP rules inter-container traffic
    # encryption needs (None: the workload has no such flag).
    encryption: Severity | None = None


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
    # None: the request is one job, its VPC config where `vpc_config_path` says.
    expand: RequestExpander | None = None
    # The IAM actions `expand` calls on the event path (the template grants exactly these).
    expand_actions: tuple[str, ...] = ()
    # R8: actions AWS lists for this workload's role whose need is unproven (AWS's managed
    # policy grants them; no failure without them is documented): a miss is MEDIUM.
    role_unproven_actions: tuple[str, ...] = ()
    # R2, hosting: "at least two subnets in different availability zones": how sure a
    # one-AZ VPC config fails (None: AWS states no such rule for this workload).
    one_az_severity: Severity | None = None
    # R8 for workloads whose page forbids scoping the role's grants (processing): AWS's
    # sentence, named by a MEDIUM when the actions are granted only under a Condition or on
    # a Resource other than "*" (checks/identity.py).
    unscoped_role_rule: str | None = None
    # The sweep and the stop (sweep.py, intake/sagemaker_jobs.py, remediation/fixes/stop_job.py):
    # the List answer's member holding the job summaries (empty: never swept); the statuses
    # of a running job (each listed with StatusEquals; the stop acts only in these); the
    # Describe answer's status member; the job ARN's resource type (the template's grants).
    # The summaries, the Describe and Stop calls name the job by `job_name_path`'s member and
    # carry its ARN at `job_arn_path`'s, in PascalCase.
    list_summaries: str = ""
    active_statuses: tuple[str, ...] = ()
    status_member: str = ""
    arn_resource: str = ""
    # The stop's restartCommand: the Describe answer's members the create call takes back,
    # and whether to drop the null ones (the CLI refuses a null member; optional members of
    # the create call are absent from some answers).
    restart_members: tuple[str, ...] = ()
    restart_drops_nulls: bool = False
    # The CLI's pre-flight `check --workload`: where the request states how many instances
    # run and of which type (empty: the workload takes no --instance-count/--instance-type).
    instance_count_path: tuple[str, ...] = ()
    instance_type_path: tuple[str, ...] = ()

    # R7 between the job's own instances (None: the workload documents no peer traffic).
    peers: PeerProfile | None = None
    # R2: "you can configure only subnets with a default tenancy VPC" (training, compilation).
    default_tenancy_only: bool = False

    @property
    def name_member(self) -> str:
        """The job name's member in the Describe, List and Stop APIs (PascalCase)."""
        last = self.job_name_path[-1]
        return last[:1].upper() + last[1:]

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
