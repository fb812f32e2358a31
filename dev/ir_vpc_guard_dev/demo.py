"""`make demo`: the whole story in a minute, on emulated AWS (moto, in-process).

A VPC that breaks several requirements; the sample event through the real Lambda handler
in report mode, then in apply mode; the SNS message as an e-mail and an SQS subscriber get
it; a person makes the one fix the guardrail never makes; the job passes. Then a distributed
training job in the same VPC, whose group does not admit its own instances: the guardrail
adds that one rule, and the next training job passes. Last, back in report mode, a training
job the guardrail judged certain to fail is let run; it fails, and SageMaker's state-change
event makes the guardrail's prediction a confirmed verdict, counted. Needs the dev
environment (moto, rich): it is not part of the Lambda layer's import path.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.backends import get_backend
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from ir_vpc_guard.arns import partition_of, s3_object_arn
from ir_vpc_guard.delivery import render
from ir_vpc_guard.delivery.deliverer import Deliverer
from ir_vpc_guard.delivery.report import Report
from ir_vpc_guard.findings import Outcome
from ir_vpc_guard.outcomes.failure_reasons import classify
from ir_vpc_guard.outcomes.verdict_metrics import VERDICTS
from ir_vpc_guard.state.records import PREDICTION, VERDICT, Prediction
from ir_vpc_guard_dev.lambda_runtime import FUNCTION_ENV, ROOT, FakeContext, load_handler
from ir_vpc_guard_dev.sandbox import (
    MODEL_BUCKET,
    MOTO_ENVIRONMENT,
    World,
    build_world,
    create_table,
)

EVENT = ROOT / "events" / "good_job.json"
TRAINING_EVENT = ROOT / "events" / "training_job.json"
# SageMaker's state-change event for a failed training job, in its Pascal case; its
# FailureReason is the training message reported in aws/amazon-sagemaker-operator-for-k8s
# pull #22 (outcomes/failure_reasons.py, pattern "s3-path-training").
TRAINING_FAILED = ROOT / "events" / "state_change_training_failed.json"
UNROUTED_CIDR = "10.0.3.0/24"  # a subnet added later, on a route table of its own
TRAINING_BUCKET = "demo-training-data"  # the sample's input and output bucket
REGION = "us-east-1"
TABLE = "ir-vpc-guard-demo"
MUTE_PARAMETER = "/ir-vpc-guard/mutes"
TEAM_DNS = "10.0.0.53"
ENVIRONMENT = {
    **FUNCTION_ENV,
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_DEFAULT_REGION": REGION,
    "IDEMPOTENCY_TABLE": TABLE,
    "MUTE_LIST_PARAMETER": MUTE_PARAMETER,
    **MOTO_ENVIRONMENT,
}


class Story:
    """Prints the demo: rich tables on a terminal, plain text when piped or asked."""

    def __init__(self, plain: bool) -> None:
        self.console = Console(highlight=False)
        self.plain = plain or not self.console.is_terminal

    def step(self, number: int, title: str, text: str) -> None:
        if self.plain:
            print(f"\n== {number}. {title} ==\n{text}")
        else:
            self.console.print(Panel(text, title=f"[bold]{number}. {title}", expand=False))

    def report(self, report: Report) -> None:
        if self.plain:
            print(render.text(report))
            return
        colour = {"PASS": "green", "REMEDIATED": "green", "FAIL": "red"}.get(
            report.outcome.value, "yellow"
        )
        self.console.print(f"[bold {colour}]{render.headline(report)}")
        if report.findings:
            table = Table("Severity", "Check", "Resource", "What to do", "Status")
            for finding in report.findings:
                remediation = finding.remediation
                table.add_row(
                    finding.severity.value,
                    finding.check_id,
                    "\n".join(finding.resources[:3]),
                    (remediation.command or remediation.reason) if remediation else "",
                    remediation.status.value if remediation else "",
                )
            self.console.print(table)
        if report.actions:
            table = Table("Action", "Resource", "Status", "What happened")
            for action in report.actions:
                table.add_row(action.name, action.resource, action.status.value, action.reason)
            self.console.print(table)

    def text(self, text: str) -> None:
        print(text) if self.plain else self.console.print(text, markup=False)


def run_demo(plain: bool = False) -> int:
    story = Story(plain)
    with _environment(), mock_aws():
        session = boto3.session.Session(region_name=REGION)
        world = _broken_world(session)
        topic, queue = _topic_with_inbox(session)
        create_table(session, TABLE)
        story.step(
            1,
            "An emulated AWS account (moto, in-process)",
            f"VPC {world.vpc_id} with job subnets {', '.join(world.subnet_ids)}:\n"
            "- no S3 gateway endpoint;\n"
            f"- security group {world.group_ids[0]} allows only HTTPS to 10.0.0.0/8, and admits"
            " nothing inbound (not even its own members);\n"
            f"- bucket {MODEL_BUCKET} refuses reads that do not come through one VPC endpoint;\n"
            f"- DNS server {TEAM_DNS} (custom: the team accepts it, muted in SSM "
            f"{MUTE_PARAMETER}).\n"
            f"Sample event: {EVENT.relative_to(ROOT)}; findings go to SNS topic {topic}.",
        )
        context = FakeContext(account=world.account, region=REGION)
        template = world.event(json.loads(EVENT.read_text()))

        report = _invoke(
            _new_event(template, 1), context, REMEDIATION_MODE="report", TOPIC_ARN=topic
        )
        story.step(2, "The job is created: report mode (the default)", "Nothing is changed.")
        story.report(report)

        jobs = _RunningJobs()
        applied = _invoke(
            _new_event(template, 2),
            context,
            jobs,
            REMEDIATION_MODE="apply",
            STOP_DOOMED_JOBS="true",
            TOPIC_ARN=topic,
        )
        story.step(
            3,
            "The operator sets REMEDIATION_MODE=apply and STOP_DOOMED_JOBS=true; the job is"
            " retried",
            "The guardrail adds what is safe to add, re-reads and re-checks; what remains dooms"
            f" the job, so it is stopped (stopped: {', '.join(jobs.stopped) or 'none'}).",
        )
        story.report(applied)

        email, envelope = _delivered(session, topic, queue)
        story.step(
            4,
            "The SNS message as an e-mail subscriber receives it",
            f"Subject: {envelope['Subject']}",
        )
        story.text(email)
        story.step(
            5,
            "The same message as an SQS subscriber receives it (envelope, JSON report)",
            "Filter policies can key on the message attributes.",
        )
        story.text(_envelope_excerpt(envelope))

        _manual_fix(session)
        final = _invoke(
            _new_event(template, 3), context, jobs, REMEDIATION_MODE="apply", TOPIC_ARN=topic
        )
        story.step(
            6,
            "A person makes the one fix the guardrail never makes; the job is retried",
            f"The bucket policy of {MODEL_BUCKET} is removed (the report said how).",
        )
        story.report(final)

        training = _training_event(world)
        session.client("s3", region_name=world.region).create_bucket(Bucket=TRAINING_BUCKET)
        trained = _invoke(
            _new_training_event(training, 1), context, REMEDIATION_MODE="apply", TOPIC_ARN=topic
        )
        story.step(
            7,
            "A distributed training job (2 instances) in the same VPC",
            f"Its instances must reach each other, and {world.group_ids[0]} admits nothing"
            " inbound: the guardrail adds the one rule they need (all traffic from the group"
            " itself, nothing wider), re-reads and re-checks.",
        )
        story.report(trained)
        next_job = _invoke(
            _new_training_event(training, 2), context, REMEDIATION_MODE="apply", TOPIC_ARN=topic
        )
        story.step(8, "The next training job in that VPC", "Nothing left to add.")
        story.report(next_job)

        subnet, table = _unrouted_subnet(session, world)
        doomed_event = _new_training_event(_in_subnet(training, subnet), 3)
        doomed = _invoke(
            doomed_event,
            context,
            REMEDIATION_MODE="report",
            STOP_DOOMED_JOBS="false",
            TOPIC_ARN=topic,
        )
        story.step(
            9,
            "Back to report mode (the default): a one-instance training job in a new subnet",
            f"{subnet} ({UNROUTED_CIDR}) has a route table of its own, {table}, with no route"
            " to the S3 endpoint. Report mode changes nothing and stops nothing: the job runs.",
        )
        story.report(doomed)
        ended = _failed_training(doomed_event)
        answer, counted = _invoke_end(ended, context)
        said = _recorded(session, ended["detail"]["TrainingJobArn"])
        story.step(
            10,
            "The job fails: SageMaker's state-change event reaches the guardrail",
            "The same function, on the stack's OutcomeRule (ConfirmOutcomes=true, the default):"
            " training jobs send their own state changes; Inference Recommender jobs send none,"
            " the catch-up schedule Describes them.",
        )
        story.text(_verdict_text(said, ended["detail"], answer, counted))
    confirmed = answer.get("verdict") == "confirmed" and {"Verdict": "confirmed"} in counted
    ok = (
        report.outcome is Outcome.FAIL
        and applied.outcome is Outcome.PARTIAL
        and jobs.stopped == ["demo-ir-job-2"]
        and final.outcome is Outcome.PASS
        and trained.outcome is Outcome.REMEDIATED
        and next_job.outcome is Outcome.PASS
        and doomed.outcome is Outcome.FAIL
        and confirmed
    )
    return 0 if ok else 1


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    """Demo credentials only: nothing can reach a real account, and the caller's env is kept."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(ENVIRONMENT)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _broken_world(session: Any) -> World:
    world = build_world(
        session, REGION, with_endpoint=False, group_egress="proxy-https-only", peer_rule=False
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyThroughOurEndpoint",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": s3_object_arn(partition_of(REGION), MODEL_BUCKET, "*"),
                "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
            }
        ],
    }
    session.client("s3").put_bucket_policy(Bucket=MODEL_BUCKET, Policy=json.dumps(policy))
    _accepted_custom_dns(session, world)
    return world


