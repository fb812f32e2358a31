"""A hyperparameter tuning job (CreateHyperParameterTuningJob): one report per training
definition, each judged as a training job in its own VPC with its own role and its own
instances at once (MaxParallelTrainingJobs x the definition's), on moto worlds built like
real accounts; and the training jobs SageMaker creates for it are never judged alone."""

from __future__ import annotations

import copy
import json
from collections import Counter
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.checks.registry import Problem
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import Mode
from ir_vpc_guard.intake.event import parse_request, read_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.workloads import WORKLOADS
from ir_vpc_guard.pipeline import check_job, handle_event
from ir_vpc_guard.remediation.fixes.stop_job import StopJob
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.lambda_runtime import ACCOUNT, FakeContext
from ir_vpc_guard_dev.sandbox import SAGEMAKER_TRUST, World, build_world, set_group_egress
from tests.conftest import REGION, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.fake_group_associations import FakeGroupAssociations
from tests.integration.test_training import IR_ONLY, training_event
from tests.lambda_context import Inbox, deploy, topic_client
from tests.report_schema import validate_report

DEFINITIONS = ("xgboost-small", "xgboost-distributed")
TUNING = WORKLOADS["tuning"]


def tuning_event(world: World, name: str = "tuning_job") -> dict[str, Any]:
    """A tuning sample pointed at `world`: every definition in its subnets, group and role,
    the bucket they read and write made in the world's account."""
    training_event(world)  # makes that bucket (the training sample's)
    event = load_event(name)
    event["account"], event["region"] = world.account, world.region
    params = event["detail"]["requestParameters"]
    for definition in params["trainingJobDefinitions"]:
        definition["roleArn"] = world.role_arn
        definition["vpcConfig"] = {
            "subnets": list(world.subnet_ids),
            "securityGroupIds": world.group_ids,
        }
    job = params["hyperParameterTuningJobName"]
    event["detail"]["responseElements"]["hyperParameterTuningJobArn"] = (
        f"arn:aws:sagemaker:{world.region}:{world.account}:hyper-parameter-tuning-job/{job}"
    )
    return event


def check(event: dict[str, Any], settings: Settings | None = None) -> list[dict[str, Any]]:
    session = boto3.session.Session()
    # moto lacks DescribeSecurityGroupVpcAssociations: its narrow fake (no group associated).
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    reports = [
        r.to_dict()
        for r in handle_event(
            event,
            settings or Settings(),
            clients_factory(session),
            home_account=event["account"],
            lock=LocalVpcLock(),
        )
    ]
    for report in reports:
        validate_report(report)
    return reports


def by_definition(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["job"]["definition"]: r for r in reports}


def definitions(event: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = event["detail"]["requestParameters"]["trainingJobDefinitions"]
    return found


def other_vpc(session: Any) -> dict[str, Any]:
    """A second VPC of the account, as a team's own: a subnet and a group with the usual
    egress, and no S3 gateway endpoint (its training jobs cannot reach S3)."""
    ec2 = session.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tuning", Description="tuning", VpcId=vpc)
    prefix_list = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    set_group_egress(ec2, group["GroupId"], "compliant", prefix_list)
    return {"subnets": [subnet], "securityGroupIds": [group["GroupId"]]}


def test_each_definition_of_a_compliant_tuning_job_passes_in_its_own_report(
    aws: Any, world: World
) -> None:
    reports = check(tuning_event(world))
    assert [r["job"]["definition"] for r in reports] == list(DEFINITIONS)
    for report in reports:
        assert (report["outcome"], report["findings"]) == ("PASS", [])
        job = report["job"]
        assert (job["workload"], job["name"]) == ("tuning", "demo-tuning-job")
        assert job["arn"].endswith(":hyper-parameter-tuning-job/demo-tuning-job")
        assert (job["subnets"], job["vpc"]) == (world.subnet_ids, world.vpc_id)
        # Judged as a training job: what training does not evaluate, tuning does not either.
        # The training definitions name no private registry's credentials Lambda.
        not_evaluated = report["summary"]["checks"]["notEvaluated"]
        assert set(not_evaluated) == IR_ONLY | {"REGISTRY_AUTH_LAMBDA_UNREACHABLE"}


def test_a_definition_in_a_vpc_without_an_s3_path_fails_and_the_other_passes(
    aws: Any, world: World
) -> None:
    event = tuning_event(world)
    definitions(event)[1]["vpcConfig"] = other_vpc(aws)
    reports = by_definition(check(event))
    assert reports["xgboost-small"]["outcome"] == "PASS"
    bad = reports["xgboost-distributed"]
    assert bad["outcome"] == "FAIL"
    assert "S3_ENDPOINT_MISSING" in bad["summary"]["checks"]["failed"]
    assert bad["job"]["vpc"] != world.vpc_id


def test_each_definition_is_judged_with_its_own_role(aws: Any, world: World) -> None:
    iam = aws.client("iam")
    bare = iam.create_role(
        RoleName="TunerNoEc2", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST)
    )
    event = tuning_event(world)
    definitions(event)[0]["roleArn"] = bare["Role"]["Arn"]
    reports = by_definition(check(event))
    small = reports["xgboost-small"]
    assert small["outcome"] == "FAIL" and small["job"]["role"] == bare["Role"]["Arn"]
    [finding] = small["findings"]
    assert finding["checkId"] == "ROLE_VPC_PERMISSIONS_MISSING"
    assert reports["xgboost-distributed"]["outcome"] == "PASS"


