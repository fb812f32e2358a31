"""A check proven wrong in this account (a false alarm recorded, state/false_alarms.py) is no
certainty that holds: a stop resting only on such checks is held back, SKIPPED with why,
and the finding stays HIGH; a stop with another certain check still stops, on that one.

The pipeline on moto (a training job running, its ACL blocking S3: never fixed by the
guardrail), with moto's missing StopTrainingJob answered by FakeTrainingStop."""

from __future__ import annotations

from typing import Any

import boto3

from ir_vpc_guard.findings import Mode, RemediationStatus
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.false_alarms import MemoryFalseAlarms
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import REGION
from tests.integration.calls import clients_factory
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.running_jobs import FakeTrainingStop, run_training_job
from tests.integration.test_one_break_at_a_time import nacl_denies_https_out
from tests.integration.test_training import training_event
from tests.remediation.test_stopping import SageMaker, decide, finding
from tests.report_schema import validate_report

STOPS = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)
EARLIER = f"arn:aws:sagemaker:{REGION}:123456789012:training-job/earlier-job"


def checked(world: World, memory: MemoryFalseAlarms) -> tuple[dict[str, Any], list[str]]:
    """The report of the running demo training job, and the jobs stopped."""
    session = boto3.session.Session()
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    stops = FakeTrainingStop(session, world)
    report = handle_event(
        training_event(world),
        STOPS,
        clients_factory(session),
        home_account=world.account,
        lock=LocalVpcLock(),
        false_alarms=memory,
    )[0].to_dict()
    validate_report(report)
    return report, stops.stopped


def stop_action(report: dict[str, Any]) -> dict[str, Any]:
    [stop] = [a for a in report["actions"] if a["action"] == "stop-job"]
    return dict(stop)


def test_a_stop_resting_only_on_a_check_proven_wrong_here_is_held_back(
    aws: Any, world: World
) -> None:
    event = training_event(world)
    nacl_denies_https_out(aws, world, event)
    run_training_job(aws, world, "demo-training-job")
    memory = MemoryFalseAlarms()
    memory.record(world.account, "NACL_BLOCKS_S3", EARLIER)
    report, stopped = checked(world, memory)
    assert stopped == []
    stop = stop_action(report)
    assert stop["status"] == "SKIPPED"
    assert stop["reason"] == (
        "NACL_BLOCKS_S3 predicted a failure that did not happen in this account before "
        "(evidence.falseAlarms): a person confirms before such a job is stopped"
    )
    [nacl] = report["findings"]
    assert (nacl["severity"], report["outcome"]) == ("HIGH", "FAIL")
    assert nacl["evidence"]["falseAlarms"]["lastJob"] == EARLIER


def test_a_false_alarm_in_another_account_holds_back_nothing(aws: Any, world: World) -> None:
    event = training_event(world)
    nacl_denies_https_out(aws, world, event)
    run_training_job(aws, world, "demo-training-job")
    memory = MemoryFalseAlarms()
    memory.record("210987654321", "NACL_BLOCKS_S3", EARLIER)
    report, stopped = checked(world, memory)
    assert stopped == ["demo-training-job"]
    assert stop_action(report)["status"] == "APPLIED"
    assert "falseAlarms" not in report["findings"][0]["evidence"]


def test_a_stop_with_another_certain_check_stops_on_that_one_only() -> None:
    # Two blocking findings, one of a check proven wrong here: the stop rests on the other.
    sagemaker = SageMaker()
    doubted = finding("NACL_BLOCKS_S3", falseAlarms={"count": 1, "lastJob": EARLIER})
    action = decide([doubted, finding("S3_ENDPOINT_MISSING")], sagemaker)
    assert action is not None and action.status is RemediationStatus.APPLIED
    assert action.details["blockingChecks"] == ["S3_ENDPOINT_MISSING"]
    assert [f["checkId"] for f in action.details["findings"]] == ["S3_ENDPOINT_MISSING"]
    assert sagemaker.calls == ["Describe", "ListTags", "Stop"]


def test_a_held_back_stop_makes_no_call_to_sagemaker() -> None:
    sagemaker = SageMaker()
    doubted = finding("S3_ENDPOINT_MISSING", falseAlarms={"count": 2, "lastJob": EARLIER})
    action = decide([doubted], sagemaker)
    assert action is not None and action.status is RemediationStatus.SKIPPED
    assert action.details["blockingChecks"] == ["S3_ENDPOINT_MISSING"]
    assert sagemaker.calls == []
