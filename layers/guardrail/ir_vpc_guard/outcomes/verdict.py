"""The verdict on one prediction, from how the job really ended: pure, no I/O.

confirmed: a certain HIGH, and the job failed for a network reason that check predicts;
missed: no certain HIGH (PASS, WARN, REMEDIATED, PARTIAL), and the job failed for a network
reason; false alarm: a certain HIGH, and the job completed (an endpoint: InService);
consistent: no certain HIGH, and the job completed or failed for a reason that is not the
network's. A stopped job has no outcome to compare; a job with no prediction was never
checked (its event was missed). Everything else is inconclusive, with why.

A part's certain HIGH that need not end its job (`part_high`: one training definition of a
tuning job with several) confirms a network failure it predicts, but a completed job is no
false alarm of it: the other definitions may have carried the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ir_vpc_guard.findings import Outcome
from ir_vpc_guard.outcomes.failure_reasons import Reason, ReasonClass
from ir_vpc_guard.state.records import UNRECORDED, Prediction


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    MISSED = "missed"
    FALSE_ALARM = "false-alarm"
    CONSISTENT = "consistent"
    INCONCLUSIVE = "inconclusive"
    STOPPED = "stopped"
    NOT_CHECKED = "not-checked"


class Ending(StrEnum):
    """How SageMaker says the job ended (an endpoint's InService is COMPLETED)."""

    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    why: str
    checks: tuple[str, ...] = ()  # the check IDs the verdict is about (for metrics, findings)


def judge(prediction: Prediction | None, ending: Ending, reason: Reason) -> Judgement:
    """Compare what the guardrail predicted with how the job ended (`reason`: its
    FailureReason classified; ignored unless it failed)."""
    if prediction is None:
        return Judgement(Verdict.NOT_CHECKED, "no prediction recorded: its event was missed")
    if prediction.outcome == UNRECORDED:
        return Judgement(
            Verdict.INCONCLUSIVE,
            "checked, but what the guardrail said was not recorded (its record's write failed, "
            "or its check was still running)",
        )
    if prediction.stopped:
        return Judgement(Verdict.STOPPED, "the guardrail stopped it: no outcome to compare")
    if ending is Ending.STOPPED:
        return Judgement(Verdict.STOPPED, "stopped before it ended: no outcome to compare")
    high = prediction.certain_high
    if ending is Ending.COMPLETED:
        if high:
            return Judgement(Verdict.FALSE_ALARM, "certain HIGH, yet the job completed", high)
        if prediction.part_high:
            return Judgement(
                Verdict.INCONCLUSIVE,
                "a definition was predicted to fail; the others may have completed the job",
                prediction.part_high,
            )
        if prediction.outcome == Outcome.ERROR:
            return Judgement(
                Verdict.INCONCLUSIVE, "completed; the guardrail could not judge it (a read failed)"
            )
        return Judgement(Verdict.CONSISTENT, "no certain HIGH, and the job completed")
    return _failed(prediction, reason)


def _failed(prediction: Prediction, reason: Reason) -> Judgement:
    high = tuple(sorted(prediction.certain_high + prediction.part_high))
    if reason.kind is ReasonClass.UNKNOWN:
        return Judgement(Verdict.INCONCLUSIVE, "failed for a reason no known message explains")
    if reason.kind is ReasonClass.NOT_NETWORK:
        if high:
            return Judgement(
                Verdict.INCONCLUSIVE, "failed for a reason that is not the network's", high
            )
        return Judgement(Verdict.CONSISTENT, "no certain HIGH; failed for a non-network reason")
    matched = tuple(c for c in high if c in reason.checks)
    if matched:
        return Judgement(Verdict.CONFIRMED, "failed for the network reason predicted", matched)
    if high:
        return Judgement(
            Verdict.INCONCLUSIVE, "failed for a network reason other than the one predicted", high
        )
    if prediction.outcome == Outcome.ERROR:
        return Judgement(
            Verdict.INCONCLUSIVE,
            "failed for a network reason the guardrail could not judge (a read failed)",
            reason.checks,
        )
    flagged = tuple(c for c in prediction.flagged if c in reason.checks)
    if flagged:
        return Judgement(
            Verdict.MISSED,
            "no certain HIGH, yet failed for a network reason the guardrail left undetermined "
            f"(MEDIUM: {', '.join(flagged)})",
            reason.checks,
        )
    return Judgement(
        Verdict.MISSED, "no certain HIGH, yet failed for a network reason", reason.checks
    )