def _capacity(report: dict[str, Any]) -> dict[str, Any]:
    [finding] = [f for f in report["findings"] if f["checkId"] == "SUBNET_IP_CAPACITY"]
    assert isinstance(finding, dict)
    return finding


def test_parallel_training_jobs_larger_than_the_subnets_fail_capacity(
    aws: Any, world: World
) -> None:
    # 100 training jobs at once x 4 instances x 2 IPs = 800; two /24 subnets hold 502.
    [report] = check(tuning_event(world, "tuning_job_broken"))
    assert report["outcome"] == "FAIL"
    finding = _capacity(report)
    assert finding["severity"] == "HIGH"
    assert (finding["evidence"]["needed"], finding["evidence"]["instances"]) == (800, 400)
    assert finding["evidence"]["estimate"] == (
        "100 training jobs at once (MaxParallelTrainingJobs) x ResourceConfig.InstanceCount of "
        "xgboost-wide (4)"
    )


def test_max_number_of_training_jobs_bounds_the_jobs_at_once(aws: Any, world: World) -> None:
    # At most 50 training jobs in all: 50 x 4 x 2 = 400 fit the 502 together (not either
    # subnet alone: placement is undocumented, MEDIUM), where 100 at once would not.
    event = tuning_event(world, "tuning_job_broken")
    limits = event["detail"]["requestParameters"]["hyperParameterTuningJobConfig"]
    limits["resourceLimits"]["maxNumberOfTrainingJobs"] = 50
    [report] = check(event)
    finding = _capacity(report)
    assert (finding["severity"], report["outcome"]) == ("MEDIUM", "WARN")
    assert finding["evidence"]["instances"] == 200
    assert finding["evidence"]["estimate"].startswith(
        "50 training jobs at once (MaxNumberOfTrainingJobs, below MaxParallelTrainingJobs)"
    )


def test_definitions_sharing_the_parallel_jobs_are_high_only_when_one_training_job_fails(
    aws: Any, world: World
) -> None:
    # 100 at once shared by two definitions: how many run the 4-instance one is the tuning
    # strategy's choice. 800 IPs would not fit the 502, one training job's 8 do: MEDIUM.
    event = tuning_event(world)
    limits = event["detail"]["requestParameters"]["hyperParameterTuningJobConfig"]
    limits["resourceLimits"] = {"maxParallelTrainingJobs": 100}
    definitions(event)[1]["resourceConfig"]["instanceCount"] = 4
    reports = by_definition(check(event))
    finding = _capacity(reports["xgboost-distributed"])
    assert (finding["severity"], reports["xgboost-distributed"]["outcome"]) == ("MEDIUM", "WARN")
    assert finding["evidence"]["undetermined"] == (
        "how many of the 400 instances run at once (4 certainly)"
    )
    # One training job of 300 instances (600 IPs) cannot run at all: HIGH.
    definitions(event)[1]["resourceConfig"]["instanceCount"] = 300
    finding = _capacity(by_definition(check(event))["xgboost-distributed"])
    assert finding["severity"] == "HIGH"
    assert (finding["evidence"]["needed"], finding["evidence"]["instances"]) == (600, 300)


def test_an_efa_capable_definition_that_fits_only_without_efa_is_undetermined(
    aws: Any, world: World
) -> None:
    # 60 jobs at once x 2 p4d instances: 240 IPs fit in 502, 600 with EFA would not.
    event = tuning_event(world, "tuning_job_broken")
    event["detail"]["requestParameters"]["hyperParameterTuningJobConfig"]["resourceLimits"] = {
        "maxParallelTrainingJobs": 60
    }
    definitions(event)[0]["resourceConfig"] = {
        "instanceType": "ml.p4d.24xlarge",
        "instanceCount": 2,
    }
    [report] = check(event)
    finding = _capacity(report)
    assert (finding["severity"], report["outcome"]) == ("MEDIUM", "WARN")
    assert finding["evidence"]["neededWithEfa"] == 600


