"""Jobs reported in parts (a tuning job's training definitions, an endpoint's configs): each
part's prediction reaches the job's record, so the job's end is compared with what the
guardrail said of it, not taken for a job it never saw; an endpoint is judged per config.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.sagemaker.models import sagemaker_backends

from ir_vpc_guard.findings import Finding, Outcome, Severity
from ir_vpc_guard.outcomes.state_change import Skip, parse
from ir_vpc_guard_dev.lambda_runtime import FakeContext
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import REGION, load_event
from tests.integration.fake_recommender import FakeRecommender
from tests.integration.running_jobs import IMAGE
from tests.integration.test_handler_sweep import SCHEDULE
from tests.integration.test_tuning import definitions, other_vpc, tuning_event
from tests.outcomes.conftest import ACCOUNT, TRAINING_ARN, Loop, high, job_report
from tests.outcomes.test_handler import S3_FAILURE, Deployed, deploy_with, published

ENDPOINT_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/demo-endpoint"
TUNING_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/demo-tuning-job"


def ended_tuning(account: str, status: str, reason: str | None = None) -> dict[str, Any]:
    """SageMaker's tuning state change (the sample's shape) for demo-tuning-job."""
    event = load_event("state_change_tuning_stopped")
    event["account"] = account
    arn = f"arn:aws:sagemaker:{REGION}:{account}:hyper-parameter-tuning-job/demo-tuning-job"
    event["detail"].update(HyperParameterTuningJobArn=arn, HyperParameterTuningJobStatus=status)
    event["resources"] = [arn]
    if reason:
        event["detail"]["FailureReason"] = reason
    return event


def ended_endpoint(config: str, status: str, reason: str | None = None) -> dict[str, Any]:
    event = load_event("state_change_endpoint_failed")
    event["detail"].update(EndpointConfigName=config, EndpointStatus=status)
    event["detail"].pop("FailureReason")
    if reason:
        event["detail"]["FailureReason"] = reason
    return event


def tuning_with_one_doomed_definition(aws: Any, world: World, monkeypatch: Any) -> Deployed:
    """The tuning sample through the handler: xgboost-small PASS; xgboost-distributed, in a
    VPC with no S3 path, FAIL (one of two definitions: it need not end the tuning job)."""
    event = tuning_event(world)
    definitions(event)[1]["vpcConfig"] = other_vpc(aws)
    deployed = deploy_with(monkeypatch, aws)
    answer = deployed.app.lambda_handler(event, FakeContext())
    assert [(r["outcome"], r["job"].get("partOfSeveral")) for r in answer["reports"]] == [
        ("PASS", True),
        ("FAIL", True),
    ]
    deployed.inbox.envelopes()
    return deployed


def test_a_tuning_job_failing_for_its_doomed_definitions_reason_is_confirmed(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = tuning_with_one_doomed_definition(aws, world, monkeypatch)
    answer = deployed.app.lambda_handler(
        ended_tuning(world.account, "Failed", S3_FAILURE), FakeContext()
    )
    assert answer["verdict"] == "confirmed"  # before: no prediction found, "not-checked"
    assert published(deployed.inbox) == []


def test_a_tuning_job_that_completed_despite_one_doomed_definition_is_no_false_alarm(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = tuning_with_one_doomed_definition(aws, world, monkeypatch)
    answer = deployed.app.lambda_handler(ended_tuning(world.account, "Completed"), FakeContext())
    assert answer["verdict"] == "inconclusive"
    assert "the others may have completed the job" in answer["why"]
    assert published(deployed.inbox) == []  # no VERDICT_FALSE_ALARM for a part


def test_a_tuning_job_reported_by_its_event_is_not_reported_again_by_the_sweep(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = tuning_with_one_doomed_definition(aws, world, monkeypatch)
    # The sweep lists jobs by ARN: the job's own record says its parts were reported.
    assert deployed.app.records.seen([TUNING_ARN.replace(ACCOUNT, world.account)]) == {
        TUNING_ARN.replace(ACCOUNT, world.account)
    }


def test_a_single_definition_tuning_job_that_completed_is_a_false_alarm(loop: Loop) -> None:
    loop.deliverer.deliver(
        job_report(TUNING_ARN, high(), workload="tuning", definition="xgboost-small")
    )
    answer = loop.outcomes.on_event(ended_tuning(ACCOUNT, "Completed"))
    assert answer["verdict"] == "false-alarm"


def test_an_endpoint_is_judged_per_config_create_then_update(loop: Loop) -> None:
    first, second = "endpoint config config-a", "endpoint config config-b"
    loop.deliverer.deliver(
        job_report(
            ENDPOINT_ARN,
            high("ENDPOINT_SUBNETS_ONE_AZ"),
            name="demo-endpoint",
            workload="endpoint",
            definition=first,
        )
    )
    reason = "Unable to locate at least 2 availability zone(s) with the requested instance type"
    failed = loop.outcomes.on_event(ended_endpoint("config-a", "FAILED", reason))
    assert failed["verdict"] == "confirmed"
    # UpdateEndpoint to a config whose models pass: its own end is its own verdict, not a
    # repeat of the first, and not judged against config-a's HIGH.
    loop.deliverer.deliver(
        job_report(
            ENDPOINT_ARN,
            name="demo-endpoint",
            workload="endpoint",
            definition=second + ", subnets subnet-1,subnet-2",
        )
    )
    served = loop.outcomes.on_event(ended_endpoint("config-b", "IN_SERVICE"))
    assert served["verdict"] == "consistent"
    again = loop.outcomes.on_event(ended_endpoint("config-b", "InService"))
    assert again["repeat"] is True


def test_an_endpoint_back_in_service_after_a_failed_update_is_not_judged() -> None:
    event = ended_endpoint("config-a", "IN_SERVICE", "The primary container did not pass ping")
    ended = parse(event)
    assert isinstance(ended, Skip) and "rolled back" in ended.reason


def test_a_tuning_jobs_training_job_ending_is_no_missed_event(loop: Loop) -> None:
    event = load_event("state_change_training_failed")
    event["detail"]["TuningJobArn"] = TUNING_ARN
    answer = loop.outcomes.on_event(event)
    assert "judged with its tuning job" in answer["skipped"]  # before: "not-checked"
    assert loop.verdict_metrics() == []
    assert loop.item(TRAINING_ARN) == {}


def test_the_record_keeps_each_parts_prediction_beside_the_others(loop: Loop) -> None:
    for definition, findings in (("a", (high("S3_ENDPOINT_MISSING"),)), ("b", ())):
        loop.deliverer.deliver(
            job_report(
                TUNING_ARN,
                *findings,
                workload="tuning",
                definition=definition,
                part_of_several=True,
            )
        )
    item = loop.item(TUNING_ARN)
    assert sorted(k for k in item if k.startswith("prediction")) == [
        "prediction#a",
        "prediction#b",
    ]
    prediction = loop.records.prediction(TUNING_ARN)
    assert prediction is not None
    assert (prediction.outcome, prediction.certain_high, prediction.part_high) == (
        "FAIL",
        (),
        ("S3_ENDPOINT_MISSING",),
    )
    assert json.dumps(item).count("S3_ENDPOINT_MISSING") == 1  # small: a check ID per part


def test_a_miss_on_a_check_left_undetermined_says_it_was_flagged(loop: Loop) -> None:
    medium = Finding(
        "SUBNET_IP_CAPACITY", Severity.MEDIUM, "SUBNET_IP_CAPACITY", "undetermined", ("subnet-1",)
    )
    loop.deliverer.deliver(job_report(TRAINING_ARN, medium, outcome=Outcome.WARN))
    event = load_event("state_change_training_failed")
    event["detail"]["FailureReason"] = "InsufficientFreeAddressesInSubnet: no free addresses"
    answer = loop.outcomes.on_event(event)
    assert answer["verdict"] == "missed"
    assert "left undetermined (MEDIUM: SUBNET_IP_CAPACITY)" in answer["why"]
    messages = [json.loads(e["Message"]) for e in loop.inbox.envelopes()]
    [finding] = [f for m in messages for f in m["findings"] if f["checkId"] == "VERDICT_MISSED"]
    assert "the guardrail said WARN (SUBNET_IP_CAPACITY undetermined)" in finding["detail"]
    assert finding["evidence"]["guardrail"]["undeterminedChecks"] == ["SUBNET_IP_CAPACITY"]


def test_an_endpoint_deployed_again_with_the_same_config_is_a_new_report_and_verdict(
    loop: Loop,
) -> None:
    # DeleteEndpoint, then CreateEndpoint with the same name and config (a pipeline's
    # redeploy): the new deployment is no repeat, and its end is judged on its own report.
    config = "endpoint config config-a"
    first = job_report(
        ENDPOINT_ARN,
        high("ENDPOINT_SUBNETS_ONE_AZ"),
        name="demo-endpoint",
        workload="endpoint",
        definition=config,
    )
    loop.deliverer.deliver(first)
    reason = "Unable to locate at least 2 availability zone(s) with the requested instance type"
    assert loop.outcomes.on_event(ended_endpoint("config-a", "FAILED", reason))["verdict"] == (
        "confirmed"
    )
    again = job_report(ENDPOINT_ARN, name="demo-endpoint", workload="endpoint", definition=config)
    delivered = loop.deliverer.deliver(again)
    assert "repeat" not in delivered
    answer = loop.outcomes.on_event(ended_endpoint("config-a", "IN_SERVICE"))
    assert answer["verdict"] == "consistent"  # its own PASS, not the first one's HIGH


def test_a_job_the_sweep_skipped_has_no_verdict(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A training job outside any VPC, found by the sweep (found by review): skipped, its
    # record keeps the next sweep off it, and its end is not compared, never "inconclusive".
    sagemaker = aws.client("sagemaker", region_name=world.region)
    arn = sagemaker.create_training_job(
        TrainingJobName="no-vpc-job",
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=world.role_arn,
        OutputDataConfig={"S3OutputPath": "s3://demo-training-data/output/"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )["TrainingJobArn"]
    backend = sagemaker_backends[world.account][world.region]
    backend.training_jobs["no-vpc-job"].training_job_status = "InProgress"
    deployed = deploy_with(monkeypatch, aws)
    FakeRecommender(deployed.app.session)
    schedule = dict(SCHEDULE, account=world.account, region=world.region)
    swept = deployed.app.lambda_handler(schedule, FakeContext())
    assert swept["skipped"] and not swept["checked"]
    event = load_event("state_change_training_completed")
    event["account"], event["region"], event["resources"] = world.account, world.region, [arn]
    event["detail"].update(TrainingJobArn=arn, TrainingJobName="no-vpc-job")
    answer = deployed.app.lambda_handler(event, FakeContext())
    assert "skipped this job" in answer["skipped"]  # before: "inconclusive", counted
    assert deployed.app.records.unjudged([arn]) == set()  # no Describe for it either


def test_a_tuning_job_completed_with_no_training_job_completed_proves_nothing(
    loop: Loop,
) -> None:
    # A certain HIGH on its one definition, and the tuning job "Completed" while its event
    # counts no completed training job (TrainingJobStatusCounters): no false alarm.
    loop.deliverer.deliver(
        job_report(TUNING_ARN, high(), workload="tuning", definition="xgboost-small")
    )
    event = ended_tuning(ACCOUNT, "Completed")
    event["detail"]["TrainingJobStatusCounters"] = {"Completed": 0, "NonRetryableError": 3}
    answer = loop.outcomes.on_event(event)
    assert answer["skipped"] == "the tuning job completed with no training job completed"
    event["detail"]["TrainingJobStatusCounters"]["Completed"] = 1
    assert loop.outcomes.on_event(event)["verdict"] == "false-alarm"
