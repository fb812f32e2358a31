"""The comparison's entry: a job's end (a state-change event, or Inference Recommender's
Describe answer) against the prediction on its record, judged once per job.

Every verdict is one log line and one count (outcomes/verdict_metrics.py); a missed or
false-alarm verdict is also a finding of its own (VERDICT_MISSED, VERDICT_FALSE_ALARM) in a
report sent to the same channels as the job reports. Calls per ended job: one GetItem, one
UpdateItem for a recorded job (the verdict, once), one Publish for a finding; plus one
Describe for an Inference Recommender job. A false alarm, once its report is out, is also
remembered per check (state/false_alarms.py): one UpdateItem per check it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ir_vpc_guard.delivery.channels import Channel, why
from ir_vpc_guard.delivery.report import Report, outcome_of
from ir_vpc_guard.findings import Finding, Mode, guardrail_finding
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER
from ir_vpc_guard.outcomes import verdict_metrics
from ir_vpc_guard.outcomes.failure_reasons import Reason, classify
from ir_vpc_guard.outcomes.state_change import Ended, Skip, parse
from ir_vpc_guard.outcomes.verdict import Judgement, Verdict, judge
from ir_vpc_guard.state.false_alarms import FalseAlarms
from ir_vpc_guard.state.records import SKIPPED, CheckedJobs, Prediction

if TYPE_CHECKING:  # types only: Powertools is imported by the handler
    from aws_lambda_powertools import Logger, Metrics

VERDICT_MISSED = "VERDICT_MISSED"
VERDICT_FALSE_ALARM = "VERDICT_FALSE_ALARM"
FINDING_IDS = {Verdict.MISSED: VERDICT_MISSED, Verdict.FALSE_ALARM: VERDICT_FALSE_ALARM}
TITLES = {
    Verdict.MISSED: "The guardrail missed a network failure",
    Verdict.FALSE_ALARM: "The guardrail predicted a failure that did not happen",
}
ASK = (
    "Report it to the IR VPC Guard maintainers with this report (it names the job, what the "
    "guardrail said and what SageMaker said), so the check can be corrected."
)


@dataclass(frozen=True, eq=False, repr=False)
class Outcomes:
    """Compares ended jobs with their records; built once, like the deliverer."""

    records: CheckedJobs
    channels: Sequence[Channel]
    logger: Logger
    metrics: Metrics
    # The workloads the guardrail checks (registered and left in by WORKLOADS): another's
    # job was never meant to have a record, so its end is no missed event.
    workloads: frozenset[str]
    mode: Mode = Mode.REPORT
    # Where false alarms are remembered per check; the pipeline reads them for the next reports.
    false_alarms: FalseAlarms = field(kw_only=True)

    def on_event(self, event: Any) -> dict[str, Any]:
        """A SageMaker state-change event: its job's verdict, or why there is none."""
        verdict_metrics.received(self.metrics)
        ended = parse(event)
        if isinstance(ended, Skip):
            self.logger.info("state change not compared", extra={"reason": ended.reason})
            return {"skipped": ended.reason}
        return self.on_end(ended, trigger="event")

    def on_end(self, ended: Ended, *, trigger: str) -> dict[str, Any]:
        """Judge one ended job (`trigger`: "event", or "sweep" for a Describe answer)."""
        prediction = None
        why = f"the guardrail does not check {ended.workload} jobs (WORKLOADS)"
        if ended.workload in self.workloads:
            prediction = self.records.prediction(ended.record)
            why = _not_compared(prediction, ended)
        if why:
            self.logger.info("state change not compared", extra={"reason": why})
            return {"skipped": why, "job": ended.job_arn}
        reason = classify(ended.failure_reason)
        judgement = judge(prediction, ended.ending, reason)
        if prediction is not None and not self.records.judge_once(
            ended.record, judgement.verdict.value
        ):
            self.logger.info("job already judged: a repeated state change")
            return {"repeat": True, "job": ended.job_arn}
        summary: dict[str, Any] = {
            "job": ended.job_arn,
            "verdict": judgement.verdict.value,
            "why": judgement.why,
        }
        if judgement.verdict in FINDING_IDS:
            report = verdict_report(
                ended, prediction, reason, judgement, mode=self.mode, trigger=trigger
            )
            try:
                for channel in self.channels:
                    channel.send(report)
            except BaseException:
                # Not delivered: forget the verdict, so the retried event judges it again.
                if prediction is not None:
                    self.records.unjudge(ended.record)
                raise
            summary["finding"] = FINDING_IDS[judgement.verdict]
            if judgement.verdict is Verdict.FALSE_ALARM:
                unrecorded = self._remember(ended, judgement)
                if unrecorded:
                    summary["falseAlarmsNotRecorded"] = unrecorded
        self.logger.info("verdict", extra=_line(ended, prediction, reason, judgement))
        verdict_metrics.count(self.metrics, judgement)
        return summary

    def _remember(self, ended: Ended, judgement: Judgement) -> list[str]:
        """Count the false alarm against each check it is about; the checks whose count
        could not be written. Never raises: the verdict's report is out and the verdict
        recorded, so a retry would judge nothing again and only fail (then the DLQ); the
        lost count is a WARNING line, and the next false alarm of the check counts anew."""
        unrecorded = []
        for check_id in judgement.checks:
            try:
                self.false_alarms.record(ended.account, check_id, ended.job_arn)
            except (ClientError, BotoCoreError) as error:
                unrecorded.append(check_id)
                self.logger.warning(
                    "false alarm not remembered",
                    extra={"checkId": check_id, "jobArn": ended.job_arn, **why(error)},
                )
        return unrecorded


