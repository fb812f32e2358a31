"""CreateHyperParameterTuningJob (docs/workloads.md): one job per training definition, each
with its own VPC config, role and instances; at once, MaxParallelTrainingJobs training jobs
of that definition's size. Each definition is judged as a training job ("Give SageMaker AI
Training Jobs Access to Resources in Your Amazon VPC"): 2 IPs an instance, 5 with EFA."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ir_vpc_guard.intake.fields import at, matching, member, positive_int, text
from ir_vpc_guard.intake.request import TextLimit
from ir_vpc_guard.intake.workload import SageMakerReader, Workload
from ir_vpc_guard.intake.workloads import training

# HyperParameterTuningJobName, the definitions list (HyperParameterTrainingJobDefinitions),
# HyperParameterTrainingJobDefinitionName and HyperParameterTuningInstanceConfigs of
# botocore's SageMaker model (tests/intake/test_workloads.py asserts they are equal).
JOB_NAME = TextLimit(
    "HyperParameterTuningJobName", re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", re.ASCII), 1, 32
)
DEFINITION_NAME = TextLimit(
    "HyperParameterTrainingJobDefinitionName",
    re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}", re.ASCII),
    1,
    64,
)
# The model's pattern ends in `.*`; the name part here is a tuning job's name.
JOB_ARN = re.compile(
    r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:hyper-parameter-tuning-job/"
    r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}"
)
MAX_DEFINITIONS = 10
MAX_INSTANCE_CONFIGS = 6

# Members of a definition's view that intake adds (CloudTrail's casing): the tuning job's
# name and config, where the definition sits in the request, and definitions dropped.
NAME, CONFIG, POSITION, DROPPED, SHARED_BY = (
    "hyperParameterTuningJobName",
    "hyperParameterTuningJobConfig",
    "definitionPosition",
    "definitionsDropped",
    "definitionsSharingParallelJobs",
)


# CreateHyperParameterTuningJob's members a DescribeHyperParameterTuningJob answer gives back
# (the stop's restartCommand re-creates the job with them).
RESTART_MEMBERS = (
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobConfig",
    "TrainingJobDefinition",
    "TrainingJobDefinitions",
    "WarmStartConfig",
    "Autotune",
)


def expand(params: Mapping[str, Any], _sagemaker: SageMakerReader) -> Sequence[Mapping[str, Any]]:
    """One view per training definition that runs in a VPC: the definition's own members,
    with the tuning job's name and config beside them, read by this workload's paths like
    a training job's request. Definitions without a VPC config run outside any VPC."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    single = member(params, "trainingJobDefinition")
    if isinstance(single, Mapping):
        found.append(("TrainingJobDefinition", single))
    listed = member(params, "trainingJobDefinitions")
    listed = listed if isinstance(listed, list) else []
    found += [
        (f"TrainingJobDefinitions[{i}]", d)
        for i, d in enumerate(listed[:MAX_DEFINITIONS])
        if isinstance(d, Mapping)
    ]
    dropped = max(len(listed) - MAX_DEFINITIONS, 0)
    shared = {NAME: member(params, NAME), CONFIG: member(params, CONFIG), SHARED_BY: len(found)}
    own = {k.lower() for k in (NAME, CONFIG, POSITION, DROPPED, SHARED_BY)}
    return [
        {
            **{k: v for k, v in d.items() if not (isinstance(k, str) and k.lower() in own)},
            **shared,
            POSITION: position,
            DROPPED: dropped,
        }
        for position, d in found
        if member(d, "vpcConfig") is not None
    ]


