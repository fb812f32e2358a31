"""`ir-vpc-guard`: the same engine as the Lambda, from a shell, against whatever
AWS_ENDPOINT_URL and the usual credentials point to.

Exit codes: 0 pass (or skipped, or remediated), 1 findings, 2 bad input or no access.
Errors are one line that says what to do, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from ir_vpc_guard.application import vpc_lock
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.checks import CATALOGUE
from ir_vpc_guard.delivery import mutes, render
from ir_vpc_guard.delivery.report import Report, skipped_report
from ir_vpc_guard.findings import CHECK_ERROR, Mode
from ir_vpc_guard.intake.event import Skipped, read_event
from ir_vpc_guard.intake.preflight import PREFLIGHT_JOB, existing_job, preflight_request
from ir_vpc_guard.intake.request import (
    MAX_ENDPOINT_CONFIGURATIONS,
    MAX_SECURITY_GROUPS,
    MAX_SUBNETS,
    MIN_PARALLEL_OF_TESTS,
    MODEL_NAME,
    MODEL_PACKAGE_ARN,
    ROLE_ARN,
    JobRequest,
    TextLimit,
    valid_vpc_id,
)
from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER, Workload
from ir_vpc_guard.intake.workloads import WORKLOADS, enabled
from ir_vpc_guard.pipeline import check_job, handle_event
from ir_vpc_guard.remediation.stopping import stoppable_checks
from ir_vpc_guard.settings import Settings, SettingsError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_BY_OUTCOME = {
    "PASS": EXIT_OK,
    "SKIPPED": EXIT_OK,
    "REMEDIATED": EXIT_OK,
    "WARN": EXIT_OK,
    "FAIL": EXIT_FINDINGS,
    "PARTIAL": EXIT_FINDINGS,
    "ERROR": EXIT_USAGE,
}
ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
# How a read fails when nothing that speaks AWS answers for the region: no connection, or
# an answer botocore cannot parse (an HTML page); an HTTP status is the code of a ClientError
# whose answer had no AWS error code.
UNREACHABLE = {
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "ResponseParserError",
}


class UsageError(Exception):
    """Something the user can fix; the message says how."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ir-vpc-guard",
        description="Check that a SageMaker job (Inference Recommender, training,"
        " processing...) can run in its VPC.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="pre-flight: check a VPC config before a job")
    _workload(check)
    check.add_argument("--subnets", nargs="+", required=True, metavar="SUBNET_ID")
    check.add_argument("--security-groups", nargs="+", required=True, metavar="GROUP_ID")
    check.add_argument("--role-arn", help="the job's execution role")
    model = check.add_mutually_exclusive_group()
    model.add_argument("--model-package-arn", help="the model package version to recommend for")
    model.add_argument("--model-name", help="a SageMaker model (not in the registry)")
    check.add_argument("--max-parallel", type=int, metavar="N", help="MaxParallelOfTests")
    check.add_argument("--instance-types", nargs="+", metavar="TYPE", help="endpoint types")
    check.add_argument(
        "--instance-count", type=int, metavar="N", help="instances the job runs (training...)"
    )
    check.add_argument("--instance-type", metavar="TYPE", help="their type (training...)")
    check.add_argument("--job-name", default=PREFLIGHT_JOB, help="name used in the report")
    _common(check)

    job = commands.add_parser("job", help="check an existing job (read with its Describe API)")
    _workload(job)
    job.add_argument("name", help="the job's name")
    _common(job)

    replay = commands.add_parser("replay", help="check the job a saved EventBridge event names")
    replay.add_argument("event", type=Path, help="EventBridge event JSON file")
    replay.add_argument(
        "--allow-cross-account",
        action="store_true",
        help="check an event about another account with these credentials (they must see it)",
    )
    _common(replay)

    checks = commands.add_parser("checks", help="list the checks, their IDs and requirements")
    checks.add_argument("--json", action="store_true", help="print JSON")

    demo = commands.add_parser("demo", help="tell the whole story on emulated AWS")
    demo.add_argument("--plain", action="store_true", help="no colour or tables")
    return parser


