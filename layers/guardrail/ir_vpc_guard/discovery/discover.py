"""Discovery: read exactly what the checks need, with a number of calls that does not grow
with the size of the VPC (everything is filtered by ID or by vpc-id), in three waves.

A read that fails is recorded in the snapshot with its AWS error code and never raised.
Each service's reads live in their own module, with the IAM actions they need; this one
orders them into waves.
"""

from __future__ import annotations

from dataclasses import replace

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.discovery import (
    group_associations,
    model,
    network,
    prefix_lists,
    private_registry,
    resource_policies,
    role,
    shared_vpc,
)
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.discovery.waves import Wave, done, waves
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.intake.role_arns import owners_of

# Each read of the snapshot and the IAM actions it may use (the template grants exactly these).
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    **network.READ_ACTIONS,
    **group_associations.READ_ACTIONS,
    **prefix_lists.READ_ACTIONS,
    **role.READ_ACTIONS,
    **model.READ_ACTIONS,
    **resource_policies.READ_ACTIONS,
    **private_registry.READ_ACTIONS,
}


class Discovery:
    """Reads one job's snapshot within the invocation's time budget."""

    def __init__(
        self,
        clients: AwsClients,
        budget: Budget = UNLIMITED,
        max_workers: int = 16,
        owner_read_role: str | None = None,
        reader_account: str | None = None,
    ) -> None:
        # Enough threads that every read of a wave starts at once (wave 2 alone may hold
        # eight, with reads of wave 1 still in flight); the connection pool matches (aws.py).
        self.clients = clients
        self.budget = budget
        self.max_workers = max_workers
        # The role name to assume in a shared VPC's owner account (None: not deployed).
        self.owner_read_role = owner_read_role
        # The account of the credentials that read (None: the job's own, as in the function).
        self.reader_account = reader_account

    def discover(self, job: JobRequest) -> Snapshot:
        with waves(self.budget, self.max_workers, "discovery") as wave:
            return self._discover(job, wave)

    def refresh_after_remediation(self, snapshot: Snapshot) -> Snapshot:
        """Re-read what remediation changes (endpoints, groups) in one concurrent wave.

        In a shared VPC only the job's own groups can have changed (no endpoint is written in
        another account's VPC), and its endpoints were read through the owner: keep them."""
        job, vpc_id = snapshot.job, snapshot.vpc_id
        if vpc_id is None:
            return snapshot
        with waves(self.budget, 2, "reverify") as wave:
            groups = network.submit_security_groups(wave, self.clients, job.security_groups)
            endpoints = (
                done(snapshot.s3_endpoints)
                if snapshot.shared_vpc
                else network.submit_s3_endpoints(wave, self.clients.ec2, vpc_id, job.region)
            )
            return replace(
                snapshot, security_groups=wave.result(groups), s3_endpoints=wave.result(endpoints)
            )

    def _discover(self, job: JobRequest, wave: Wave) -> Snapshot:
        clients = self.clients
        # Wave 1: everything the event names directly.
        subnets_f = network.submit_subnets(wave, clients, job.subnets)
        groups_f = network.submit_security_groups(wave, clients, job.security_groups)
        s3_list_f = prefix_lists.submit_s3_list(wave, clients, job.region)
        model_f = model.submit(wave, clients, job)

        # Wave 2: what depends on the VPC the subnets are in (and on who owns it: the
        # network ACLs too, and the role's simulation), and on the model's locations.
        subnets, groups = wave.result(subnets_f), wave.result(groups_f)
        vpc_id = network.vpc_of(subnets, groups)
        vpc_owner = shared_vpc.owner_of(subnets, vpc_id)
        # The role's calls name the subnets, groups and VPC by ARN, in their owner's account.
        found = [*(subnets.value or {}).values(), *(groups.value or {}).values()]
        owners = owners_of(found, vpc_id, vpc_owner)
        role_f = role.submit(wave, clients, job, owners, vpc_id)
        reader = self.reader_account or job.account
        owner = shared_vpc.owner_ec2(
            wave,
            clients,
            job,
            vpc_id=vpc_id,
            vpc_owner=vpc_owner,
            reader=reader,
            read_role=self.owner_read_role,
        )
        vpc_reads = network.submit_vpc_reads(wave, owner, job, vpc_id)
        # Only when a job group is in another VPC than the subnets': is it associated?
        associations_f = group_associations.submit(wave, clients.ec2, groups, vpc_id)
        # The lists the groups name, other than S3's: submitted after the VPC's reads, so
        # waiting for the S3 list's ID never delays those.
        s3_list = wave.result(s3_list_f)
        referenced_f = prefix_lists.submit_referenced(wave, clients.ec2, groups, s3_list)
        model_read = wave.result(model_f)
        policies = resource_policies.PolicyReads(wave, clients, job, model_read)
        job_buckets = resource_policies.submit_job_buckets(wave, clients, job)
        registry = private_registry.submit(wave, owner, job, vpc_id)

        # Wave 3: what the VPC and its route tables name: the NAT gateways and customer
        # prefix lists the job subnets' tables route to (none in the common case), and the
        # DHCP options. A list the groups name too is read once when one client reads both.
        route_tables = wave.result(vpc_reads.route_tables)
        nat_f = network.submit_nat_gateways(wave, owner, route_tables, job)
        routed_f = prefix_lists.submit_routed(
            wave,
            owner.value,
            network.job_route_tables(route_tables.value or [], job.subnets),
            s3_list,
            referenced_f if owner.value is clients.ec2 else {},
        )
        vpc = wave.result(vpc_reads.vpc)
        dhcp = network.dhcp_name_servers(wave, owner, vpc)
        return Snapshot(
            job=job,
            vpc_id=vpc_id,
            vpc_owner=vpc_owner,
            reader_account=reader,
            subnets=subnets,
            security_groups=groups,
            group_vpc_associations=wave.result(associations_f),
            network_acls=wave.result(vpc_reads.network_acls),
            s3_prefix_list=s3_list,
            referenced_prefix_lists=prefix_lists.referenced(wave, groups, referenced_f),
            vpc=vpc,
            dns_support=wave.result(vpc_reads.dns_support),
            dhcp_name_servers=dhcp,
            route_tables=route_tables,
            route_prefix_lists=prefix_lists.referenced(wave, route_tables, routed_f),
            nat_gateways=wave.result(nat_f),
            s3_endpoints=wave.result(vpc_reads.s3_endpoints),
            role=wave.result(role_f),
            model=model_read,
            artifact_bucket_policies=policies.artifacts(),
            payload_bucket_policies=policies.payload(),
            repository_policies=policies.repositories(),
            job_bucket_policies=job_buckets.result(),
            lambda_endpoints=wave.result(registry.lambda_endpoints),
            dns_hostnames=wave.result(registry.dns_hostnames),
        )
