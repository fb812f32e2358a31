"""CreateEndpoint and UpdateEndpoint (docs/workloads.md): the event names only the endpoint
and its config. The VPC config is the models' ("Give SageMaker AI Hosted Endpoints Access to
Resources in Your Amazon VPC"): `expand` reads DescribeEndpointConfig, then DescribeModel of
each distinct model its instance-based variants name, and makes one view per distinct
(VPC config, role), sized by the variants on it. Serverless variants take no VPC config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ir_vpc_guard.findings import Severity
from ir_vpc_guard.intake.fields import ids, matching, member, positive_int, text
from ir_vpc_guard.intake.request import MODEL_NAME, TextLimit
from ir_vpc_guard.intake.workload import THROUGH_VPC, SageMakerReader, Workload
from ir_vpc_guard.intake.workloads.model import (
    DESCRIBE_MODEL,
    HOSTING_NOT_EVALUATED,
    S3_ONLY,
    describe_model,
    model_data,
)
from ir_vpc_guard.requirements import JOB_ROLE_ACTIONS

# EndpointName, EndpointConfigName, EndpointArn and ProductionVariantList (max 10) of
# botocore's SageMaker model (tests/intake/test_hosting.py asserts they are equal).
ENDPOINT_NAME = TextLimit(
    "EndpointName", re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII), 0, 63
)
CONFIG_NAME = TextLimit(
    "EndpointConfigName", re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", re.ASCII), 0, 63
)
ENDPOINT_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:endpoint/.*")
MAX_VARIANTS = 10
DESCRIBE_ENDPOINT_CONFIG = "sagemaker:DescribeEndpointConfig"
RETAINED = "at least 1 (RetainAllVariantProperties keeps the endpoint's current count)"
# The endpoint config's own VpcConfig when every variant's model names its own: no variant
# is placed in it for certain (which one SageMaker uses is not documented).
OWN_ONLY = "none for certain: every variant's model names its own VpcConfig"
# The members of a view that are not the API's: what `read` takes into the JobRequest.
VIEW = "guardView"


@dataclass
class _View:
    """One VPC config and role of the endpoint, the variants whose instances it hosts, and
    their models' containers (by model name), whose data is loaded through it."""

    vpc_config: Mapping[str, Any]
    role: object
    instances: int = 0
    hosts: list[str] = field(default_factory=list)
    containers: dict[str, Mapping[str, Any]] = field(default_factory=dict)


SUBNETS = ", subnets "  # in a definition: the subnets of the VPC config it judges


def endpoint_part(config: str) -> str:
    """The part an endpoint's report is about, by its endpoint config: the report's
    `job.definition` starts with it, and the endpoint's state change names the config, so
    its end is compared with the prediction for that config (outcomes/state_change.py)."""
    return f"endpoint config {config}"


def endpoint_scope(definition: str) -> str:
    """The endpoint config part of a report's `job.definition` (`endpoint config <name>`,
    without the `, subnets ...` that tells its VPC configs apart): what its end is judged on."""
    return definition.partition(SUBNETS)[0]


def expand(params: Mapping[str, Any], sagemaker: SageMakerReader) -> Sequence[Mapping[str, Any]]:
    """One view per distinct (VPC config, role) of the endpoint config's instance-based
    variants (production and shadow), plus the config's own VpcConfig when it sets one.
    A model without a VpcConfig hosts outside any VPC: no view."""
    config_name = matching(member(params, "endpointConfigName"), CONFIG_NAME)
    if config_name is None:
        return []
    config = sagemaker().describe_endpoint_config(EndpointConfigName=config_name)
    variants = [
        v
        for listed in (config.get("ProductionVariants"), config.get("ShadowProductionVariants"))
        for v in (listed or [])[:MAX_VARIANTS]
        if not v.get("ServerlessConfig")  # serverless takes no VPC config: 0 instances
    ]
    names = dict.fromkeys(
        n for v in variants if (n := matching(v.get("ModelName"), MODEL_NAME)) is not None
    )
    models = {name: describe_model(sagemaker, name) for name in names}
    own_vpc, own_role = config.get("VpcConfig") or None, config.get("ExecutionRoleArn")
    # UpdateEndpoint may keep the endpoint's current instance counts, which the config
    # does not hold: then only each variant's one instance is certain.
    retained = member(params, "retainAllVariantProperties") is True
    views: dict[tuple[object, ...], _View] = {}
    if own_vpc is not None:
        _view(views, own_vpc, own_role)
    for variant in variants:
        model: Mapping[str, Any] = models.get(str(variant.get("ModelName")), {})
        # (An empty VpcConfig is none: moto answers one for a model created without.)
        vpc_config, source = model.get("VpcConfig") or None, f"model {variant.get('ModelName')}"
        role = model.get("ExecutionRoleArn") or own_role
        if vpc_config is None:  # a model-less variant (inference components), or no VPC:
            # the config's own VpcConfig, with the config's role when it names one
            vpc_config, source = own_vpc, f"endpoint config {config_name}"
            role = own_role or role
        if vpc_config is None:
            continue
        count, basis = (1, RETAINED) if retained else _instances(variant)
        view = _view(views, vpc_config, role)
        view.instances += count
        view.hosts.append(f"variant {variant.get('VariantName')}: {basis} on {source}")
        if model:
            view.containers[str(variant.get("ModelName"))] = {
                "primaryContainer": model.get("PrimaryContainer"),
                "containers": model.get("Containers"),
            }
    return [_as_request(params, view, list(views.values())) for view in views.values()]


