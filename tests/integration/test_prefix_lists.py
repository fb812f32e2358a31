"""Security-group rules that name a customer-managed prefix list, against moto: its entries
are read (only when a rule names it) and judged like CIDRs; unreadable entries never make a
silent pass or a false HIGH."""

from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import ROLE_ADVISORY, load_event
from tests.integration.calls import clients_factory, counting_session
from tests.integration.egress_rules import VPC_RULE, https_to, replace_rule, revoke_rule, s3_rule

S3_RANGES = ["52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16"]  # moto's S3 list entries


def customer_list(session: Any, name: str, cidrs: list[str]) -> str:
    return str(
        session.client("ec2").create_managed_prefix_list(
            PrefixListName=name,
            MaxEntries=10,
            AddressFamily="IPv4",
            Entries=[{"Cidr": c} for c in cidrs],
        )["PrefixList"]["PrefixListId"]
    )


def check(world: World, session: Any | None = None) -> dict[str, Any]:
    factory = clients_factory(session) if session is not None else None
    event = world.event(load_event("good_job"))
    report = (
        handle_event(event, Settings(), factory, lock=LocalVpcLock())[0]
        if factory
        else handle_event(event, Settings(), lock=LocalVpcLock())[0]
    )
    return report.to_dict()


def findings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The findings by check, but the role's LOW advisory (every world's role holds only
    AWS's AmazonSageMakerFullAccess; test_managed_policies judges it)."""
    return {f["checkId"]: f for f in report["findings"] if f["checkId"] != ROLE_ADVISORY}


def test_a_customer_list_covering_s3_allows_https_to_s3(aws: Any, world: World) -> None:
    mine = customer_list(aws, "corp-s3", S3_RANGES)
    replace_rule(aws, world, s3_rule(world), https_to(mine))
    assert check(world)["outcome"] == "PASS"


def test_a_customer_list_missing_one_s3_range_is_a_certain_finding(aws: Any, world: World) -> None:
    mine = customer_list(aws, "corp-s3", S3_RANGES[:2])
    replace_rule(aws, world, s3_rule(world), https_to(mine))
    found = findings(check(world))
    assert list(found) == ["SG_EGRESS_S3_MISSING"]
    assert found["SG_EGRESS_S3_MISSING"]["severity"] == "HIGH"
    assert "undetermined" not in found["SG_EGRESS_S3_MISSING"]["evidence"]


def test_a_customer_list_on_the_wrong_port_does_not_count(aws: Any, world: World) -> None:
    mine = customer_list(aws, "corp-s3", S3_RANGES)
    replace_rule(aws, world, s3_rule(world), https_to(mine, 80, 80))
    assert list(findings(check(world))) == ["SG_EGRESS_S3_MISSING"]


def test_a_customer_list_covering_the_vpc_allows_the_job_subnets(aws: Any, world: World) -> None:
    mine = customer_list(aws, "corp-vpc", ["10.0.0.0/16"])
    replace_rule(aws, world, VPC_RULE, https_to(mine, 0, 65535))
    assert check(world)["outcome"] == "PASS"
    narrow = customer_list(aws, "corp-one-subnet", ["10.0.1.0/24"])
    replace_rule(aws, world, https_to(mine, 0, 65535), https_to(narrow, 0, 65535))
    found = findings(check(world))
    assert list(found) == ["SG_EGRESS_SUBNETS_MISSING"]
    assert list(found["SG_EGRESS_SUBNETS_MISSING"]["evidence"]["missingCidrs"]) == [
        world.subnet_ids[1]
    ]


def _deny_entries_of(prefix_list: str) -> Any:
    """AccessDenied on GetManagedPrefixListEntries for one list only (moto answers every
    read; the S3 list's own entries read must still succeed)."""

    def deny(params: dict[str, Any], **_: Any) -> None:
        if params["body"].get("PrefixListId") == prefix_list:  # the serialized query
            raise ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}},
                "GetManagedPrefixListEntries",
            )

    return deny


def test_unreadable_entries_that_decide_the_verdict_are_undetermined(
    aws: Any, world: World
) -> None:
    mine = customer_list(aws, "corp-s3", S3_RANGES)
    replace_rule(aws, world, s3_rule(world), https_to(mine))
    session = counting_session(Counter())
    session.events.register("before-call.ec2.GetManagedPrefixListEntries", _deny_entries_of(mine))
    found = findings(check(world, session))
    assert list(found) == ["SG_EGRESS_S3_MISSING"]
    finding = found["SG_EGRESS_S3_MISSING"]
    assert finding["severity"] == "MEDIUM"
    assert mine in finding["evidence"]["undetermined"]
    assert "UnauthorizedOperation" in finding["evidence"]["undetermined"]
    assert finding["remediation"]["command"] == (
        f"aws ec2 get-managed-prefix-list-entries --prefix-list-id {mine}"
    )


def test_unreadable_entries_that_cannot_matter_change_nothing(aws: Any, world: World) -> None:
    # The world's own rules already allow everything; a list on UDP could not add TCP.
    mine = customer_list(aws, "corp-dns", ["10.0.0.2/32"])
    calls: Counter[str] = Counter()
    aws.client("ec2").authorize_security_group_egress(
        GroupId=world.group_ids[0],
        IpPermissions=[{**https_to(mine, 53, 53), "IpProtocol": "udp"}],
    )
    session = counting_session(calls)
    session.events.register("before-call.ec2.GetManagedPrefixListEntries", _deny_entries_of(mine))
    assert check(world, session)["outcome"] == "PASS"
    assert calls["ec2.GetManagedPrefixListEntries"] == 2  # S3's, then the denied one
    # Without the S3 rule, the UDP list cannot allow HTTPS: a certain HIGH, not undetermined.
    revoke_rule(aws, world, s3_rule(world))
    found = findings(check(world, session))
    assert found["SG_EGRESS_S3_MISSING"]["severity"] == "HIGH"
