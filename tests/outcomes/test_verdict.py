"""The verdict an operator reads: what the guardrail said against how the job ended."""

from __future__ import annotations

import pytest

from ir_vpc_guard.outcomes.failure_reasons import Reason, classify
from ir_vpc_guard.outcomes.verdict import Ending, Verdict, judge
from ir_vpc_guard.state.records import Prediction

S3_FAILURE = classify(
    "ClientError: Artifact upload failed:Please ensure that the subnet's route table has a "
    "route to an S3 VPC endpoint or a NAT device, and both the security groups and the "
    "subnet's network ACL allow outbound traffic to S3"
)
FULL_SUBNET = classify("InsufficientFreeAddressesInSubnet: The specified subnet is full")
NOT_NETWORK = classify("CapacityError: Unable to provision requested ML compute capacity.")
UNKNOWN = classify("AlgorithmError: exit code 1")
NO_REASON = classify(None)

PASS = Prediction("PASS", (), stopped=False)
WARN = Prediction("WARN", (), stopped=False)
FAIL_S3 = Prediction("FAIL", ("S3_ENDPOINT_MISSING",), stopped=False)
ERROR = Prediction("ERROR", (), stopped=False)


def test_a_certain_high_and_a_matching_network_failure_is_confirmed() -> None:
    judgement = judge(FAIL_S3, Ending.FAILED, S3_FAILURE)
    assert judgement.verdict is Verdict.CONFIRMED
    assert judgement.checks == ("S3_ENDPOINT_MISSING",)


@pytest.mark.parametrize("prediction", [PASS, WARN, Prediction("REMEDIATED", (), False)])
def test_no_certain_high_and_a_network_failure_is_missed(prediction: Prediction) -> None:
    judgement = judge(prediction, Ending.FAILED, FULL_SUBNET)
    assert judgement.verdict is Verdict.MISSED
    assert judgement.checks == ("SUBNET_IP_CAPACITY",)  # the check that should have said so


def test_a_certain_high_on_a_job_that_completed_is_a_false_alarm() -> None:
    judgement = judge(FAIL_S3, Ending.COMPLETED, NO_REASON)
    assert judgement.verdict is Verdict.FALSE_ALARM
    assert judgement.checks == ("S3_ENDPOINT_MISSING",)


@pytest.mark.parametrize("prediction", [PASS, WARN])
def test_no_certain_high_and_completed_is_consistent(prediction: Prediction) -> None:
    assert judge(prediction, Ending.COMPLETED, NO_REASON).verdict is Verdict.CONSISTENT


def test_no_certain_high_and_a_failure_that_is_not_the_network_is_consistent() -> None:
    assert judge(PASS, Ending.FAILED, NOT_NETWORK).verdict is Verdict.CONSISTENT


def test_a_job_the_guardrail_stopped_has_no_outcome_to_compare() -> None:
    stopped = Prediction("FAIL", ("S3_ENDPOINT_MISSING",), stopped=True)
    judgement = judge(stopped, Ending.STOPPED, NO_REASON)
    assert judgement.verdict is Verdict.STOPPED
    assert "guardrail stopped it" in judgement.why


def test_a_job_someone_else_stopped_has_no_outcome_to_compare_either() -> None:
    judgement = judge(FAIL_S3, Ending.STOPPED, NO_REASON)
    assert judgement.verdict is Verdict.STOPPED and judgement.checks == ()


def test_a_job_without_a_prediction_was_not_checked() -> None:
    judgement = judge(None, Ending.FAILED, S3_FAILURE)
    assert judgement.verdict is Verdict.NOT_CHECKED
    assert "missed" in judgement.why


@pytest.mark.parametrize(
    ("prediction", "reason", "why"),
    [
        (PASS, UNKNOWN, "no known message"),
        (FAIL_S3, UNKNOWN, "no known message"),
        (PASS, NO_REASON, "no known message"),  # Failed without a FailureReason
        (FAIL_S3, NOT_NETWORK, "not the network's"),
        (FAIL_S3, FULL_SUBNET, "other than the one predicted"),
        (ERROR, S3_FAILURE, "could not judge"),
    ],
)
def test_what_cannot_be_told_is_inconclusive(
    prediction: Prediction, reason: Reason, why: str
) -> None:
    judgement = judge(prediction, Ending.FAILED, reason)
    assert judgement.verdict is Verdict.INCONCLUSIVE
    assert why in judgement.why