def _workload(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--workload",
        choices=list(WORKLOADS),
        default=INFERENCE_RECOMMENDER,
        help=f"the job's kind (default {INFERENCE_RECOMMENDER}; docs/workloads.md)",
    )


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--region", help="AWS region (default: your configured region)")
    command.add_argument(
        "--mode",
        choices=[mode.value for mode in Mode],
        help="report (default) or apply: make the safe fixes",
    )
    command.add_argument("--json", action="store_true", help="print the JSON report")
    command.add_argument("--output-file", type=Path, help="also write the JSON report here")
    command.add_argument(
        "--strict", action="store_true", help="exit 1 on WARN (undetermined findings) too"
    )
    command.add_argument(
        "--stop-on-checks",
        nargs="+",
        metavar="CHECK_ID",
        help="with STOP_DOOMED_JOBS=true and --mode apply: only these checks may stop the job"
        " (default: the documented list, README 'Stopping doomed jobs')",
    )
    command.add_argument(
        "--mute-file",
        metavar="PATH",
        help='mute list JSON ({"mutes": [...]}): accepted findings stay in the report,'
        " out of the outcome",
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "checks":
        return _list_checks(args.json)
    if args.command == "demo":
        return _demo(plain=args.plain)
    return _run(args)


def _demo(*, plain: bool) -> int:
    try:  # imported here: only the demo needs moto and rich, which Lambda never ships
        from ir_vpc_guard_dev.demo import run_demo  # noqa: PLC0415
    except ImportError as error:
        return _fail(f"the demo needs the development environment ({error}): run make demo")
    return run_demo(plain=plain)


def _run(args: argparse.Namespace) -> int:
    """One command, with every failure the user can fix said in one line (exit 2)."""
    try:
        _validate(args)
        reports = COMMANDS[args.command](args, _settings(args))
    except UsageError as error:
        return _fail(str(error))
    except NoCredentialsError:
        return _fail("no AWS credentials found: run `aws configure` or set AWS_PROFILE")
    except NoRegionError:
        return _fail("no region: pass --region or set AWS_DEFAULT_REGION")
    except ClientError as error:
        return _fail(_client_error(error))
    except EndpointConnectionError as error:
        return _fail(f"AWS could not be reached: {error}")
    except BotoCoreError as error:  # a missing profile, partial credentials, bad parameters
        return _fail(str(error))
    except Exception as error:  # a bug: one line, and the traceback only when asked for
        if os.environ.get("IR_VPC_GUARD_DEBUG"):
            raise
        return _fail(
            f"unexpected {type(error).__name__}: {error} (IR_VPC_GUARD_DEBUG=1 shows more)"
        )
    # A replayed tuning event has a report per training definition: each is printed.
    return max(_output(report.to_dict(), render.text(report), args) for report in reports)


def _validate(args: argparse.Namespace) -> None:
    """Refuse, before any call, a value the API itself would refuse (its model's limits)."""
    if args.command == "job":
        _text("job name", args.name, WORKLOADS[args.workload].job_name)
    if args.command != "check":
        return
    workload = WORKLOADS[args.workload]
    _text("--job-name", args.job_name, workload.job_name)
    _arguments_of(workload, args)
    for flag, ids, limit in (
        ("--subnets", args.subnets, MAX_SUBNETS),
        ("--security-groups", args.security_groups, MAX_SECURITY_GROUPS),
    ):
        if len(ids) > limit:
            raise UsageError(f"{flag} takes 1 to {limit} IDs, got {len(ids)}")
        bad = [i for i in ids if not valid_vpc_id(i)]
        if bad:
            raise UsageError(f"{flag}: {bad[0]!r} is not an ID (letters, digits, -; 32 at most)")
    for flag, value, text_limit in (
        ("--role-arn", args.role_arn, ROLE_ARN),
        ("--model-package-arn", args.model_package_arn, MODEL_PACKAGE_ARN),
        ("--model-name", args.model_name, MODEL_NAME),
    ):
        if value is not None:
            _text(flag, value, text_limit)
    if args.max_parallel is not None and args.max_parallel < MIN_PARALLEL_OF_TESTS:
        raise UsageError(
            f"--max-parallel must be at least {MIN_PARALLEL_OF_TESTS}, got {args.max_parallel}"
        )
    if args.instance_types and len(args.instance_types) > MAX_ENDPOINT_CONFIGURATIONS:
        raise UsageError(
            f"--instance-types takes at most {MAX_ENDPOINT_CONFIGURATIONS} types,"
            f" got {len(args.instance_types)}"
        )


# Pre-flight arguments only Inference Recommender's request takes.
IR_ARGUMENTS = {
    "--model-package-arn": "model_package_arn",
    "--model-name": "model_name",
    "--max-parallel": "max_parallel",
    "--instance-types": "instance_types",
}


def _arguments_of(workload: Workload, args: argparse.Namespace) -> None:
    """Refuse an argument the workload's request has no member for."""
    own = {
        "--instance-count": ("instance_count", bool(workload.instance_count_path)),
        "--instance-type": ("instance_type", bool(workload.instance_type_path)),
    }
    own |= {
        flag: (name, workload.name == INFERENCE_RECOMMENDER) for flag, name in IR_ARGUMENTS.items()
    }
    for flag, (name, taken) in own.items():
        if getattr(args, name) is not None and not taken:
            raise UsageError(f"{flag} is not an argument of the {workload.name} workload")


def _text(label: str, value: str, limit: TextLimit) -> None:
    if not limit.fullmatch(value):
        raise UsageError(
            f"{label} {value[:80]!r} is not valid: {limit.min_length}-{limit.max_length}"
            f" characters matching {limit.pattern.pattern}"
        )


def _settings(args: argparse.Namespace) -> Settings:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise UsageError(str(error)) from None
    settings = replace(settings, remediation_mode=Mode(args.mode)) if args.mode else settings
    if args.stop_on_checks:
        settings = replace(settings, stop_on_checks=frozenset(args.stop_on_checks))
    try:
        stoppable_checks(settings)
        enabled(settings)
    except SettingsError as error:
        raise UsageError(str(error)) from None
    if settings.remediation_mode is Mode.APPLY and not settings.idempotency_table:
        print(
            "ir-vpc-guard: note: without IDEMPOTENCY_TABLE (the stack's table) these writes are"
            " not serialized with the deployed guardrail's",
            file=sys.stderr,
        )
    return settings


def _session(region: str | None) -> tuple[boto3.session.Session, str]:
    session = boto3.session.Session(region_name=region)
    if session.region_name is None:
        raise NoRegionError()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        for service in ("ec2", "sagemaker"):
            known = [
                region
                for partition in session.get_available_partitions()
                for region in session.get_available_regions(service, partition_name=partition)
            ]
            if session.region_name not in known:
                what = "unknown region" if service == "ec2" else "no SageMaker in region"
                raise UsageError(f"{what} {session.region_name!r}: pass --region, e.g. us-east-1")
    if session.get_credentials() is None:
        raise NoCredentialsError()
    return session, session.region_name


def _account(session: boto3.session.Session, region: str) -> str:
    """The credentials' account; also the first call, so an endpoint that cannot serve the
    region is named in one line here rather than in one CHECK_ERROR per read."""
    sts = session.client("sts", region_name=region)
    try:
        return str(sts.get_caller_identity()["Account"])
    except (BotoConnectionError, ResponseParserError) as error:  # any status, HTML body
        why = type(error).__name__
        raise UsageError(_unreachable(region, sts.meta.endpoint_url, why)) from None


def _unreachable(region: str, endpoint: str, why: str) -> str:
    return (
        f"region {region}: {endpoint} cannot serve it ({why}): check --region,"
        " AWS_ENDPOINT_URL and the network"
    )


def _check(args: argparse.Namespace, settings: Settings) -> tuple[Report, ...]:
    session, region = _session(args.region)
    workload = WORKLOADS[args.workload]
    request = preflight_request(
        account=_account(session, region),
        region=region,
        subnets=args.subnets,
        security_groups=args.security_groups,
        role_arn=args.role_arn,
        model_package_arn=args.model_package_arn,
        model_name=args.model_name,
        max_parallel=args.max_parallel,
        instance_types=args.instance_types,
        job_name=args.job_name,
        workload=workload,
        instance_count=args.instance_count,
        instance_type=args.instance_type,
    )
    if isinstance(request, JobRequest) and request.input_problems:
        # What the workload's own limits refuse (e.g. 101 processing instances).
        raise UsageError("; ".join(request.input_problems))
    return (_check_request(request, AwsClients(region, session=session), settings, _mutes(args)),)


def _mutes(args: argparse.Namespace) -> mutes.MuteList:
    """An unusable file mutes nothing (the report says so in MUTE_LIST_INVALID)."""
    return mutes.load_file(args.mute_file) if args.mute_file else mutes.EMPTY


def _job(args: argparse.Namespace, settings: Settings) -> tuple[Report, ...]:
    session, region = _session(args.region)
    clients = AwsClients(region, session=session)
    requests = existing_job(
        clients.sagemaker,
        args.name,
        account=_account(session, region),
        region=region,
        workload=WORKLOADS[args.workload],
    )
    mute_list = _mutes(args)
    return tuple(_check_request(r, clients, settings, mute_list) for r in requests)


def _replay(args: argparse.Namespace, settings: Settings) -> tuple[Report, ...]:
    try:
        event = json.loads(args.event.read_text())
    except OSError as error:
        raise UsageError(f"cannot read {args.event}: {error.strerror}") from None
    except ValueError as error:
        raise UsageError(f"{args.event} is not JSON: {error}") from None
    session, region = _session(args.region or _event_region(event))
    account = _account(session, region)
    if args.allow_cross_account:
        settings = replace(settings, allow_cross_account=True)
    reports = handle_event(
        event,
        settings,
        lambda r: AwsClients(r, session=session),
        home_account=account,
        lock=vpc_lock(settings, AwsClients(region, session=session)),
        mute_list=_mutes(args),
    )
    skipped = reports[0].outcome.value == "SKIPPED"
    # Skipped for the account rule alone: readable without it, skipped with it.
    foreign = not isinstance(
        read_event(event, workloads=enabled(settings)), Skipped
    ) and isinstance(read_event(event, account, enabled(settings)), Skipped)
    if skipped and not settings.allow_cross_account and foreign:
        # Checkable but for the account rule: say how to check it anyway.
        print(
            "ir-vpc-guard: note: with credentials that can read that account's VPC, pass"
            " --allow-cross-account to check it",
            file=sys.stderr,
        )
    return reports


def _event_region(event: Any) -> str | None:
    region = event.get("region") if isinstance(event, dict) else None
    return region if isinstance(region, str) else None


def _check_request(
    request: JobRequest | Skipped,
    clients: AwsClients,
    settings: Settings,
    mute_list: mutes.MuteList,
) -> Report:
    if isinstance(request, Skipped):
        return skipped_report(request, settings.remediation_mode)
    return check_job(
        request,
        clients,
        settings,
        lock=vpc_lock(settings, clients),
        mute_list=mute_list,
        home_account=request.account,
    )


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], tuple[Report, ...]]] = {
    "check": _check,
    "job": _job,
    "replay": _replay,
}