def _accepted_custom_dns(session: Any, world: World) -> None:
    """A custom DNS server the team keeps on purpose, and the mute that says so."""
    ec2 = session.client("ec2")
    options = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name-servers", "Values": [TEAM_DNS]}]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=world.vpc_id)
    expires = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    mute = {
        "checkId": "VPC_CUSTOM_DNS",
        "vpc": world.vpc_id,
        "reason": f"{TEAM_DNS} forwards to the VPC resolver",
        "expires": expires,
    }
    session.client("ssm").put_parameter(
        Name=MUTE_PARAMETER, Type="String", Value=json.dumps({"mutes": [mute]})
    )


def _topic_with_inbox(session: Any) -> tuple[str, str]:
    sns, sqs = session.client("sns"), session.client("sqs")
    topic = sns.create_topic(Name="ir-vpc-guard-findings")["TopicArn"]
    queue = sqs.create_queue(QueueName="security-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="platform-team@example.com")
    return topic, queue


def _new_event(
    template: dict[str, Any], attempt: int, name: str = "jobName", arn: str = "jobArn"
) -> dict[str, Any]:
    """Each retry of the job is a new API call (a new CloudTrail event ID) and a new job:
    job names are unique in an account and region, so retry N is `<name>-N`. (The same
    job ARN again would be reported as a repeat.) `name` and `arn` are the request's and the
    response's members (Inference Recommender's by default)."""
    event = copy.deepcopy(template)
    event["detail"]["eventID"] = str(uuid.uuid4())
    event["id"] = str(uuid.uuid4())
    if attempt > 1:
        params, response = event["detail"]["requestParameters"], event["detail"]["responseElements"]
        params[name] = f"{params[name]}-{attempt}"
        response[arn] = f"{response[arn]}-{attempt}"
    return event


def _training_event(world: World) -> dict[str, Any]:
    """The training sample (two instances) pointed at the world's subnets, group and role."""
    event: dict[str, Any] = json.loads(TRAINING_EVENT.read_text())
    event["account"], event["region"] = world.account, world.region
    params = event["detail"]["requestParameters"]
    params["roleArn"] = world.role_arn
    params["vpcConfig"] = {"subnets": list(world.subnet_ids), "securityGroupIds": world.group_ids}
    event["detail"]["responseElements"]["trainingJobArn"] = (
        f"arn:{partition_of(world.region)}:sagemaker:{world.region}:{world.account}:"
        f"training-job/{params['trainingJobName']}"
    )
    return event


def _new_training_event(template: dict[str, Any], attempt: int) -> dict[str, Any]:
    """A new training job (as `_new_event` makes a new Inference Recommender job)."""
    return _new_event(template, attempt, "trainingJobName", "trainingJobArn")


class _RunningJobs:
    """moto has no Inference Recommender job APIs: the demo answers the three calls a stop
    makes (every job is running and untagged) and remembers what was stopped."""

    def __init__(self) -> None:
        self.stopped: list[str] = []

    def attach(self, session: Any) -> None:
        for operation, answer in (
            ("DescribeInferenceRecommendationsJob", self._describe),
            ("ListTags", self._tags),
            ("StopInferenceRecommendationsJob", self._stop),
        ):
            session.events.register(f"before-call.sagemaker.{operation}", answer)

    def _describe(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        name = json.loads(params["body"])["JobName"]
        return _Ok(), {"JobName": name, "Status": "IN_PROGRESS"}

    def _tags(self, **_: Any) -> tuple[Any, dict[str, Any]]:
        return _Ok(), {"Tags": []}

    def _stop(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        self.stopped.append(json.loads(params["body"])["JobName"])
        return _Ok(), {}


class _Ok:
    status_code = 200


def _invoke(
    event: dict[str, Any], context: FakeContext, jobs: _RunningJobs | None = None, **env: str
) -> Report:
    """A cold start of the real handler with `env`, its JSON logs and metrics kept aside;
    the report it delivered, typed (as render takes it), not the JSON it returns."""
    os.environ.update(env)
    logs = io.StringIO()
    delivered: list[Report] = []
    deliver = Deliverer.deliver

    def kept(deliverer: Deliverer, report: Report) -> dict[str, Any]:
        delivered.append(report)
        return deliver(deliverer, report)

    with contextlib.redirect_stdout(logs), mock.patch.object(Deliverer, "deliver", kept):
        handler = load_handler()
        if jobs is not None:
            jobs.attach(handler.APP.session)
        handler.lambda_handler(event, context)
    [report] = delivered
    return report


def _delivered(session: Any, topic: str, queue: str) -> tuple[str, dict[str, Any]]:
    """The last message: its `email` body (what SNS mails) and the SQS envelope."""
    answer = session.client("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    envelope = json.loads(answer["Messages"][-1]["Body"])
    # moto records each publish but sends no e-mail: take the body SNS would mail.
    account = topic.split(":")[4]
    sent = get_backend("sns")[account][REGION].topics[topic].sent_notifications[-1]
    email = json.loads(sent[1])["email"]
    return str(email), envelope


def _envelope_excerpt(envelope: dict[str, Any]) -> str:
    report = json.loads(envelope["Message"])
    shown = {
        "Type": envelope["Type"],
        "Subject": envelope["Subject"],
        "MessageAttributes": envelope.get("MessageAttributes"),
        "Message": {
            "schemaVersion": report["schemaVersion"],
            "outcome": report["outcome"],
            "job": {k: report["job"][k] for k in ("name", "vpc", "subnets")},
            "summary": {k: report["summary"][k] for k in ("findings", "maxSeverity")},
            "findings": [
                {k: f[k] for k in ("checkId", "severity", "resources")} for f in report["findings"]
            ],
            "actions": [
                {k: a[k] for k in ("action", "status", "resource")} for a in report["actions"]
            ],
        },
    }
    return json.dumps(shown, indent=2)


def _manual_fix(session: Any) -> None:
    session.client("s3").delete_bucket_policy(Bucket=MODEL_BUCKET)


def _unrouted_subnet(session: Any, world: World) -> tuple[str, str]:
    """A subnet added to the VPC later, on a new route table the S3 endpoint is not on."""
    ec2 = session.client("ec2")
    zone = ec2.describe_subnets(SubnetIds=world.subnet_ids[:1])["Subnets"][0]["AvailabilityZone"]
    subnet = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock=UNROUTED_CIDR, AvailabilityZone=zone)
    table = ec2.create_route_table(VpcId=world.vpc_id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["Subnet"]["SubnetId"])
    return subnet["Subnet"]["SubnetId"], table


def _in_subnet(template: dict[str, Any], subnet: str) -> dict[str, Any]:
    """The training sample on one instance (no peer traffic to judge) in `subnet`."""
    event = copy.deepcopy(template)
    params = event["detail"]["requestParameters"]
    params["vpcConfig"]["subnets"] = [subnet]
    params["resourceConfig"]["instanceCount"] = 1
    return event


def _failed_training(created: dict[str, Any]) -> dict[str, Any]:
    """SageMaker's event when the training job `created` fails for want of an S3 path."""
    event: dict[str, Any] = json.loads(TRAINING_FAILED.read_text())
    params = created["detail"]["requestParameters"]
    arn = created["detail"]["responseElements"]["trainingJobArn"]
    event["id"] = str(uuid.uuid4())
    event["account"], event["region"], event["resources"] = created["account"], REGION, [arn]
    detail = event["detail"]
    detail["TrainingJobName"], detail["TrainingJobArn"] = params["trainingJobName"], arn
    detail["RoleArn"] = params["roleArn"]
    vpc = params["vpcConfig"]
    detail["VpcConfig"] = {"SecurityGroupIds": vpc["securityGroupIds"], "Subnets": vpc["subnets"]}
    return event


def _invoke_end(
    event: dict[str, Any], context: FakeContext
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The real handler on a state-change event: its answer, and the dimensions of each
    `Verdicts` count in the EMF lines it printed (what CloudWatch would record)."""
    logs = io.StringIO()
    with contextlib.redirect_stdout(logs):
        answer: dict[str, Any] = load_handler().lambda_handler(event, context)
    blobs = [json.loads(x) for x in logs.getvalue().splitlines() if x.startswith("{")]
    counted = [
        {d: blob[d] for d in directive["Dimensions"][0] if d != "service"}
        for blob in blobs
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", [])
        if any(m["Name"] == VERDICTS for m in directive["Metrics"])
    ]
    return answer, counted


def _recorded(session: Any, job_arn: str) -> dict[str, Any]:
    """The job's record in the demo's table (key `job#<arn>`, state/records.py): the
    prediction and the verdict it keeps."""
    item = session.client("dynamodb").get_item(
        TableName=TABLE, Key={"id": {"S": f"job#{job_arn}"}}
    )["Item"]
    prediction = Prediction.from_item(item[PREDICTION])
    return {"prediction": prediction, "verdict": item.get(VERDICT, {}).get("S")}


def _verdict_text(
    said: dict[str, Any],
    detail: dict[str, Any],
    answer: dict[str, Any],
    counted: list[dict[str, str]],
) -> str:
    prediction: Prediction = said["prediction"]
    reason = classify(detail["FailureReason"])  # as the handler classified it
    counts = " and ".join(
        "+1 {" + ", ".join(f"{k}={v}" for k, v in dimensions.items()) + "}"
        for dimensions in counted
    )
    return "\n".join(
        (
            f"Job: {detail['TrainingJobArn']}",
            f"The guardrail said (its record in table {TABLE}): {prediction.outcome}, certain"
            f" HIGH {', '.join(prediction.certain_high) or 'none'}; stopped:"
            f" {'yes' if prediction.stopped else 'no'}.",
            f"SageMaker said: {detail['TrainingJobStatus']}: {detail['FailureReason']}",
            f"FailureReason class: {reason.kind}, pattern {reason.pattern} ({reason.source}).",
            f"Verdict: {answer.get('verdict')} ({answer.get('why')}); on the record:"
            f" {said['verdict']}.",
            f"Counted: metric {VERDICTS} {counts or 'nothing'} (the dashboard's verdict line).",
        )
    )
