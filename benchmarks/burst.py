"""Table 7: a burst of training-job events, most of them children of one tuning job, at the
template's default reserved concurrency.

1,000 CreateTrainingJob events (990 made by SageMaker for one tuning job, 10 by users)
follow the tuning job's own event. Each of N workers (N = the template's
ReservedConcurrency default, the function's ReservedConcurrentExecutions) is one Lambda
instance: its own app, built as the cold start builds it, taking one event at a time, as
Lambda runs N instances at most. The world (moto, in process) has no S3 path, so every
job judged fails: the tuning job's two definitions and the users' jobs are published, the
children are skipped with their parent's name. An invocation that raised would be retried
and end in the DLQ: the table counts them.

The children are sent as API calls, the worst case: CloudTrail records a tuning job's
training jobs as service events, which the rule does not match (docs/event.md).
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import queue
import statistics
import threading
import time
import uuid
import warnings
from collections import Counter
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from moto import mock_aws
from moto.backends import get_backend

from benchmarks.tables import Table
from ir_vpc_guard.application import SERVICE, App, build_app
from ir_vpc_guard.observability import make_tracer
from ir_vpc_guard.settings import Settings
from ir_vpc_guard_dev.lambda_runtime import FUNCTION_ENV, FakeContext
from ir_vpc_guard_dev.sandbox import World, build_world, create_table
from tests.conftest import load_event
from tests.template.cfn import load

CHILDREN = 990
OWN_JOBS = 10
TUNING_JOB = "burst-tuning-job"
TARGET_SECONDS = 60.0


def reserved_concurrency() -> int:
    """The function's ReservedConcurrentExecutions as the template deploys it by default."""
    template = load()
    function = template["Resources"]["GuardrailFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    return int(template["Parameters"]["ReservedConcurrency"]["Default"])


def _ids(event: dict[str, Any], n: int) -> None:
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"burst/{n}"))
    event["id"] = event["detail"]["eventID"] = event_id


def _training(world: World, n: int, name: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("training_job"))
    event["account"], event["region"] = world.account, world.region
    _ids(event, n)
    params = event["detail"]["requestParameters"]
    params["trainingJobName"] = name
    params["roleArn"] = world.role_arn
    params["vpcConfig"] = {"subnets": list(world.subnet_ids), "securityGroupIds": world.group_ids}
    event["detail"]["responseElements"]["trainingJobArn"] = (
        f"arn:aws:sagemaker:{world.region}:{world.account}:training-job/{name}"
    )
    return event


def burst_events(world: World) -> list[dict[str, Any]]:
    """The tuning job's event, then its children with the users' jobs among them."""
    parent = f"arn:aws:sagemaker:{world.region}:{world.account}:hyper-parameter-tuning-job/"
    parent += TUNING_JOB
    tuning = load_event("tuning_job")
    tuning["account"], tuning["region"] = world.account, world.region
    _ids(tuning, 0)
    params = tuning["detail"]["requestParameters"]
    params["hyperParameterTuningJobName"] = TUNING_JOB
    for definition in params["trainingJobDefinitions"]:
        definition["roleArn"] = world.role_arn
        definition["vpcConfig"] = {
            "subnets": list(world.subnet_ids),
            "securityGroupIds": world.group_ids,
        }
    tuning["detail"]["responseElements"]["hyperParameterTuningJobArn"] = parent
    events = [tuning]
    every = CHILDREN // OWN_JOBS
    for i in range(CHILDREN):
        child = _training(world, 1 + i, f"{TUNING_JOB}-{i:03d}-4f2a9c1e")
        child["detail"]["userIdentity"] = {
            "type": "AWSService",
            "invokedBy": "sagemaker.amazonaws.com",
        }
        child["detail"]["requestParameters"]["tuningJobArn"] = parent
        events.append(child)
        if i % every == every - 1:
            n = CHILDREN + 1 + i // every
            events.append(_training(world, n, f"team-job-{n}"))
    return events


def published(topic_arn: str) -> int:
    """The messages SNS accepted on the topic (moto's record of every publish)."""
    _, _, _, region, account, _ = topic_arn.split(":")
    return len(get_backend("sns")[account][region].topics[topic_arn].sent_notifications)


