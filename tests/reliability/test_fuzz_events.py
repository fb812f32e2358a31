"""Hypothesis-generated events: nothing raises, each is skipped or checked with a reason,
and no invalid ID ever reaches an AWS call. `make fuzz` runs 10,000 of them."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label
from hypothesis import strategies as st
from moto import mock_aws

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.intake.event import parse_event
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from tests.conftest import load_event

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
VALID_ID = re.compile(r"[-0-9a-zA-Z]{1,32}")
ID_PARAMS = ("SubnetIds", "GroupIds", "VpcIds", "VpcId", "DhcpOptionsIds")

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False),
    st.text(max_size=64),
    # 10 kB strings of shell, JSON and bidi metacharacters.
    st.builds(
        lambda piece, n: (piece * n)[:n],
        st.text(min_size=1, max_size=8, alphabet="ab;$`'\"{}\\\n\u202e\u00e9"),
        st.integers(10_000, 10_240),
    ),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
nasty_id = st.one_of(
    st.from_regex(r"(subnet|sg)-[0-9a-f]{17}", fullmatch=True),
    st.text(max_size=40),
    st.sampled_from(
        ["sg-1;rm -rf /", 'sg-"}]', "subnet-$(id)", "subnet-\u0000", "a" * 33, "", "sg-ünï"]
    ),
    json_value,
)
PATHS = [
    ("detail",),
    ("detail", "requestParameters"),
    ("detail", "requestParameters", "inputConfig"),
    ("detail", "requestParameters", "inputConfig", "vpcConfig"),
    ("detail", "requestParameters", "inputConfig", "vpcConfig", "subnets"),
    ("detail", "requestParameters", "inputConfig", "vpcConfig", "securityGroupIds"),
    ("detail", "requestParameters", "roleArn"),
    ("detail", "requestParameters", "jobName"),
    ("detail", "eventName"),
    ("detail", "errorCode"),
    ("account",),
    ("region",),
    ("source",),
]


@st.composite
def events(draw: st.DrawFn) -> Any:
    event = copy.deepcopy(
        load_event(draw(st.sampled_from(["good_job", "advanced_job", "good_job_pascal_case"])))
    )
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = event
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict):
            continue
        action = draw(st.sampled_from(["delete", "replace", "ids", "huge", "recase"]))
        key = path[-1]
        if action == "delete":
            parent.pop(key, None)
        elif action == "replace":
            parent[key] = draw(json_value)
        elif action == "ids":
            parent[key] = draw(st.lists(nasty_id, max_size=20))
        elif action == "huge":
            parent[key] = [f"subnet-{n:017x}" for n in range(draw(st.integers(17, 5000)))]
        elif key in parent:
            parent[key[:1].upper() + key[1:]] = parent.pop(key)
    return draw(st.one_of(st.just(event), json_value)) if draw(st.integers(0, 20)) == 0 else event


@pytest.fixture(scope="module")
def account() -> Iterator[Any]:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.session.Session(region_name="us-east-1")
        sent: list[tuple[str, Any]] = []

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            sent.append((model.name, params))

        session.events.register("provide-client-params.*.*", record)
        yield session, sent


def _ids_sent(params: dict[str, Any]) -> list[Any]:
    ids: list[Any] = []
    for name in ID_PARAMS:
        value = params.get(name)
        ids.extend(value if isinstance(value, list) else [value] if value is not None else [])
    for item in params.get("Filters", []):
        if item.get("Name") in {"subnet-id", "group-id", "vpc-id", "association.subnet-id"}:
            ids.extend(item.get("Values", []))
    return ids


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=events())
def test_no_event_crashes_or_leaks_an_invalid_id(account: Any, event: Any) -> None:
    session, sent = account
    sent.clear()
    report = handle_event(
        event, Settings(), lambda r: AwsClients(r, session=session), lock=LocalVpcLock()
    )[0].to_dict()
    intake = parse_event(event)
    label(report["outcome"])
    if not isinstance(intake, JobRequest):
        assert report["outcome"] == "SKIPPED" and report["reason"]
        assert sent == []
    elif not intake.vpc_config_valid:
        assert [f["checkId"] for f in report["findings"]] == ["VPC_CONFIG_INVALID"]
        assert report["findings"][0]["detail"]
        assert sent == []
    for _operation, params in sent:
        for value in _ids_sent(params):
            assert isinstance(value, str) and VALID_ID.fullmatch(value), value