def test_a_definition_without_a_vpc_config_is_not_reported(aws: Any, world: World) -> None:
    event = tuning_event(world)
    del definitions(event)[0]["vpcConfig"]
    [report] = check(event)
    assert (report["job"]["definition"], report["outcome"]) == ("xgboost-distributed", "PASS")
    for definition in definitions(event):
        definition.pop("vpcConfig", None)
    [skipped] = check(event)
    assert skipped["outcome"] == "SKIPPED"
    assert skipped["reason"] == "the request names no job that runs in a VPC"


def test_two_definitions_in_one_vpc_cost_a_training_jobs_reads_each(aws: Any) -> None:
    # One report per definition: each is discovered on its own (a training job's 11 calls:
    # its 10 and the GetBucketPolicy of its bucket), but the region's S3 prefix list
    # (DescribePrefixLists, GetManagedPrefixListEntries) is kept warm for the container's
    # life (discovery/prefix_lists.py): read once, 20.
    world = build_world(aws, REGION)
    calls: Counter[str] = Counter()
    session = counting_session(calls)
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    reports = handle_event(
        tuning_event(world), Settings(), clients_factory(session), lock=LocalVpcLock()
    )
    assert [r.outcome.value for r in reports] == ["PASS", "PASS"]
    assert not {c for c in calls if c.split(".")[0] in {"sagemaker", "ecr"}}
    assert calls["s3.GetBucketPolicy"] == 2  # each definition's own bucket's
    assert sum(calls.values()) == 20, calls


def test_the_handler_publishes_one_message_per_definition_and_a_replay_none(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    # Two definitions of one tuning job (one ARN) in two VPCs: the second definition's report
    # is not a repeat of the first's; the same event again publishes nothing.
    event = tuning_event(world)
    definitions(event)[1]["vpcConfig"] = other_vpc(aws)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table, NOTIFY_ON="all")
    published: list[dict[str, Any]] = []
    topic_client(app).meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: published.append(params)
    )
    answer = app.lambda_handler(event, FakeContext())
    assert [(r["outcome"], r["job"]["definition"]) for r in answer["reports"]] == [
        ("PASS", "xgboost-small"),
        ("FAIL", "xgboost-distributed"),
    ]
    envelopes = inbox.envelopes()
    messages = {(m := json.loads(e["Message"]))["job"]["definition"]: (m, e) for e in envelopes}
    assert set(messages) == set(DEFINITIONS) and len(envelopes) == 2
    for definition, (message, envelope) in messages.items():
        validate_report(message)
        assert "repeat" not in message and "repeat" not in envelope["MessageAttributes"]
        assert envelope["MessageAttributes"]["workload"]["Value"] == "tuning"
        assert message["outcome"] == ("PASS" if definition == "xgboost-small" else "FAIL")
    assert envelopes[0]["Subject"].endswith(f"demo-tuning-job in {ACCOUNT}")

    replayed = app.lambda_handler(copy.deepcopy(event), FakeContext())
    assert replayed == answer
    assert inbox.envelopes() == [] and len(published) == 2


def child_of_tuning(world: World) -> dict[str, Any]:
    """A training job SageMaker created for the tuning job, pointed at `world`."""
    event = load_event("training_job_child")
    event["account"], event["region"] = world.account, world.region
    params = event["detail"]["requestParameters"]
    params["roleArn"] = world.role_arn
    params["vpcConfig"] = {"subnets": list(world.subnet_ids), "securityGroupIds": world.group_ids}
    return event


PARENT = "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/demo-tuning-job"


def test_a_training_job_sagemaker_creates_for_a_tuning_job_is_judged_with_it(
    aws: Any, world: World, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, table: str
) -> None:
    # A world where the child would fail: skipped all the same, naming its parent, and
    # nothing is published (skipped events are not, by default).
    no_s3 = child_of_tuning(world)
    no_s3["detail"]["requestParameters"]["vpcConfig"] = other_vpc(aws)
    app = deploy(monkeypatch, TOPIC_ARN=inbox.topic_arn, IDEMPOTENCY_TABLE=table)
    report = app.lambda_handler(no_s3, FakeContext())
    validate_report(report)
    assert report["outcome"] == "SKIPPED"
    assert (
        report["reason"]
        == f"judged with its tuning job {PARENT} (SageMaker runs this job for it), not alone"
    )
    assert inbox.envelopes() == []


def test_a_training_job_the_service_itself_calls_for_is_skipped_even_as_an_api_call(
    aws: Any, world: World
) -> None:
    event = training_event(world)
    event["detail"]["userIdentity"] = {"type": "AWSService", "invokedBy": "sagemaker.amazonaws.com"}
    [report] = check(event)
    assert report["outcome"] == "SKIPPED"
    assert "created for a parent job" in report["reason"]