def _output(report: dict[str, Any], text: str, args: argparse.Namespace) -> int:
    unreachable = _unreachable_reads(report)
    changed = any(a.get("status") == "APPLIED" for a in report.get("actions", []))
    if unreachable and not changed:  # one line, not a CHECK_ERROR per read that failed
        return _fail(
            f"region {report['region']}: the endpoints of {', '.join(unreachable)} could not"
            " serve it (no connection, or not an AWS answer): check --region, AWS_ENDPOINT_URL"
            " and that these services exist in the region"
        )
    print(json.dumps(report, indent=2) if args.json else text)
    if args.output_file:  # after printing: a report of changes made is never lost
        try:
            args.output_file.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as error:
            return _fail(f"cannot write {args.output_file}: {error.strerror}")
    denied = _denied_reads(report)
    if denied:
        print(
            f"ir-vpc-guard: access denied to {', '.join(denied)}: grant these read actions "
            "to the credentials in use (README, 'IAM permissions')",
            file=sys.stderr,
        )
        return EXIT_USAGE  # an incomplete answer: the credentials, not the job, need fixing
    if report["outcome"] == "ERROR":
        print(
            "ir-vpc-guard: some checks could not run: see the CHECK_ERROR findings",
            file=sys.stderr,
        )
    if args.strict and report["outcome"] == "WARN":
        return EXIT_FINDINGS
    return EXIT_BY_OUTCOME[report["outcome"]]