def _view(views: dict[tuple[object, ...], _View], vpc_config: object, role: object) -> _View:
    """The view of this VPC config and role, made on first use."""
    config = vpc_config if isinstance(vpc_config, Mapping) else {}
    key = (*_vpc_key(vpc_config), role if isinstance(role, str) else None)
    return views.setdefault(key, _View(config, role))


def _vpc_key(vpc_config: object) -> tuple[frozenset[str], frozenset[str]]:
    """A VPC config as its sets of subnets and groups (the order means nothing)."""
    return (
        frozenset(ids(member(vpc_config, "subnets"))),
        frozenset(ids(member(vpc_config, "securityGroupIds"))),
    )


def _instances(variant: Mapping[str, Any]) -> tuple[int, str]:
    """The instances a variant may run at once: its managed scaling maximum when enabled,
    else its initial count (at least 1 when the config states none)."""
    scaling = variant.get("ManagedInstanceScaling") or {}
    maximum = positive_int(scaling.get("MaxInstanceCount"))
    if scaling.get("Status") == "ENABLED" and maximum is not None:
        return maximum, f"{maximum} (ManagedInstanceScaling.MaxInstanceCount)"
    initial = positive_int(variant.get("InitialInstanceCount"))
    if initial is None:
        return 1, "at least 1 (no InitialInstanceCount)"
    return initial, f"{initial} (InitialInstanceCount)"


def _as_request(params: Mapping[str, Any], view: _View, views: list[_View]) -> dict[str, Any]:
    """The view as a request the workload's paths read: the endpoint's name, the view's VPC
    config and role, and (under VIEW) its instances and the endpoint's other VPC configs."""
    mine = _vpc_key(view.vpc_config)
    others = dict.fromkeys(_described(o) for o in views if _vpc_key(o.vpc_config) != mine)
    return {
        "endpointName": member(params, "endpointName"),
        "endpointConfigName": member(params, "endpointConfigName"),
        "vpcConfig": view.vpc_config,
        "executionRoleArn": view.role,
        VIEW: {
            "instances": view.instances,
            "basis": "; ".join(view.hosts) or OWN_ONLY,
            "others": list(others),
            "models": list(view.containers.values()),
        },
    }


def _described(view: _View) -> str:
    subnets, groups = _vpc_key(view.vpc_config)
    where = "; ".join(view.hosts) or "the endpoint config's own VpcConfig"
    return (
        f"subnets {', '.join(sorted(subnets))}, security groups {', '.join(sorted(groups))} "
        f"({where})"
    )


def read(params: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    """The instances the view's variants run at once, the endpoint's other VPC configs, and
    which part of the endpoint this job is (`definition`): its endpoint config (an
    UpdateEndpoint's new one is a new check, not a repeat), and the view's subnets when the
    endpoint has several VPC configs (each its own report, claim and Security Hub finding);
    the S3 URIs of its models' data."""
    view = member(params, VIEW)
    count = member(view, "instances")
    others = member(view, "others")
    models = member(view, "models")
    reads = [
        uri
        for model in (models if isinstance(models, list) else [])
        for uri in model_data(model, problems)
    ]
    config = matching(member(params, "endpointConfigName"), CONFIG_NAME)
    part = endpoint_part(config) if config else "endpoint config unknown"
    if isinstance(others, list) and others:
        subnets = sorted(ids(member(member(params, "vpcConfig"), "subnets")))
        part += f"{SUBNETS}{','.join(subnets)}"
    return {
        "definition": part,
        "instance_count": count if isinstance(count, int) and count >= 0 else 0,
        "instance_basis": text(member(view, "basis")) or "",
        "other_vpc_configs": tuple(o for o in others if isinstance(o, str))
        if isinstance(others, list)
        else (),
        "s3_reads": tuple(dict.fromkeys(reads)),
    }


UNIT = Workload(
    name="endpoint",
    event_names=("CreateEndpoint", "UpdateEndpoint"),
    job_name_path=("endpointName",),
    job_name=ENDPOINT_NAME,
    job_arn_path=("endpointArn",),
    job_arn=ENDPOINT_ARN,
    vpc_config_path=("vpcConfig",),
    role_path=("executionRoleArn",),
    read=read,
    ips_per_instance=2,
    role_actions=JOB_ROLE_ACTIONS,
    not_evaluated={
        **HOSTING_NOT_EVALUATED,
        "SG_EGRESS_SUBNETS_MISSING": S3_ONLY,
        "NACL_BLOCKS_SUBNETS": S3_ONLY,
    },
    describe_api="DescribeEndpoint",
    list_api="ListEndpoints",
    stop_api=None,  # an endpoint is never stopped or deleted: reported only
    expand=expand,
    expand_actions=(DESCRIBE_ENDPOINT_CONFIG, DESCRIBE_MODEL),
    role_unproven_actions=("ec2:DescribeVpcEndpoints",),
    one_az_severity=Severity.HIGH,
    data_path=THROUGH_VPC,
)
