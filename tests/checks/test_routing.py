"""R5: the S3 gateway endpoint, on every job subnet's effective route table."""

import json
from dataclasses import replace

from ir_vpc_guard.discovery.snapshot import Read
from ir_vpc_guard.findings import Severity
from tests.checks.helpers import finding, found
from tests.snapshots import SUBNETS, compliant, endpoint, job, route_table

NAT_ROUTE = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}
IGW_ROUTE = {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}
# A public NAT gateway in a public subnet whose table sends everything to the internet gateway.
PUBLIC_NAT = {"NatGatewayId": "nat-1", "SubnetId": "subnet-pub", "State": "available"}
PUBLIC_TABLE = route_table("rtb-pub", ("subnet-pub",), routes=[IGW_ROUTE])


def test_no_endpoint_is_high_without_a_nat_path() -> None:
    result = finding(compliant(s3_endpoints=Read(value=[])), "S3_ENDPOINT_MISSING")
    assert result.severity is Severity.HIGH
    assert "rtb-1" in ((result.remediation and result.remediation.command) or "")


def test_no_endpoint_is_low_when_every_subnet_has_a_nat_path() -> None:
    tables = [
        route_table("rtb-main", main=True),
        route_table("rtb-1", SUBNETS, routes=[NAT_ROUTE]),
        PUBLIC_TABLE,
    ]
    result = finding(
        compliant(
            route_tables=Read(value=tables),
            s3_endpoints=Read(value=[]),
            nat_gateways=Read(value={"nat-1": PUBLIC_NAT}),
        ),
        "S3_ENDPOINT_MISSING",
    )
    assert result.severity is Severity.LOW


def test_blackholed_nat_route_is_no_path() -> None:
    dead = {**NAT_ROUTE, "State": "blackhole"}
    tables = [route_table("rtb-1", SUBNETS, routes=[dead]), route_table("rtb-main", main=True)]
    result = finding(
        compliant(route_tables=Read(value=tables), s3_endpoints=Read(value=[])),
        "S3_ENDPOINT_MISSING",
    )
    assert result.severity is Severity.HIGH


def test_interface_endpoint_does_not_count_as_gateway() -> None:
    assert found(compliant(s3_endpoints=Read(value=[endpoint(["rtb-1"], kind="Interface")]))) == [
        "S3_ENDPOINT_MISSING"
    ]


def test_subnet_without_explicit_association_uses_the_main_table() -> None:
    tables = [route_table("rtb-main", main=True), route_table("rtb-1", ("subnet-a",))]
    result = finding(compliant(route_tables=Read(value=tables)), "S3_ENDPOINT_ROUTE_MISSING")
    assert result.evidence["subnetRouteTables"] == {"subnet-b": "rtb-main"}
    on_both = compliant(
        route_tables=Read(value=tables), s3_endpoints=Read(value=[endpoint(["rtb-1", "rtb-main"])])
    )
    assert found(on_both) == []


