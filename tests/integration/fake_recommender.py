"""A narrow fake of the Inference Recommender calls the sweep and the job stop make.

moto does not implement ListInferenceRecommendationsJobs, DescribeInferenceRecommendationsJob
or StopInferenceRecommendationsJob (docs/moto.md, "SageMaker"), and its ListTags knows no such job.
These botocore `before-call` hooks answer exactly those operations (ListTags only for a
job ARN of this fake), shaped as the SageMaker API reference documents them (PascalCase,
NextToken pagination, MaxResults ≤ 100); every other call still goes to moto.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ir_vpc_guard_dev.sandbox import World


class _Http:
    status_code = 200


class FakeRecommender:
    """Jobs by name, with the Describe answer each would give."""

    def __init__(self, session: Any) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, list[dict[str, str]]] = {}  # by job ARN
        self.calls: list[str] = []
        self.stop_error: str | None = None  # an error code StopInferenceRecommendationsJob answers
        session.events.register(
            "before-call.sagemaker.ListInferenceRecommendationsJobs", self._list
        )
        session.events.register(
            "before-call.sagemaker.DescribeInferenceRecommendationsJob", self._describe
        )
        session.events.register("before-call.sagemaker.StopInferenceRecommendationsJob", self._stop)
        session.events.register("before-call.sagemaker.ListTags", self._list_tags)

    def add(
        self,
        world: World,
        name: str,
        *,
        status: str = "IN_PROGRESS",
        vpc: bool = True,
        age: timedelta = timedelta(minutes=5),
        tags: dict[str, str] | None = None,
    ) -> str:
        arn = (
            f"arn:aws:sagemaker:{world.region}:{world.account}:inference-recommendations-job/{name}"
        )
        input_config: dict[str, Any] = {
            "ModelPackageVersionArn": world.model_package_arn,
            "JobDurationInSeconds": 7200,
        }
        if vpc:
            input_config["VpcConfig"] = {
                "SecurityGroupIds": list(world.group_ids),
                "Subnets": list(world.subnet_ids),
            }
        self.jobs[name] = {
            "JobName": name,
            "JobDescription": "",
            "JobType": "Default",
            "JobArn": arn,
            "RoleArn": world.role_arn,
            "Status": status,
            "CreationTime": datetime.now(UTC) - age,
            "LastModifiedTime": datetime.now(UTC) - age,
            "InputConfig": input_config,
        }
        self.tags[arn] = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
        return arn

    def _list(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        self.calls.append("ListInferenceRecommendationsJobs")
        request = json.loads(params["body"] or "{}")
        jobs = sorted(self.jobs.values(), key=lambda j: j["CreationTime"])
        if "StatusEquals" in request:
            jobs = [j for j in jobs if j["Status"] == request["StatusEquals"]]
        if "CreationTimeAfter" in request:
            after = datetime.fromtimestamp(float(request["CreationTimeAfter"]), UTC)
            jobs = [j for j in jobs if j["CreationTime"] > after]
        if "LastModifiedTimeAfter" in request:
            after = datetime.fromtimestamp(float(request["LastModifiedTimeAfter"]), UTC)
            jobs = [j for j in jobs if j["LastModifiedTime"] > after]
        start = int(request.get("NextToken", "0"))
        size = min(int(request.get("MaxResults", 100)), 100)
        page = jobs[start : start + size]
        summaries = [
            {
                k: j[k]
                for k in (
                    "JobName",
                    "JobDescription",
                    "JobType",
                    "JobArn",
                    "Status",
                    "CreationTime",
                    "RoleArn",
                    "LastModifiedTime",
                )
            }
            for j in page
        ]
        answer: dict[str, Any] = {"InferenceRecommendationsJobs": summaries}
        if start + size < len(jobs):
            answer["NextToken"] = str(start + size)
        return _Http(), answer

    def _describe(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        self.calls.append("DescribeInferenceRecommendationsJob")
        name = json.loads(params["body"])["JobName"]
        if name not in self.jobs:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFound", "Message": f"Job {name} not found"}},
                "DescribeInferenceRecommendationsJob",
            )
        return _Http(), dict(self.jobs[name])

    def _stop(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        """Stop moves a running job to STOPPING; AWS refuses a job that is not running."""
        self.calls.append("StopInferenceRecommendationsJob")
        name = json.loads(params["body"])["JobName"]
        job = self.jobs.get(name)
        code = self.stop_error or (None if job else "ResourceNotFound")
        if job is not None and job["Status"] not in ("PENDING", "IN_PROGRESS"):
            code = "ValidationException"
        if code is not None:
            raise ClientError(
                {"Error": {"Code": code, "Message": f"cannot stop {name}"}},
                "StopInferenceRecommendationsJob",
            )
        assert job is not None
        job["Status"] = "STOPPING"
        return _Http(), {}

    def _list_tags(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        arn = json.loads(params["body"])["ResourceArn"]
        if arn not in self.tags:
            return None  # not one of these jobs: moto answers
        self.calls.append("ListTags")
        return _Http(), {"Tags": list(self.tags[arn])}