def _denied_reads(report: dict[str, Any]) -> list[str]:
    return sorted(
        {
            f["evidence"]["api"]
            for f in report.get("findings", [])
            if f["checkId"] == CHECK_ERROR and f["evidence"].get("errorCode") in ACCESS_DENIED
        }
    )


def _unreachable_reads(report: dict[str, Any]) -> list[str]:
    """The services whose reads failed because no AWS endpoint answered for the region."""
    return sorted(
        {
            str(f["evidence"].get("api", "unknown")).partition(":")[0]
            for f in report.get("findings", [])
            if f["checkId"] == CHECK_ERROR
            and (
                str(f["evidence"].get("errorCode")) in UNREACHABLE
                or str(f["evidence"].get("errorCode")).isdigit()
            )
        }
    )


def _client_error(error: ClientError) -> str:
    info = error.response.get("Error", {})
    code = str(info.get("Code", "Unknown"))
    if code in ACCESS_DENIED:
        return f"access denied to {error.operation_name}: use credentials that allow it"
    if code == "ValidationException" and error.operation_name.startswith("Describe"):
        return f"{error.operation_name}: {info.get('Message', code)}"
    return f"{error.operation_name} failed with {code}: {info.get('Message', '')}"


def applies_to(check_id: str) -> list[str]:
    """The workloads a check judges (`Check.judges`)."""
    return [w.name for w in WORKLOADS.values() if CATALOGUE[check_id].judges(w)]


def _list_checks(as_json: bool) -> int:
    rows = [
        {
            "checkId": c.check_id,
            "severity": c.severity.value,
            "requirement": c.requirement,
            "remediable": c.remediable,
            "title": c.title,
            "workloads": applies_to(c.check_id),
        }
        for c in CATALOGUE.values()
    ]
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            fix = "auto-fix" if row["remediable"] else "manual"
            print(
                f"{row['checkId']:<32} {row['severity']:<8} {row['requirement']:<4} "
                f"{fix:<8} {row['title']} [{', '.join(applies_to(str(row['checkId'])))}]"
            )
    return EXIT_OK


def _fail(message: str) -> int:
    print(f"ir-vpc-guard: {message}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
