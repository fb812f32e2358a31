"""The peer fix never writes anything wider than the group itself, whatever the rules, the
instance types or the encryption flag of a distributed job (a property test, with the
recording EC2 double of test_remediation_limits: the property is about the requests sent)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ir_vpc_guard.checks import run_checks
from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.remediation.executor import Executor
from ir_vpc_guard.remediation.gates import gate
from ir_vpc_guard.remediation.planner import plan
from tests.reliability.test_remediation_limits import APPLY, Clients, RecordingEc2, cidrs
from tests.snapshots import GROUP, compliant, group, job, rule

OTHER_GROUP = "sg-2"


def _inbound(protocol: str, low: int, cidr: str, source: str) -> dict[str, Any]:
    """A rule from a CIDR, or from a group (the job's own, its other one, or a stranger)."""
    if source == "cidr":
        return rule(protocol, low, low + 10, cidrs=[cidr])
    return rule(protocol, low, low + 10, groups=[source])


inbound_rules = st.lists(
    st.builds(
        _inbound,
        st.sampled_from(["tcp", "udp", "-1", "50", "17"]),
        st.integers(0, 65000),
        cidrs,
        st.sampled_from(["cidr", GROUP, OTHER_GROUP, "sg-stranger"]),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    inbound=inbound_rules,
    encrypted=st.booleans(),
    instance_type=st.sampled_from(["ml.m5.xlarge", "ml.p4d.24xlarge"]),
    groups=st.sampled_from([(GROUP,), (GROUP, OTHER_GROUP)]),
)
def test_no_inbound_rule_is_ever_wider_than_the_group_itself(
    inbound: list[dict[str, Any]], encrypted: bool, instance_type: str, groups: tuple[str, ...]
) -> None:
    training = job(
        workload="training",
        model_package_arn=None,
        security_groups=groups,
        instance_count=2,
        instance_groups=((instance_type, 2),),
        inter_container_encryption=encrypted,
    )
    found = {g: {**group(g), "IpPermissions": inbound if g == GROUP else []} for g in groups}
    snapshot = compliant(job=training, security_groups=Read(value=found))
    actions = gate(plan(snapshot, run_checks(snapshot).findings), snapshot, APPLY)
    ec2 = RecordingEc2(list(found.values()))  # type: ignore[arg-type]
    Executor(Clients(ec2), snapshot).apply(actions)  # type: ignore[arg-type]
    for name, params in ec2.calls:
        assert not name.startswith(("revoke", "delete")), name
        if name != "authorize_security_group_ingress":
            continue
        assert params["GroupId"] == GROUP
        [permission] = params["IpPermissions"]
        assert set(permission) == {"IpProtocol", "UserIdGroupPairs"}
        assert permission["IpProtocol"] == "-1"
        assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [GROUP]


def test_a_job_with_no_inbound_rule_sends_exactly_the_self_reference() -> None:
    training = job(
        workload="training", model_package_arn=None, instance_count=2, instance_groups=()
    )
    snapshot = compliant(job=training)
    actions = gate(plan(snapshot, run_checks(snapshot).findings), snapshot, APPLY)
    ec2 = RecordingEc2([group()])
    Executor(Clients(ec2), snapshot).apply(actions)  # type: ignore[arg-type]
    [params] = [p for n, p in ec2.calls if n == "authorize_security_group_ingress"]
    assert params["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == GROUP