def test_a_pipelines_call_through_the_service_with_the_users_role_is_checked(
    aws: Any, world: World
) -> None:
    # invokedBy alone (a customer's role, no parent named): a pipeline's step, whose parent
    # no covered workload judges. Checked as its own job rather than missed.
    event = training_event(world)
    event["detail"]["userIdentity"]["invokedBy"] = "sagemaker.amazonaws.com"
    [report] = check(event)
    assert (report["outcome"], report["job"]["workload"]) == ("PASS", "training")


def cloudtrail_case(value: Any) -> Any:
    """Request members as CloudTrail writes them: each member's first letter lowered, at
    every depth (docs/event.md, "Confirmed")."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: cloudtrail_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cloudtrail_case(v) for v in value]
    return value


def test_a_tuning_job_made_as_the_api_reference_says_is_read_from_its_event_and_its_answer(
    aws: Any, world: World
) -> None:
    # The request of the API reference's CreateHyperParameterTuningJob, made on moto: its
    # CloudTrail record (camelCase) and its Describe answer (PascalCase) judge the same.
    request = {
        "HyperParameterTuningJobName": "api-tuning",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 4},
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": "img", "TrainingInputMode": "File"},
            "RoleArn": world.role_arn,
            "OutputDataConfig": {"S3OutputPath": "s3://demo-training-data/out/"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 100},
            "VpcConfig": {"Subnets": world.subnet_ids, "SecurityGroupIds": world.group_ids},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }
    sagemaker = aws.client("sagemaker")
    arn = sagemaker.create_hyper_parameter_tuning_job(**request)["HyperParameterTuningJobArn"]
    event = tuning_event(world)
    event["detail"]["requestParameters"] = cloudtrail_case(request)
    event["detail"]["responseElements"] = {"hyperParameterTuningJobArn": arn}
    [from_event] = check(event)

    answer = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="api-tuning")
    assert TUNING.expand is not None
    [view] = TUNING.expand(answer, lambda: sagemaker)
    job = parse_request(
        view,
        account=world.account,
        region=world.region,
        event_id="describe",
        job_arn=answer["HyperParameterTuningJobArn"],
        trigger="cli",
        workload=TUNING,
    )
    assert isinstance(job, JobRequest)
    session = boto3.session.Session()
    FakeGroupAssociations(session.events, session.client("ec2", region_name=REGION))
    clients = clients_factory(session)(world.region)
    from_answer = check_job(job, clients, Settings(), lock=LocalVpcLock()).to_dict()
    validate_report(from_answer)

    # 4 training jobs x 100 instances x 2 IPs = 800 > the 502 free: HIGH, from both.
    for report in (from_event, from_answer):
        assert report["outcome"] == "FAIL"
        assert report["job"]["definition"] == "TrainingJobDefinition"
        assert report["job"]["arn"] == arn
        assert _capacity(report)["evidence"]["needed"] == 800


def test_alternative_instance_configs_make_only_the_fewest_certain(aws: Any) -> None:
    # InstanceConfigs are alternatives (AllocationStrategy Prioritized): a training job may
    # run on 1 instance, so peers that are not admitted are never a certain gap, and the
    # peer fix is never planned on them.
    world = build_world(aws, REGION, peer_rule=False)
    event = tuning_event(world)
    for definition in definitions(event):
        definition.pop("resourceConfig", None)
        definition["hyperParameterTuningResourceConfig"] = {
            "allocationStrategy": "Prioritized",
            "instanceConfigs": [
                {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeSizeInGB": 30},
                {"instanceType": "ml.m5.2xlarge", "instanceCount": 2, "volumeSizeInGB": 30},
            ],
        }
    for report in check(event):
        peers = [f for f in report["findings"] if f["checkId"] == "SG_PEER_TRAFFIC_BLOCKED"]
        assert not [f for f in peers if f["severity"] == "HIGH"], peers


def test_one_doomed_definition_never_stops_the_whole_tuning_job(aws: Any, world: World) -> None:
    # The other definition's training jobs may run fine: the tuning job is not doomed, and
    # the stop does not even read the job (a client that is touched fails the test).
    event = tuning_event(world)
    definitions(event)[1]["vpcConfig"] = other_vpc(aws)  # a VPC without an S3 path
    [_, doomed] = [
        job
        for job in read_event(event).jobs(lambda: pytest.fail("no read"))  # type: ignore[union-attr]
        if isinstance(job, JobRequest)
    ]
    assert doomed.part_of_several
    untouchable = SimpleNamespace(sagemaker=None)
    settings = Settings(remediation_mode=Mode.APPLY, stop_doomed_jobs=True)
    no_path = CATALOGUE["S3_ENDPOINT_MISSING"].finding(Problem(detail="no S3 path"))
    decided = StopJob().decide(
        doomed,
        [no_path],
        Snapshot(job=doomed),
        settings=settings,
        clients=untouchable,  # type: ignore[arg-type]
        home_account=world.account,
        broken_checks=[],
    )
    assert decided is None