def _deploy(env: dict[str, str]) -> App:
    """One Lambda instance's app, as application.cold_start builds it, but with metrics of
    its own: Powertools keeps one metric set per process, and each Lambda instance is a
    process of its own, where these workers are threads of one."""
    os.environ.update({**FUNCTION_ENV, **env})
    return build_app(
        Settings.from_env(),
        boto3.session.Session(),
        home_region=os.environ["AWS_REGION"],
        logger=Logger(service=SERVICE),
        metrics=Metrics(provider=AmazonCloudWatchEMFProvider(service=SERVICE)),
        tracer=make_tracer(SERVICE),
    )


def run_burst(workers: int) -> dict[str, Any]:
    """The burst through `workers` apps; what came out of it."""
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        world = build_world(session, with_endpoint=False)
        topic = session.client("sns").create_topic(Name="ir-vpc-guard-findings")["TopicArn"]
        table = create_table(session, "ir-vpc-guard-idempotency")
        events = burst_events(world)
        saved = dict(os.environ)
        env = {"TOPIC_ARN": topic, "IDEMPOTENCY_TABLE": table, "POWERTOOLS_LOG_LEVEL": "WARNING"}
        # Log lines and EMF blobs go to a buffer: 1,000 invocations' worth of stdout.
        # Powertools warns on every invocation that adds no metric (a skipped event's).
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                apps = [_deploy(env) for _ in range(workers)]
                result = _drain(apps, events)
            finally:
                os.environ.clear()
                os.environ.update(saved)
        result["published"] = published(topic)
        return result


def _drain(apps: list[App], events: list[dict[str, Any]]) -> dict[str, Any]:
    pending: queue.Queue[dict[str, Any]] = queue.Queue()
    for event in events:
        pending.put(event)
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    raised: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def work(app: App) -> None:
        while True:
            try:
                event = pending.get_nowait()
            except queue.Empty:
                return
            began = time.perf_counter()
            try:
                answer = app.lambda_handler(event, FakeContext())
            except Exception as error:  # an invocation that raises: retried, then the DLQ
                with lock:
                    raised.append(f"{type(error).__name__}: {error}"[:300])
                continue
            reports = answer.get("reports") or [answer]
            with lock:
                outcomes.update(r["outcome"] for r in reports)
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=work, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "events": len(events),
        "seconds": time.perf_counter() - started,
        "outcomes": outcomes,
        "latencies": sorted(latencies),
        "raised": raised,
    }


def burst_table() -> Table:
    workers = reserved_concurrency()
    result = run_burst(workers)
    latencies = result["latencies"]
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result["outcomes"].items()))
    table = Table(
        f"7. Burst: {result['events']:,} events ({CHILDREN} children of one tuning job) at "
        f"the default reserved concurrency ({workers})",
        ["Measure", "Value"],
    )
    table.add(
        f"events: 1 tuning job (2 definitions), {CHILDREN} children, {OWN_JOBS} users' jobs",
        f"{result['events']:,}",
    )
    table.add("workers (ReservedConcurrency default)", workers)
    table.add("until every event is checked", f"{result['seconds']:.1f} s")
    table.add(
        "per invocation: median / p99",
        f"{statistics.median(latencies) * 1000:.0f} / {p99 * 1000:.0f} ms" if latencies else "-",
    )
    table.add("reports by outcome", outcomes)
    table.add("invocations that raised (the DLQ)", len(result["raised"]))
    table.add("SNS messages published", result["published"])
    table.add("one alert per job would have published", CHILDREN + OWN_JOBS + 2)
    ok = not result["raised"] and result["seconds"] <= TARGET_SECONDS
    table.verdict = (
        f"{'target met' if ok else 'target NOT met'}: {result['events']:,} events checked in "
        f"{result['seconds']:.0f} s (<= {TARGET_SECONDS:.0f} s), {len(result['raised'])} to "
        f"the DLQ, {result['published']} SNS messages (the tuning job's 2 definitions and "
        f"{OWN_JOBS} users' jobs; its {CHILDREN} children none)"
    )
    table.notes += [
        "moto in process: the workers share one interpreter (GIL) and the emulator's CPU, so "
        "the time is an upper bound of what N Lambda instances take.",
        "Children are sent as API calls made by the SageMaker service (userIdentity "
        "AWSService, tuningJobArn), the worst case: CloudTrail records a tuning job's "
        "training jobs as service events, which the rule does not match.",
        "Skipped events are not published (NOTIFY_ON=findings, the default); each still "
        "passes through the idempotency table once.",
    ]
    return table


if __name__ == "__main__":
    from benchmarks.harness import use_fake_aws_env

    use_fake_aws_env()
    print(burst_table().render())
