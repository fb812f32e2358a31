"""The loop closed on moto: a job is checked and delivered (its record keeps the
prediction), then SageMaker's state-change event says how it ended. What the operator sees:
the verdict's log line and metrics, and for a miss or a false alarm a report on the topic."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ir_vpc_guard.findings import ActionName, RemediationStatus
from ir_vpc_guard.outcomes.compare import VERDICT_FALSE_ALARM, VERDICT_MISSED
from ir_vpc_guard.remediation.actions import Action
from tests.conftest import REGION, load_event
from tests.outcomes.conftest import ACCOUNT, TRAINING_ARN, Loop, high, job_report
from tests.report_schema import validate_report

ENDPOINT_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/demo-endpoint"


def published(loop: Loop) -> list[dict[str, Any]]:
    return [json.loads(e["Message"]) for e in loop.inbox.envelopes()]


def verdict_lines(loop: Loop) -> list[dict[str, Any]]:
    return [line for line in loop.lines() if line["message"] == "verdict"]


def test_a_certain_high_and_the_matching_failure_is_confirmed(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, high("S3_ENDPOINT_MISSING")))
    loop.inbox.envelopes()  # the job's own report
    loop.capsys.readouterr()
    answer = loop.outcomes.on_event(load_event("state_change_training_failed"))
    assert answer["verdict"] == "confirmed"
    assert published(loop) == []  # a confirmation is counted, not mailed
    [line] = verdict_lines(loop)
    assert (line["verdict"], line["checks"], line["reasonPattern"]) == (
        "confirmed",
        ["S3_ENDPOINT_MISSING"],
        "s3-path-training",
    )
    assert loop.verdict_metrics() == [
        {"service": "ir-vpc-guard", "Verdict": "confirmed"},
        {"service": "ir-vpc-guard", "Verdict": "confirmed", "CheckId": "S3_ENDPOINT_MISSING"},
    ]


def test_a_pass_and_a_network_failure_is_a_missed_finding_on_the_topic(loop: Loop) -> None:
    loop.deliverer.deliver(job_report())
    loop.inbox.envelopes()
    loop.capsys.readouterr()
    loop.outcomes.on_event(load_event("state_change_training_failed"))
    [report] = published(loop)
    validate_report(report)  # a report like any other: the same schema
    assert report["outcome"] == "WARN"
    assert report["job"] == {
        "name": "demo-training-job",
        "arn": TRAINING_ARN,
        "workload": "training",
    }
    [finding] = report["findings"]
    assert finding["checkId"] == VERDICT_MISSED
    assert "the guardrail said PASS" in finding["detail"]
    assert "SageMaker said Failed: ClientError: Artifact upload failed" in finding["detail"]
    assert "Report it to the IR VPC Guard maintainers" in finding["detail"]
    assert finding["evidence"]["sagemaker"]["class"] == "network"
    assert "S3_ENDPOINT_MISSING" in finding["evidence"]["checks"]
    metrics = loop.verdict_metrics()
    assert {"service": "ir-vpc-guard", "Verdict": "missed"} in metrics
    assert {
        "service": "ir-vpc-guard",
        "Verdict": "missed",
        "CheckId": "S3_ENDPOINT_MISSING",
    } in metrics


def test_a_certain_high_on_a_job_that_completed_is_a_false_alarm_finding(loop: Loop) -> None:
    loop.deliverer.deliver(job_report(TRAINING_ARN, high("SUBNET_IP_CAPACITY")))
    loop.inbox.envelopes()
    loop.outcomes.on_event(load_event("state_change_training_completed"))
    [report] = published(loop)
    validate_report(report)
    [finding] = report["findings"]
    assert finding["checkId"] == VERDICT_FALSE_ALARM
    assert (
        "the guardrail said FAIL (SUBNET_IP_CAPACITY); SageMaker said Completed"
        in (finding["detail"])
    )
    assert finding["evidence"]["checks"] == ["SUBNET_IP_CAPACITY"]


def test_a_pass_and_a_completed_job_is_consistent_and_quiet(loop: Loop) -> None:
    loop.deliverer.deliver(job_report())
    loop.inbox.envelopes()
    loop.capsys.readouterr()
    assert loop.outcomes.on_event(load_event("state_change_training_completed"))["verdict"] == (
        "consistent"
    )
    assert published(loop) == []
    assert loop.verdict_metrics() == [{"service": "ir-vpc-guard", "Verdict": "consistent"}]


def test_a_job_the_guardrail_stopped_says_there_is_nothing_to_compare(loop: Loop) -> None:
    stop = Action(
        ActionName.STOP_JOB,
        "S3_ENDPOINT_MISSING",
        "vpc-1",
        TRAINING_ARN,
        status=RemediationStatus.APPLIED,
    )
    loop.deliverer.deliver(replace(job_report(TRAINING_ARN, high()), actions=[stop]))
    loop.inbox.envelopes()
    event = load_event("state_change_training_failed")
    event["detail"]["TrainingJobStatus"] = "Stopped"
    answer = loop.outcomes.on_event(event)
    assert (answer["verdict"], answer["why"]) == (
        "stopped",
        "the guardrail stopped it: no outcome to compare",
    )
    assert published(loop) == []


def test_a_repeated_state_change_is_judged_once(loop: Loop) -> None:
    loop.deliverer.deliver(job_report())
    loop.inbox.envelopes()
    event = load_event("state_change_training_failed")
    loop.outcomes.on_event(event)
    assert len(published(loop)) == 1  # the missed verdict's report
    loop.capsys.readouterr()
    assert loop.outcomes.on_event(event) == {"repeat": True, "job": TRAINING_ARN}
    assert published(loop) == []
    assert loop.verdict_metrics() == []


def test_a_vpc_job_the_guardrail_never_saw_is_counted_as_a_missed_event(loop: Loop) -> None:
    answer = loop.outcomes.on_event(load_event("state_change_training_failed"))
    assert answer["verdict"] == "not-checked"
    assert loop.verdict_metrics() == [{"service": "ir-vpc-guard", "Verdict": "not-checked"}]
    assert published(loop) == []
    assert loop.item(TRAINING_ARN) == {}  # nothing written for a job never checked


def test_an_unrecorded_job_whose_event_shows_no_vpc_is_not_counted(loop: Loop) -> None:
    answer = loop.outcomes.on_event(load_event("state_change_transform_completed"))
    assert answer["skipped"] == "no record, and the event does not show a VPC config"
    assert loop.verdict_metrics() == []


def test_an_endpoint_that_failed_for_one_az_confirms_the_az_check(loop: Loop) -> None:
    report = job_report(
        ENDPOINT_ARN,
        high("ENDPOINT_SUBNETS_ONE_AZ"),
        name="demo-endpoint",
        workload="endpoint",
        definition="endpoint config demo-endpoint-config",
    )
    loop.deliverer.deliver(report)
    answer = loop.outcomes.on_event(load_event("state_change_endpoint_failed"))
    assert answer["verdict"] == "confirmed"


def test_a_malformed_event_is_skipped_with_its_reason(loop: Loop) -> None:
    event = load_event("state_change_training_failed")
    event["detail"]["TrainingJobArn"] = "arn:aws:sagemaker:us-east-1:123456789012:training-job/x y"
    answer = loop.outcomes.on_event(event)
    assert "is not a training-job ARN" in answer["skipped"]
    [line] = [line for line in loop.lines() if line["message"] == "state change not compared"]
    assert "ARN" in line["reason"]


def test_the_verdict_line_never_carries_the_failure_text(loop: Loop) -> None:
    loop.deliverer.deliver(job_report())
    loop.outcomes.on_event(load_event("state_change_processing_failed"))
    [line] = verdict_lines(loop)
    assert "s3://" not in json.dumps(line)
    assert line["reasonClass"] == "network"


def test_a_workload_the_guardrail_does_not_check_is_no_missed_event(loop: Loop) -> None:
    only_training = replace(loop.outcomes, workloads=frozenset({"training"}))
    answer = only_training.on_event(load_event("state_change_processing_failed"))
    assert answer["skipped"] == "the guardrail does not check processing jobs (WORKLOADS)"
    assert loop.verdict_metrics() == []
    assert only_training.on_event(load_event("state_change_training_failed"))["verdict"] == (
        "not-checked"
    )


def test_a_verdict_whose_report_cannot_be_published_is_judged_again_on_retry(
    loop: Loop,
) -> None:
    loop.deliverer.deliver(job_report())
    sns = loop.deliverer.channels[0].sns  # type: ignore[attr-defined]

    def down(**_: object) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "no"}}, "Publish")

    sns.meta.events.register("before-call.sns.Publish", down)
    event = load_event("state_change_training_failed")
    loop.capsys.readouterr()
    with pytest.raises(ClientError, match="InternalError"):
        loop.outcomes.on_event(event)
    assert "verdict" not in loop.item(TRAINING_ARN)
    assert loop.verdict_metrics() == []  # counted once, when delivered
    sns.meta.events.unregister("before-call.sns.Publish", down)
    assert loop.outcomes.on_event(event)["finding"] == VERDICT_MISSED  # the retry
    [report] = published(loop)
    assert report["findings"][0]["checkId"] == VERDICT_MISSED
