"""Instrumented boto3 sessions: count every API call, time it, inject network delay.

Everything here works through botocore event hooks registered on one session, like
tests/integration/calls.py, so the engine runs unchanged. Three hooks matter:

* `before-call.*.*` counts the call, notes when it started and, only inside `delayed()`,
  sleeps for the injected delay (it runs before the fake simulator below, so that call is
  delayed too: on AWS it is a real round trip). The hook is registered once, before any
  client exists, because botocore copies a session's handlers into each client when the
  client is made: a hook added later would never reach clients kept across runs. Worlds
  are built with another, plain session, so the delay never touches world building;
* `after-call.*.*` / `after-call-error.*.*` note when it ended and how many bytes came back;
* `request-created` / `before-parse` bracket the in-process emulator (moto answers in
  `before-send`, between the two): the CPU time a thread spends there is the emulator's,
  which on AWS runs on AWS's side, in parallel, not on the Lambda's one GIL;
* AWS-style paging for the naive baseline: moto ignores MaxResults on the EC2 describe
  calls and always answers everything in one page, so when a request sets MaxResults the
  answer is cut to that many items with a NextToken, as AWS does. Requests without
  MaxResults (the product's) are untouched: AWS answers those unpaginated too.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard_dev.sandbox import MOTO_ENVIRONMENT

REGION = "us-east-1"
DELAY_SECONDS = 0.040
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "ir-vpc-guard",
    "POWERTOOLS_METRICS_NAMESPACE": "IrVpcGuard",
    **MOTO_ENVIRONMENT,  # the worlds' role holds AWS's managed policy, as moto ships it
}
UNSAFE_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "IDEMPOTENCY_TABLE", "TOPIC_ARN")

try:  # the same narrow SimulatePrincipalPolicy fake as the integration tests
    from tests.integration.calls import _Http
except ImportError:  # a checkout without tests/: the same four lines, replicated

    class _Http:  # type: ignore[no-redef]
        status_code = 200


def use_fake_aws_env() -> None:
    """Fake credentials and a fixed region, so nothing can reach a real account."""
    for name in UNSAFE_ENV:
        os.environ.pop(name, None)
    os.environ.update(FAKE_ENV)


def simulate_allowed(params: dict[str, Any], **_: Any) -> Any:  # (response, parsed)
    """moto lacks iam:SimulatePrincipalPolicy: answer "allowed" for every action asked."""
    body = params["body"]  # the serialized query: ActionNames.member.N = action
    actions = [v for k, v in sorted(body.items()) if k.startswith("ActionNames.member.")]
    results = [{"EvalActionName": a, "EvalDecision": "allowed"} for a in actions]
    return _Http(), {"EvaluationResults": results, "IsTruncated": False}


@dataclass
class CallLog:
    """What one measured run asked of AWS."""

    calls: Counter[str] = field(default_factory=Counter)
    intervals: list[tuple[float, float, str]] = field(default_factory=list)  # start, end, op
    bytes_in: int = 0
    bytes_by_call: Counter[str] = field(default_factory=Counter)
    emulator_cpu: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def waves(self) -> list[list[str]]:
        """Calls by wave: a call's wave is one more than that of the latest-waved call that
        ended before it started. Their number is the longest chain of calls one after the
        other, the waves a client must wait for, whatever the emulator's own CPU time."""
        ended: list[tuple[float, int]] = []  # (end, wave) of the calls seen so far
        waves: list[list[str]] = []
        for start, end, operation in sorted(self.intervals):
            wave = 1 + max((n for e, n in ended if e <= start), default=0)
            ended.append((end, wave))
            waves += [[] for _ in range(wave - len(waves))]
            waves[wave - 1].append(operation)
        return waves

    def depth(self) -> int:
        return len(self.waves())


class Instrumented:
    """A boto3 session whose clients report every call into `log`."""

    def __init__(self) -> None:
        self.session = boto3.session.Session(region_name=REGION)
        self.log = CallLog()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: dict[str, AwsClients] = {}
        self.delay = 0.0  # seconds each call sleeps; set only inside `delayed()`
        events = self.session.events
        events.register("before-call.*.*", self._before)
        events.register("before-call.iam.SimulatePrincipalPolicy", simulate_allowed)
        events.register("before-call.ec2.*", _remember_page)
        events.register("after-call.ec2.*", _cut_page)
        events.register("after-call.*.*", self._after)
        events.register("after-call-error.*.*", self._after)
        events.register("request-created.*.*", self._emulator_starts)
        events.register("before-parse.*.*", self._emulator_ends)

    def clients(self, region: str) -> AwsClients:
        """One set of clients per region for the session's life, as the Lambda handler keeps."""
        with self._lock:
            if region not in self._clients:
                self._clients[region] = AwsClients(region, session=self.session)
            return self._clients[region]

    def reset(self) -> CallLog:
        with self._lock:
            self.log = CallLog()
        return self.log

    @contextmanager
    def delayed(self, seconds: float = DELAY_SECONDS) -> Iterator[CallLog]:
        """A fresh log; every call inside sleeps `seconds` first (0: no delay)."""
        log = self.reset()
        self.delay = seconds
        try:
            yield log
        finally:
            self.delay = 0.0

    def _before(self, event_name: str, context: dict[str, Any], **_: Any) -> None:
        _stage, service, operation = event_name.split(".", 2)
        context["bench_started"] = time.perf_counter()
        with self._lock:
            self.log.calls[f"{service}.{operation}"] += 1
        if self.delay:
            time.sleep(self.delay)

    def _after(
        self, event_name: str, context: dict[str, Any], http_response: Any = None, **_: Any
    ) -> None:
        ended = time.perf_counter()
        _stage, service, operation = event_name.split(".", 2)
        size = len(getattr(http_response, "content", b"") or b"")
        with self._lock:
            started = context.get("bench_started", ended)
            self.log.intervals.append((started, ended, f"{service}.{operation}"))
            self.log.bytes_in += size
            self.log.bytes_by_call[f"{service}.{operation}"] += size

    def _emulator_starts(self, **_: Any) -> None:
        self._local.started = time.thread_time()

    def _emulator_ends(self, **_: Any) -> None:
        spent = time.thread_time() - getattr(self._local, "started", time.thread_time())
        with self._lock:
            self.log.emulator_cpu += spent


def _remember_page(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    body = params.get("body")
    if isinstance(body, dict) and "MaxResults" in body:
        context["bench_page"] = (int(body["MaxResults"]), int(body.get("NextToken") or 0))


def _cut_page(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    page = context.get("bench_page")
    if page is None:
        return
    size, offset = page
    key = next((k for k, v in parsed.items() if isinstance(v, list)), None)
    if key is None:
        return
    items = parsed[key]
    parsed[key] = items[offset : offset + size]
    parsed.pop("NextToken", None)
    if offset + size < len(items):
        parsed["NextToken"] = str(offset + size)