def test_endpoint_policy_must_allow_reading_the_jobs_objects() -> None:
    other_bucket = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::other/*",
                }
            ]
        }
    )
    models = other_bucket.replace("other", "models")
    assert found(compliant(s3_endpoints=Read(value=[endpoint(["rtb-1"], other_bucket)]))) == [
        "S3_ENDPOINT_POLICY_DENIES"
    ]
    assert found(compliant(s3_endpoints=Read(value=[endpoint(["rtb-1"], models)]))) == []


def test_endpoint_policy_deny_wins_over_allow() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:Get*",
                "Resource": "arn:aws:s3:::models/*",
            },
        ]
    }
    snapshot = compliant(s3_endpoints=Read(value=[endpoint(["rtb-1"], json.dumps(policy))]))
    assert finding(snapshot, "S3_ENDPOINT_POLICY_DENIES").evidence["decisions"] == {
        "arn:aws:s3:::models/m.tar.gz": "explicitDeny"
    }


def test_a_pending_endpoint_is_reported_as_pending_not_missing() -> None:
    pending = {**endpoint(["rtb-1"]), "State": "pending"}
    result = finding(compliant(s3_endpoints=Read(value=[pending])), "S3_ENDPOINT_MISSING")
    assert result.severity is Severity.MEDIUM
    assert result.evidence["pending"] == "vpce-1"
    command = (result.remediation and result.remediation.command) or ""
    assert "wait vpc-endpoint-available" in command and "create-vpc-endpoint" not in command


def test_a_transit_gateway_path_is_undetermined_not_high() -> None:
    tgw = {"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1", "State": "active"}
    tables = [route_table("rtb-main", main=True), route_table("rtb-1", SUBNETS, routes=[tgw])]
    result = finding(
        compliant(route_tables=Read(value=tables), s3_endpoints=Read(value=[])),
        "S3_ENDPOINT_MISSING",
    )
    assert (
        result.severity is Severity.MEDIUM and "transit gateway" in result.evidence["undetermined"]
    )
    # The command is the read that answers it: the transit gateway's route for each S3 range.
    command = (result.remediation and result.remediation.command) or ""
    assert command.startswith("aws ec2 search-transit-gateway-routes")
    assert "Name=transit-gateway-id,Values=tgw-1" in command
    assert "route-search.longest-prefix-match" in command and "create-vpc-endpoint" not in command


def test_an_appliance_path_names_the_read_of_the_appliances_own_routes() -> None:
    eni = {"DestinationCidrBlock": "0.0.0.0/0", "NetworkInterfaceId": "eni-1", "State": "active"}
    tables = [route_table("rtb-main", main=True), route_table("rtb-1", SUBNETS, routes=[eni])]
    snapshot = compliant(
        route_tables=Read(value=tables), s3_endpoints=Read(value=[endpoint(["rtb-main"])])
    )
    result = finding(snapshot, "S3_ENDPOINT_ROUTE_MISSING")
    assert result.severity is Severity.MEDIUM
    command = (result.remediation and result.remediation.command) or ""
    assert command == (
        "aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=$(aws ec2 "
        "describe-network-interfaces --network-interface-ids eni-1 "
        "--query 'NetworkInterfaces[0].SubnetId' --output text)"
    )


def test_equal_prefix_static_route_beats_the_endpoint_and_propagated_routes_do_not() -> None:
    """Route priority: longest prefix, then static over prefix-list over propagated."""
    static = {"DestinationCidrBlock": "3.5.0.0/19", "GatewayId": "igw-1", "State": "active"}
    propagated = {**static, "GatewayId": "vgw-1", "Origin": "EnableVgwRoutePropagation"}
    for route, expected in ((static, ["S3_ENDPOINT_ROUTE_MISSING"]), (propagated, [])):
        tables = [route_table("rtb-main", main=True), route_table("rtb-1", SUBNETS, routes=[route])]
        assert found(compliant(route_tables=Read(value=tables))) == expected


def _undetermined_endpoint_command(condition: dict[str, dict[str, str]]) -> str:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    deny = {**allow, "Effect": "Deny", "Action": "s3:GetObject", "Condition": condition}
    policy = json.dumps({"Statement": [allow, deny]})
    snapshot = compliant(s3_endpoints=Read(value=[endpoint(["rtb-1"], policy)]))
    result = finding(snapshot, "S3_ENDPOINT_POLICY_DENIES")
    assert result.severity is Severity.MEDIUM
    command = (result.remediation and result.remediation.command) or ""
    assert "modify-vpc-endpoint" not in command
    return command


def test_an_undetermined_endpoint_policy_names_the_read_that_answers_it() -> None:
    tags = {"StringEquals": {"s3:ExistingObjectTag/class": "secret"}}
    assert _undetermined_endpoint_command(tags) == (
        "aws s3api get-object-tagging --bucket models --key m.tar.gz"
    )
    org = {"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}
    assert _undetermined_endpoint_command(org).startswith("aws organizations describe-organization")
    # A key no read answers: the endpoint's policy, the statement and the value it expects.
    other = {"StringEquals": {"aws:SourceIdentity": "ci"}}
    assert _undetermined_endpoint_command(other) == (
        "aws ec2 describe-vpc-endpoints --vpc-endpoint-ids vpce-1 "
        "--query 'VpcEndpoints[0].PolicyDocument'"
    )


def test_the_endpoint_policy_is_judged_on_the_model_artifacts_not_the_payload() -> None:
    """Inference Recommender reads the sample payload from the service side: an endpoint
    policy that allows the artifacts and not the payload's bucket lets the job through."""
    models_only = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::models/*",
                }
            ]
        }
    )
    snapshot = compliant(
        job=job(sample_payload_url="s3://payloads/p.tar.gz"),
        s3_endpoints=Read(value=[endpoint(["rtb-1"], models_only)]),
    )
    assert "S3_ENDPOINT_POLICY_DENIES" not in found(snapshot)
    payload_only = models_only.replace("models", "payloads")
    refused = finding(
        replace(snapshot, s3_endpoints=Read(value=[endpoint(["rtb-1"], payload_only)])),
        "S3_ENDPOINT_POLICY_DENIES",
    )
    assert list(refused.evidence["decisions"]) == ["arn:aws:s3:::models/m.tar.gz"]


def test_an_interface_endpoint_with_private_dns_makes_a_missing_gateway_medium() -> None:
    interface = {**endpoint([], kind="Interface"), "PrivateDnsEnabled": True}
    result = finding(compliant(s3_endpoints=Read(value=[interface])), "S3_ENDPOINT_MISSING")
    assert result.severity is Severity.MEDIUM
    assert "vpce-1" in result.evidence["undetermined"]
    without_dns = {**interface, "PrivateDnsEnabled": False}
    certain = finding(compliant(s3_endpoints=Read(value=[without_dns])), "S3_ENDPOINT_MISSING")
    assert certain.severity is Severity.HIGH


def test_an_interface_endpoint_needs_the_vpcs_dns_support_to_count() -> None:
    """Private DNS needs enableDnsSupport: with it off, S3's names resolve to S3's public
    addresses and the missing gateway endpoint is certain again."""
    interface = {**endpoint([], kind="Interface"), "PrivateDnsEnabled": True}
    off = compliant(s3_endpoints=Read(value=[interface]), dns_support=Read(value=False))
    assert finding(off, "S3_ENDPOINT_MISSING").severity is Severity.HIGH
    on = finding(compliant(s3_endpoints=Read(value=[interface])), "S3_ENDPOINT_MISSING")
    assert "enableDnsHostnames" in ((on.remediation and on.remediation.command) or "")


def test_an_interface_endpoint_taking_the_vpcs_s3_names_makes_the_gateways_faults_medium() -> None:
    """Beside a gateway endpoint, an S3 interface endpoint with private DNS for the whole VPC
    (PrivateDnsOnlyForInboundResolverEndpoint off) takes the job's reads: a table missing
    from the gateway endpoint is no longer certain to fail."""
    interface = {
        **endpoint([], kind="Interface"),
        "VpcEndpointId": "vpce-if",
        "PrivateDnsEnabled": True,
        "DnsOptions": {"PrivateDnsOnlyForInboundResolverEndpoint": False},
    }
    detached = endpoint(["rtb-other"])
    alone = finding(compliant(s3_endpoints=Read(value=[detached])), "S3_ENDPOINT_ROUTE_MISSING")
    assert alone.severity is Severity.HIGH
    both = compliant(s3_endpoints=Read(value=[detached, interface]))
    result = finding(both, "S3_ENDPOINT_ROUTE_MISSING")
    assert result.severity is Severity.MEDIUM and "vpce-if" in result.evidence["undetermined"]
