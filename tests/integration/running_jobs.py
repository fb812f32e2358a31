"""Training and processing jobs running on moto, for the sweep and the stop.

moto implements Create/Describe/List of both and StopProcessingJob, but (docs/moto.md,
"SageMaker"): a job is "Completed" the moment it is created, so it is put back "InProgress"
on moto's backend as a running job is on AWS; moto's processing job drops the request's
ProcessingResources, so the backend gets them back (AWS's Describe answers them); and moto has
no StopTrainingJob, so `FakeTrainingStop` answers that one call (status "Stopping", as AWS).
"""

from __future__ import annotations

import json
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from ir_vpc_guard_dev.sandbox import World

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def _backend(world: World) -> Any:
    return sagemaker_backends[world.account][world.region]


def run_processing_job(
    session: Any, world: World, name: str, *, instances: int = 2, vpc: bool = True
) -> str:
    """A processing job in progress in `world`'s subnets and group; its ARN."""
    resources = {
        "ClusterConfig": {
            "InstanceCount": instances,
            "InstanceType": "ml.m5.xlarge",
            "VolumeSizeInGB": 30,
        }
    }
    network = {"VpcConfig": {"Subnets": world.subnet_ids, "SecurityGroupIds": world.group_ids}}
    arn: str = session.client("sagemaker", region_name=world.region).create_processing_job(
        ProcessingJobName=name,
        ProcessingResources=resources,
        AppSpecification={"ImageUri": IMAGE},
        RoleArn=world.role_arn,
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        **({"NetworkConfig": network} if vpc else {}),
    )["ProcessingJobArn"]
    job = _backend(world).processing_jobs[name]
    job.processing_job_status = "InProgress"
    job.processing_resources = resources
    return arn


def run_training_job(session: Any, world: World, name: str, *, instances: int = 2) -> str:
    """A training job in progress in `world`'s subnets and group, its output bucket made in
    the world's account; its ARN."""
    s3 = session.client("s3", region_name=world.region)
    if "demo-training-data" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        where = (
            {}
            if world.region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": world.region}}
        )
        s3.create_bucket(Bucket="demo-training-data", **where)
    arn: str = session.client("sagemaker", region_name=world.region).create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=world.role_arn,
        OutputDataConfig={"S3OutputPath": "s3://demo-training-data/output/"},
        ResourceConfig={
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": instances,
            "VolumeSizeInGB": 30,
        },
        VpcConfig={"Subnets": world.subnet_ids, "SecurityGroupIds": world.group_ids},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )["TrainingJobArn"]
    _backend(world).training_jobs[name].training_job_status = "InProgress"
    return arn


def status(world: World, kind: str, name: str) -> str:
    """A job's status on moto's backend (`kind`: training or processing)."""
    job = getattr(_backend(world), f"{kind}_jobs")[name]
    value: str = getattr(job, f"{kind}_job_status")
    return value


class FakeTrainingStop:
    """StopTrainingJob, which moto lacks, on `session`'s clients: the job goes "Stopping"."""

    def __init__(self, session: Any, world: World) -> None:
        self.world = world
        self.stopped: list[str] = []
        session.events.register("before-call.sagemaker.StopTrainingJob", self._stop)

    def _stop(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        name = json.loads(params["body"])["TrainingJobName"]
        _backend(self.world).training_jobs[name].training_job_status = "Stopping"
        self.stopped.append(name)
        return _Http(), {}


class _Http:
    status_code = 200