def _not_compared(prediction: Prediction | None, ended: Ended) -> str:
    """Why an end of a covered workload has nothing to be compared with ("": it has)."""
    if prediction is None and not ended.in_vpc:
        # A job the guardrail never checked and that may not use a VPC at all (the events'
        # documented fields need not carry VpcConfig): not a missed event.
        return "no record, and the event does not show a VPC config"
    if prediction is not None and prediction.outcome == SKIPPED:
        return "the guardrail skipped this job (no VPC config, or run for a parent)"
    return ""


def verdict_report(
    ended: Ended,
    prediction: Prediction | None,
    reason: Reason,
    judgement: Judgement,
    *,
    mode: Mode,
    trigger: str,
) -> Report:
    """A missed or false-alarm verdict as a report of its own, one finding naming the job,
    what the guardrail said, what SageMaker said, and asking the operator to report it."""
    finding = verdict_finding(ended, prediction, reason, judgement)
    job: dict[str, Any] = {"name": ended.job_name, "arn": ended.job_arn}
    if ended.workload != INFERENCE_RECOMMENDER:
        job["workload"] = ended.workload  # as job reports: Inference Recommender's has none
    if ended.scope:
        job["definition"] = ended.scope  # an endpoint's config, as its reports name it
    return Report(
        event_id=ended.event_id,
        account=ended.account,
        region=ended.region,
        outcome=outcome_of([finding]),
        mode=mode,
        trigger=trigger,
        job=job,
        findings=[finding],
        checks={
            "passed": [],
            "failed": [finding.check_id],
            "errored": [],
            "notEvaluated": {},
        },
    )


def verdict_finding(
    ended: Ended, prediction: Prediction | None, reason: Reason, judgement: Judgement
) -> Finding:
    said = prediction.outcome if prediction else "nothing"
    if prediction and prediction.certain_high:
        said += f" ({', '.join(prediction.certain_high)})"
    elif prediction and prediction.flagged:
        said += f" ({', '.join(prediction.flagged)} undetermined)"
    sagemaker = ended.status + (f": {ended.failure_reason}" if ended.failure_reason else "")
    return guardrail_finding(
        FINDING_IDS[judgement.verdict],
        title=TITLES[judgement.verdict],
        detail=(
            f"{ended.workload} job {ended.job_name}: the guardrail said {said}; SageMaker "
            f"said {sagemaker}. {ASK}"
        ),
        resources=(ended.job_arn,),
        evidence={
            "verdict": judgement.verdict.value,
            "why": judgement.why,
            "checks": list(judgement.checks),
            "guardrail": {
                "outcome": prediction.outcome if prediction else None,
                "certainHigh": list(prediction.certain_high) if prediction else [],
                "undeterminedChecks": list(prediction.flagged) if prediction else [],
            },
            "sagemaker": {
                "status": ended.status,
                "failureReason": ended.failure_reason,
                "class": reason.kind.value,
                "pattern": reason.pattern,
                "source": reason.source,
            },
        },
        fix=ASK,
    )


def _line(
    ended: Ended, prediction: Prediction | None, reason: Reason, judgement: Judgement
) -> dict[str, Any]:
    """The verdict's INFO line: IDs, classes and check IDs; never the FailureReason text
    (DEBUG-level detail: it may quote paths and names)."""
    return {
        "verdict": judgement.verdict.value,
        "why": judgement.why,
        "checks": list(judgement.checks),
        "jobArn": ended.job_arn,
        "workload": ended.workload,
        "status": ended.status,
        "reasonClass": reason.kind.value,
        "reasonPattern": reason.pattern,
        "predicted": prediction.outcome if prediction else None,
    }
