"""The S3 path the R5 checks and remediation share: gateway endpoints, how sure a table's
path is broken, and whether an endpoint's policy lets the job's reads through."""

import json

import pytest

from ir_vpc_guard.checks.policy import Decision
from ir_vpc_guard.checks.s3path import (
    Hop,
    Route,
    TablePath,
    gateway_endpoints,
    refused_objects,
    s3_paths,
    table_severity,
)
from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import Severity
from tests.snapshots import S3_CIDRS, compliant, endpoint

OBJECT = "arn:aws:s3:::models/m.tar.gz"


def path(*hops: Hop | None) -> TablePath:
    """A table whose S3 ranges take these hops (None: no route)."""
    routes = tuple(Route("0.0.0.0/0", (0, 2**32 - 1), 0, "x", h) if h else None for h in hops)
    return TablePath("rtb-1", ("subnet-a",), {S3_CIDRS[0]: routes})


@pytest.mark.parametrize(
    ("hops", "severity"),
    [
        ((Hop.ENDPOINT,), None),
        ((Hop.NAT,), Severity.LOW),
        ((Hop.OTHER,), Severity.MEDIUM),
        ((Hop.INTERNET_GATEWAY,), Severity.HIGH),
        ((Hop.BLACKHOLE,), Severity.HIGH),
        ((None,), Severity.HIGH),
        ((Hop.ENDPOINT, Hop.NAT), Severity.LOW),
        ((Hop.NAT, Hop.OTHER, Hop.ENDPOINT), Severity.MEDIUM),
        ((Hop.OTHER, Hop.BLACKHOLE), Severity.HIGH),
    ],
)
def test_table_severity_is_that_of_the_worst_hop(
    hops: tuple[Hop | None, ...], severity: Severity | None
) -> None:
    assert table_severity(path(*hops)) is severity


def test_the_compliant_tables_go_to_the_endpoint() -> None:
    assert [table_severity(p) for p in s3_paths(compliant())] == [None]


def test_gateway_endpoints_by_type_and_state() -> None:
    pending = {**endpoint(["rtb-1"]), "State": "Pending"}
    interface = endpoint(["rtb-1"], kind="Interface")
    snapshot = compliant(s3_endpoints=Read(value=[pending, interface, endpoint(["rtb-2"])]))
    assert [e["RouteTableIds"] for e in gateway_endpoints(snapshot)] == [["rtb-2"]]
    assert gateway_endpoints(snapshot, "pending") == [pending]


def test_refused_objects_are_the_jobs_objects_the_policy_does_not_allow() -> None:
    def policy(resource: str) -> str:
        statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        return json.dumps({"Statement": [{**statement, "Resource": resource}]})

    snapshot = compliant()
    assert refused_objects(snapshot, endpoint(["rtb-1"])) == {}  # no policy: full access
    assert refused_objects(snapshot, endpoint(["rtb-1"], policy("arn:aws:s3:::models/*"))) == {}
    refused = refused_objects(snapshot, endpoint(["rtb-1"], policy("arn:aws:s3:::other/*")))
    assert list(refused) == [OBJECT]
    assert refused[OBJECT].decision is Decision.IMPLICIT_DENY