def read(view: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """A training job's members, read as training reads them (its flags, e.g. traffic
    encryption), with the definition's name and its instances at once: MaxParallelTrainingJobs
    (at most MaxNumberOfTrainingJobs) training jobs of this definition's size."""
    definition = _definition(view, problems)
    tuned = member(view, "hyperParameterTuningResourceConfig")
    if isinstance(tuned, Mapping):
        # Its size is HyperParameterTuningResourceConfig's: training's ResourceConfig reader
        # is given one instance, then overridden, so only the other members come from it.
        fields = training.read({**view, "resourceConfig": {"instanceCount": 1}}, problems)
        per_job, fewest, groups, basis = _tuned(tuned, problems)
    else:
        fields = training.read(view, problems)
        per_job, groups, basis = (
            fields["instance_count"],
            fields["instance_groups"],
            fields["instance_basis"],
        )
        fewest = per_job
    limits = at(view, (CONFIG, "resourceLimits"))
    parallel = positive_int(member(limits, "maxParallelTrainingJobs"))
    total = positive_int(member(limits, "maxNumberOfTrainingJobs"))
    if parallel is None:
        problems.append(f"{CONFIG}.resourceLimits.maxParallelTrainingJobs is missing or invalid")
        parallel, said = 1, "MaxParallelTrainingJobs unread: at least 1"
    elif total is not None and total < parallel:
        parallel, said = total, "MaxNumberOfTrainingJobs, below MaxParallelTrainingJobs"
    else:
        said = "MaxParallelTrainingJobs"
    # Several definitions share the parallel training jobs: how many run this one is the
    # tuning strategy's choice, so only one of its training jobs is certain (docs/workloads.md).
    mixed = (positive_int(member(view, SHARED_BY)) or 1) > 1
    jobs = f"at most {parallel}" if mixed else f"{parallel}"
    return {
        **fields,
        "instance_count": parallel * per_job,
        "instance_groups": tuple((t, n * parallel) for t, n in groups),
        "instance_basis": f"{jobs} training jobs at once ({said}"
        + (", shared by the request's definitions" if mixed else "")
        + f") x {basis} of {definition} ({per_job})",
        "definition": definition,
        # Certain: one training job of the fewest instances its alternatives run when the
        # definitions share the parallel jobs, else that many training jobs of them.
        "certain_instances": (fewest if mixed else parallel * fewest)
        if mixed or fewest != per_job
        else None,
        # Parallel training jobs do not talk to each other: the peers are one job's, and
        # only the fewest of its alternative instance configs is certain.
        "peer_instances": fewest,
        "part_of_several": mixed,
    }


def _definition(view: Mapping[str, Any], problems: list[str]) -> str:
    """The definition's DefinitionName, else where it sits in the request."""
    dropped = positive_int(member(view, DROPPED))
    if dropped:
        problems.append(
            f"trainingJobDefinitions holds {MAX_DEFINITIONS + dropped} definitions, more than "
            f"the API's {MAX_DEFINITIONS}: only the first {MAX_DEFINITIONS} are checked"
        )
    name = matching(member(view, "definitionName"), DEFINITION_NAME)
    return name or text(member(view, POSITION)) or "TrainingJobDefinition"


def _tuned(
    tuned: Mapping[str, Any], problems: list[str]
) -> tuple[int, int, tuple[tuple[str, int], ...], str]:
    """One training job's instances by HyperParameterTuningResourceConfig: its InstanceCount,
    or the largest InstanceConfigs[] count (the types it lists are alternatives: each of them
    may be the one that runs), and the fewest any of them runs (the certain count)."""
    count = positive_int(member(tuned, "instanceCount"))
    instance_type = text(member(tuned, "instanceType"))
    if count is not None:
        one = ((instance_type, count),) if instance_type else ()
        return count, count, one, "HyperParameterTuningResourceConfig.InstanceCount"
    configs = member(tuned, "instanceConfigs")
    sized = [
        (text(member(c, "instanceType")), positive_int(member(c, "instanceCount")))
        for c in (configs[:MAX_INSTANCE_CONFIGS] if isinstance(configs, list) else [])
        if isinstance(c, Mapping)
    ]
    counts = [n for _, n in sized if n]
    if not counts:
        problems.append("hyperParameterTuningResourceConfig.instanceCount is missing or invalid")
        return 1, 1, (), "at least 1 instance (HyperParameterTuningResourceConfig unread)"
    groups = tuple((t, n) for t, n in sized if t and n)
    return (
        max(counts),
        min(counts),
        groups,
        "the largest HyperParameterTuningResourceConfig.InstanceConfigs[] count",
    )


UNIT = Workload(
    name="tuning",
    event_names=("CreateHyperParameterTuningJob",),
    job_name_path=(NAME,),
    job_name=JOB_NAME,
    job_arn_path=("hyperParameterTuningJobArn",),
    job_arn=JOB_ARN,
    vpc_config_path=("vpcConfig",),
    role_path=("roleArn",),
    read=read,
    ips_per_instance=training.UNIT.ips_per_instance,
    efa_ips_per_instance=training.UNIT.efa_ips_per_instance,
    efa_instance_types=training.EFA_INSTANCE_TYPES,
    role_actions=training.UNIT.role_actions,
    not_evaluated=training.UNIT.not_evaluated,
    describe_api="DescribeHyperParameterTuningJob",
    list_api="ListHyperParameterTuningJobs",
    stop_api="StopHyperParameterTuningJob",
    expand=expand,
    list_summaries="HyperParameterTuningJobSummaries",
    active_statuses=("InProgress",),
    status_member="HyperParameterTuningJobStatus",
    arn_resource="hyper-parameter-tuning-job",
    restart_members=RESTART_MEMBERS,
    restart_drops_nulls=True,
    peers=training.PEERS,
    default_tenancy_only=True,
    data_path=training.UNIT.data_path,
)
