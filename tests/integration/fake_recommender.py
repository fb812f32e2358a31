"""A narrow fake of the two Inference Recommender calls the sweep makes.

moto does not implement ListInferenceRecommendationsJobs or
DescribeInferenceRecommendationsJob (MOTO_NOTES §9). These botocore `before-call` hooks
answer exactly those two operations, shaped as the SageMaker API reference documents them
(PascalCase, NextToken pagination, MaxResults ≤ 100); every other call still goes to moto.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ir_vpc_guard.sandbox import World


class _Http:
    status_code = 200


class FakeRecommender:
    """Jobs by name, with the Describe answer each would give."""

    def __init__(self, session: Any) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        session.events.register(
            "before-call.sagemaker.ListInferenceRecommendationsJobs", self._list
        )
        session.events.register(
            "before-call.sagemaker.DescribeInferenceRecommendationsJob", self._describe
        )

    def add(
        self,
        world: World,
        name: str,
        *,
        status: str = "IN_PROGRESS",
        vpc: bool = True,
        age: timedelta = timedelta(minutes=5),
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
