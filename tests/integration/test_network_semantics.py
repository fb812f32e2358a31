"""AWS's network semantics against moto, one variant of the compliant world at a time: DNS
server order, the NACL return path, capacity, and subnets of another VPC."""

from typing import Any

from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings
from ir_vpc_guard.state.lock import LocalVpcLock
from ir_vpc_guard_dev.sandbox import World
from tests.conftest import ROLE_ADVISORY


def _report(event: dict[str, Any]) -> dict[str, Any]:
    return handle_event(event, Settings(), lock=LocalVpcLock())[0].to_dict()


def _findings(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The findings by check, but the role's LOW advisory (every world's role holds only
    AWS's AmazonSageMakerFullAccess; test_managed_policies judges it)."""
    found = _report(event)["findings"]
    return {f["checkId"]: f for f in found if f["checkId"] != ROLE_ADVISORY}


def _dhcp(session: Any, world: World, servers: list[str]) -> None:
    ec2 = session.client("ec2")
    options = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name-servers", "Values": servers}]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=world.vpc_id)


def test_amazon_dns_first_passes(aws: Any, world: World, good_event: dict[str, Any]) -> None:
    _dhcp(aws, world, ["AmazonProvidedDNS", "10.0.0.53"])
    assert _report(good_event)["outcome"] == "PASS"


def test_a_custom_first_server_is_custom_dns_even_with_amazon_dns_later(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _dhcp(aws, world, ["10.0.0.53", "AmazonProvidedDNS"])
    found = _findings(good_event)
    assert list(found) == ["VPC_CUSTOM_DNS"]
    assert found["VPC_CUSTOM_DNS"]["evidence"]["domainNameServers"] == [
        "10.0.0.53",
        "AmazonProvidedDNS",
    ]


def _job_acl(session: Any, world: World, return_ports: tuple[int, int]) -> None:
    """A new ACL on the job subnets: all out, and back in only on `return_ports` (plus the
    VPC, so the job subnets still talk to each other)."""
    ec2 = session.client("ec2")
    acl = ec2.create_network_acl(VpcId=world.vpc_id)["NetworkAcl"]["NetworkAclId"]
    entries = [
        (100, True, "0.0.0.0/0", None),
        (100, False, "10.0.0.0/16", None),
        (110, False, "0.0.0.0/0", return_ports),
    ]
    for number, egress, cidr, ports in entries:
        extra = {"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol="6" if ports else "-1",
            RuleAction="allow",
            Egress=egress,
            CidrBlock=cidr,
            **extra,
        )
    for subnet in world.subnet_ids:
        association = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"][0]["Associations"]
        current = next(a for a in association if a["SubnetId"] == subnet)
        ec2.replace_network_acl_association(
            AssociationId=current["NetworkAclAssociationId"], NetworkAclId=acl
        )


def test_nacl_return_path_on_all_ephemeral_ports_passes(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _job_acl(aws, world, (1024, 65535))
    assert _report(good_event)["outcome"] == "PASS"


def test_nacl_return_path_on_linux_ports_only_is_a_low_advisory(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _job_acl(aws, world, (32768, 65535))
    report = _report(good_event)
    [finding] = [f for f in report["findings"] if f["checkId"] != ROLE_ADVISORY]
    assert finding["checkId"] == "NACL_BLOCKS_S3" and finding["severity"] == "LOW"
    assert report["outcome"] == "PASS"  # LOW never blocks


def test_nacl_return_path_short_of_linux_ports_stays_high(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _job_acl(aws, world, (49152, 65535))
    found = _findings(good_event)
    assert list(found) == ["NACL_BLOCKS_S3"]
    assert found["NACL_BLOCKS_S3"]["severity"] == "HIGH"


def _small_subnet(session: Any, world: World, event: dict[str, Any]) -> str:
    ec2 = session.client("ec2")
    subnet = ec2.create_subnet(VpcId=world.vpc_id, CidrBlock="10.0.200.0/28")["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=world.route_table_ids[0], SubnetId=subnet)
    event["detail"]["requestParameters"]["inputConfig"]["vpcConfig"]["subnets"].append(subnet)
    return str(subnet)  # a /28: 11 free IPs


def test_capacity_from_an_assumed_count_is_undetermined(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    small = _small_subnet(aws, world, good_event)  # Default job, no MaxParallelOfTests
    found = _findings(good_event)
    assert list(found) == ["SUBNET_IP_CAPACITY"]
    finding = found["SUBNET_IP_CAPACITY"]
    assert finding["severity"] == "MEDIUM"
    assert finding["evidence"]["freeIps"] == {small: 11}
    assert finding["evidence"]["undetermined"].startswith("instances a Default job runs at once")


def _advanced(event: dict[str, Any], values: list[str], parallel: int | None) -> None:
    params = event["detail"]["requestParameters"]
    params["jobType"] = "Advanced"
    params["inputConfig"]["endpointConfigurations"] = [
        {
            "instanceType": "ml.c5.xlarge",
            "environmentParameterRanges": {
                "categoricalParameterRanges": [{"name": "OMP_NUM_THREADS", "value": values}]
            },
        }
    ]
    if parallel is not None:
        params["inputConfig"]["resourceLimit"] = {"maxParallelOfTests": parallel}


def test_advanced_capacity_counts_parameter_combinations(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _small_subnet(aws, world, good_event)
    _advanced(good_event, ["1", "2", "4"], None)  # 3 tests x 2 IPs = 6 <= 11
    assert _report(good_event)["outcome"] == "PASS"


def test_advanced_capacity_short_for_its_combinations_is_certain(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _small_subnet(aws, world, good_event)
    event = good_event
    params = event["detail"]["requestParameters"]
    _advanced(event, ["1", "2", "4"], None)
    params["inputConfig"]["endpointConfigurations"][0]["environmentParameterRanges"][
        "categoricalParameterRanges"
    ].append({"name": "BATCH", "value": ["8", "16"]})  # 3 x 2 = 6 tests x 2 IPs = 12 > 11
    found = _findings(event)
    assert list(found) == ["SUBNET_IP_CAPACITY"]
    assert found["SUBNET_IP_CAPACITY"]["severity"] == "HIGH"
    assert found["SUBNET_IP_CAPACITY"]["evidence"]["instances"] == 6
    # MaxParallelOfTests below the test count bounds the instances at once.
    params["inputConfig"]["resourceLimit"] = {"maxParallelOfTests": 5}
    assert _report(event)["outcome"] == "PASS"


def test_a_subnet_of_another_vpc_is_judged_only_as_a_mismatch(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    ec2 = aws.client("ec2")
    other = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=other, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    good_event["detail"]["requestParameters"]["inputConfig"]["vpcConfig"]["subnets"].append(foreign)
    found = _findings(good_event)
    assert found["VPC_MISMATCH"]["resources"] == [foreign]
    # Neither the groups' egress nor the ACLs judge it against this VPC's rules.
    assert "SG_EGRESS_SUBNETS_MISSING" not in found
    assert "NACL_BLOCKS_SUBNETS" not in found


def _dns_support_off(session: Any, world: World) -> None:
    session.client("ec2").modify_vpc_attribute(
        VpcId=world.vpc_id, EnableDnsSupport={"Value": False}
    )


def test_dns_support_off_with_a_custom_server_first_is_undetermined(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _dns_support_off(aws, world)
    _dhcp(aws, world, ["10.0.0.53", "AmazonProvidedDNS"])
    finding = _findings(good_event)["VPC_DNS_DISABLED"]
    assert finding["severity"] == "MEDIUM"
    assert "10.0.0.53" in finding["evidence"]["undetermined"]
    assert "nslookup" in finding["remediation"]["command"]


def test_dns_support_off_with_only_the_amazon_resolver_is_certain(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    _dns_support_off(aws, world)
    _dhcp(aws, world, ["AmazonProvidedDNS"])
    finding = _findings(good_event)["VPC_DNS_DISABLED"]
    assert finding["severity"] == "HIGH" and "undetermined" not in finding["evidence"]


def test_dns_support_off_with_a_custom_server_after_the_amazon_one_is_undetermined(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    """The Amazon resolver, off, does not answer: the client asks the next server, which may
    resolve S3's names (AWS is silent on this order, docs/aws-rules.md: never a false HIGH)."""
    _dns_support_off(aws, world)
    _dhcp(aws, world, ["AmazonProvidedDNS", "10.0.0.53"])
    finding = _findings(good_event)["VPC_DNS_DISABLED"]
    assert finding["severity"] == "MEDIUM" and "10.0.0.53" in finding["evidence"]["undetermined"]


def _run_acl_commands(session: Any, command: str) -> int:
    """Run each `aws ec2 create-network-acl-entry` of a finding's command through boto3, as
    a user would from the CLI, numbering the rules 10, 11, ...; how many it ran."""
    ec2 = session.client("ec2")
    entries = command.split(" && ")
    for number, entry in enumerate(entries, start=10):
        words = entry.split()
        assert words[:3] == ["aws", "ec2", "create-network-acl-entry"], entry
        value = {w: words[i + 1] for i, w in enumerate(words[:-1]) if w.startswith("--")}
        low, high = (int(p.split("=")[1]) for p in value["--port-range"].split(","))
        assert value["--rule-number"] == f"<n{number - 9}>"  # a number of its own to pick
        ec2.create_network_acl_entry(
            NetworkAclId=value["--network-acl-id"],
            RuleNumber=number,
            Protocol="6",
            RuleAction=value["--rule-action"],
            Egress="--egress" in words,
            CidrBlock=value["--cidr-block"],
            PortRange={"From": low, "To": high},
        )
    return len(entries)


def test_the_nacl_fix_opens_every_blocked_s3_range_on_every_acl(
    aws: Any, world: World, good_event: dict[str, Any]
) -> None:
    """Each job subnet gets its own ACL that allows only the VPC out: every S3 range is
    blocked on both; the finding's commands, all run, open them all."""
    ec2 = aws.client("ec2")
    for subnet in world.subnet_ids:
        acl = ec2.create_network_acl(VpcId=world.vpc_id)["NetworkAcl"]["NetworkAclId"]
        for egress, cidr in ((True, "10.0.0.0/16"), (False, "0.0.0.0/0")):
            ec2.create_network_acl_entry(
                NetworkAclId=acl,
                RuleNumber=100,
                Protocol="-1",
                RuleAction="allow",
                Egress=egress,
                CidrBlock=cidr,
            )
        current = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"][0]["Associations"]
        association = next(a for a in current if a["SubnetId"] == subnet)
        ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
        )
    finding = _findings(good_event)["NACL_BLOCKS_S3"]
    ranges = {c for blocked in finding["evidence"]["blocked"].values() for c in blocked}
    assert len(finding["evidence"]["blocked"]) == 2 and len(ranges) >= 2
    # One egress entry per ACL and range; the return path is open already.
    ran = _run_acl_commands(aws, finding["remediation"]["command"])
    assert ran == 2 * len(ranges)
    assert "NACL_BLOCKS_S3" not in _findings(good_event)
