"""Discovery: read exactly what the checks need, with a number of calls that does not grow
with the size of the VPC (everything is filtered by ID or by vpc-id), in three waves.

A read that fails is recorded in the snapshot with its AWS error code and never raised.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from ir_vpc_guard.arns import role_arn
from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.budget import UNLIMITED, Budget
from ir_vpc_guard.checks.requests import role_resources
from ir_vpc_guard.discovery.snapshot import (
    ModelInfo,
    PrefixList,
    Read,
    ReferencedPrefixList,
    RoleAccess,
    Snapshot,
    failed,
    not_applicable,
    undetermined,
    unread_as,
)
from ir_vpc_guard.intake.request import JobRequest, s3_bucket
from ir_vpc_guard.requirements import (
    AMAZON_PROVIDED_DNS,
    ROLE_REQUIRED_ACTIONS,
    s3_service_name,
)

T = TypeVar("T")
Submit = Callable[[str, Callable[[], Any]], "Future[Read[Any]]"]

# Each read of the snapshot and the IAM actions it may use (the template grants exactly these).
READ_ACTIONS: dict[str, tuple[str, ...]] = {
    "subnets": ("ec2:DescribeSubnets",),
    "security_groups": ("ec2:DescribeSecurityGroups",),
    "network_acls": ("ec2:DescribeNetworkAcls",),
    "s3_prefix_list": ("ec2:DescribePrefixLists", "ec2:GetManagedPrefixListEntries"),
    "referenced_prefix_lists": ("ec2:GetManagedPrefixListEntries",),
    "vpc": ("ec2:DescribeVpcs",),
    "dns_support": ("ec2:DescribeVpcAttribute",),
    "dhcp_name_servers": ("ec2:DescribeDhcpOptions",),
    "route_tables": ("ec2:DescribeRouteTables",),
    "s3_endpoints": ("ec2:DescribeVpcEndpoints",),
    "role": (
        "iam:SimulatePrincipalPolicy",
        "iam:GetRole",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
    ),
    "model": ("sagemaker:DescribeModelPackage", "sagemaker:DescribeModel"),
    "artifact_bucket_policies": ("s3:GetBucketPolicy",),
    "payload_bucket_policies": ("s3:GetBucketPolicy",),
    "repository_policies": ("ecr:GetRepositoryPolicy",),
}

# The reads of the VPC's own resources: in a shared VPC only its owner account may make them
# ("participants cannot view ... resources that belong to the VPC owner", VPC sharing).
OWNER_READS = (
    "network_acls",
    "vpc",
    "dns_support",
    "dhcp_name_servers",
    "route_tables",
    "s3_endpoints",
)
# Reading them through the optional role in the owner account (granted only when it is set).
OWNER_ROLE_ACTIONS = ("sts:AssumeRole",)
OWNER_SESSION_NAME = "ir-vpc-guard-owner-read"
SHARED_VPC_DOCS = 'docs/deployment.md, "Shared VPCs"'

ECR_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]{0,255})"
    r"(?::[\w.-]{1,128}|@sha256:[a-f0-9]{64})?"
)
# How "no simulator here" looks: AWS AccessDenied (a ClientError), moto in-process
# (NotImplementedError) and the moto server (an HTML 500 that botocore cannot parse).
SIMULATION_UNAVAILABLE = (NotImplementedError, BotoCoreError, ClientError, ResponseParserError)
TIMEOUT_BUDGET = "TIMEOUT_BUDGET"

# The region's S3 prefix list, kept for the container's life: it is the same for every job
# in the region, so a warm invocation skips its read (AWS adds ranges rarely; a new
# container reads them again).
_S3_PREFIX_LISTS: dict[str, PrefixList] = {}


def forget_s3_prefix_lists() -> None:
    """Empty the warm cache (tests: each emulated world has its own random list ID)."""
    _S3_PREFIX_LISTS.clear()


class AwsReadError(Exception):
    """A read failed in a way that is not an AWS ClientError (e.g. nothing found)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def guarded(api: str, read: Callable[[], T]) -> Read[T]:
    """Run one read; any failure becomes a Read error naming the call and the error code."""
    try:
        return Read(value=read())
    except ClientError as error:
        info = error.response.get("Error", {})
        # Name the call that failed, which may be a later call of the same read.
        operation = getattr(error, "operation_name", None)
        api = f"{api.partition(':')[0]}:{operation}" if operation else api
        return failed(api, str(info.get("Code") or "Unknown"), str(info.get("Message", ""))[:300])
    except AwsReadError as error:
        return failed(api, error.code, str(error))
    except NotImplementedError as error:  # moto in-process for calls it does not emulate
        return failed(api, "NotImplemented", str(error)[:300])
    except BotoCoreError as error:  # timeouts, connection errors, unparseable answers
        return failed(api, type(error).__name__, str(error)[:300])
    except Exception as error:  # never raised past discovery, whatever the cause
        return failed(api, type(error).__name__, str(error)[:300])


class _Wave:
    """Reads run on a shared pool; none starts, and none is waited for, past the budget."""

    def __init__(self, pool: ThreadPoolExecutor, budget: Budget) -> None:
        self.pool = pool
        self.budget = budget
        self.apis: dict[Future[Read[Any]], str] = {}

    def submit(self, api: str, read: Callable[[], T]) -> Future[Read[T]]:
        if not self.budget.may_start():
            return _done(failed(api, TIMEOUT_BUDGET, "deadline near: read not started"))
        future: Future[Read[T]] = self.pool.submit(guarded, api, read)
        self.apis[future] = api
        return future

    def result(self, future: Future[Read[T]]) -> Read[T]:
        try:
            return future.result(timeout=self.budget.wait_limit())
        except FutureTimeout:
            api = self.apis.get(future, "unknown")
            return failed(api, TIMEOUT_BUDGET, "deadline near: read did not finish in time")


class Discovery:
    """Reads one job's snapshot within the invocation's time budget."""

    def __init__(
        self,
        clients: AwsClients,
        budget: Budget = UNLIMITED,
        max_workers: int = 16,
        owner_read_role: str | None = None,
    ) -> None:
        # Enough threads that every read of a wave starts at once (wave 2 alone may hold
        # eight, with reads of wave 1 still in flight); the connection pool matches (aws.py).
        self.clients = clients
        self.budget = budget
        self.max_workers = max_workers
        # The role name to assume in a shared VPC's owner account (None: not deployed).
        self.owner_read_role = owner_read_role

    def discover(self, job: JobRequest) -> Snapshot:
        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="discovery")
        try:
            return self._discover(job, _Wave(pool, self.budget))
        finally:
            # Never wait past the budget for a read that hangs: its result is not used.
            pool.shutdown(wait=self.budget.wait_limit() is None, cancel_futures=True)

    def refresh_after_remediation(self, snapshot: Snapshot) -> Snapshot:
        """Re-read what remediation changes (endpoints, groups) in one concurrent wave.

        In a shared VPC only the job's own groups can have changed (no endpoint is written in
        another account's VPC), and its endpoints were read through the owner: keep them."""
        job, vpc_id = snapshot.job, snapshot.vpc_id
        if vpc_id is None:
            return snapshot
        pool = ThreadPoolExecutor(2, thread_name_prefix="reverify")
        try:
            wave = _Wave(pool, self.budget)
            groups = wave.submit(
                "ec2:DescribeSecurityGroups", lambda: self._groups(job.security_groups)
            )
            endpoints = (
                _done(snapshot.s3_endpoints)
                if snapshot.shared_vpc
                else wave.submit(
                    "ec2:DescribeVpcEndpoints",
                    lambda: self._s3_endpoints(self.clients.ec2, vpc_id, job.region),
                )
            )
            return replace(
                snapshot, security_groups=wave.result(groups), s3_endpoints=wave.result(endpoints)
            )
        finally:
            pool.shutdown(wait=self.budget.wait_limit() is None, cancel_futures=True)

    def _discover(self, job: JobRequest, wave: _Wave) -> Snapshot:
        submit, result = wave.submit, wave.result
        # Wave 1: everything the event names directly.
        subnets_f = submit("ec2:DescribeSubnets", lambda: self._subnets(job.subnets))
        groups_f = submit("ec2:DescribeSecurityGroups", lambda: self._groups(job.security_groups))
        prefix_f = self._submit_s3_prefix_list(job.region, submit)
        role_f = self._submit_role(job, submit)
        model_f = self._submit_model(job, submit)

        # Wave 2: what depends on the VPC the subnets are in (and on who owns it: the
        # network ACLs too), and on the model's locations.
        subnets, groups = result(subnets_f), result(groups_f)
        vpc_id = _vpc_of(subnets, groups)
        vpc_owner = _owner_of(subnets, vpc_id)
        reader = _reader_of(groups) or job.account
        owner = self._owner_ec2(job, vpc_id, vpc_owner, reader, wave)
        ec2 = owner.value
        if ec2 is None:  # a shared VPC whose owner's resources cannot be read
            nacls_f = vpc_f = dns_f = tables_f = endpoints_f = _done(unread_as(owner))
        else:
            nacls_f = submit(
                "ec2:DescribeNetworkAcls", lambda: self._network_acls(ec2, job.subnets)
            )
            vpc_f, dns_f, tables_f, endpoints_f = self._submit_vpc_reads(ec2, job, vpc_id, submit)
        # The lists the groups name, other than S3's: submitted after the VPC's reads, so
        # waiting for the S3 list's ID never delays those.
        referenced_f = self._submit_referenced_lists(groups, result(prefix_f), submit)
        model = result(model_f)
        policies = _PolicyReads(self, job, model, wave)

        # Wave 3: the DHCP options the VPC names.
        vpc = result(vpc_f)
        dhcp = self._dhcp(ec2, vpc, wave)
        return Snapshot(
            job=job,
            vpc_id=vpc_id,
            vpc_owner=vpc_owner,
            reader_account=reader,
            subnets=subnets,
            security_groups=groups,
            network_acls=result(nacls_f),
            s3_prefix_list=result(prefix_f),
            referenced_prefix_lists=_referenced(groups, referenced_f, wave),
            vpc=vpc,
            dns_support=result(dns_f),
            dhcp_name_servers=dhcp,
            route_tables=result(tables_f),
            s3_endpoints=result(endpoints_f),
            role=result(role_f),
            model=model,
            artifact_bucket_policies=policies.artifacts(),
            payload_bucket_policies=policies.payload(),
            repository_policies=policies.repositories(),
        )

    # --- EC2 -------------------------------------------------------------------------
    def _submit_vpc_reads(
        self, ec2: Any, job: JobRequest, vpc_id: str | None, submit: Submit
    ) -> tuple[Future[Read[Any]], ...]:
        """The VPC, its DNS attribute, route tables and S3 endpoints, read with `ec2`."""
        if vpc_id is None:
            missing: Read[Any] = not_applicable("no job subnet or group was found, so no VPC")
            return (_done(missing),) * 4
        return (
            submit("ec2:DescribeVpcs", lambda: self._vpc(ec2, vpc_id)),
            submit("ec2:DescribeVpcAttribute", lambda: self._dns_support(ec2, vpc_id)),
            submit("ec2:DescribeRouteTables", lambda: self._route_tables(ec2, vpc_id)),
            submit("ec2:DescribeVpcEndpoints", lambda: self._s3_endpoints(ec2, vpc_id, job.region)),
        )

    def _owner_ec2(
        self,
        job: JobRequest,
        vpc_id: str | None,
        vpc_owner: str | None,
        reader: str,
        wave: _Wave,
    ) -> Read[Any]:
        """The EC2 client that reads the VPC's own resources: the reading account's, or in a
        shared VPC one through the read role in the owner account; else why it cannot."""
        if vpc_id is None or vpc_owner is None or vpc_owner == reader:
            return Read(value=self.clients.ec2)
        where = (
            f"{vpc_id} is shared with account {reader} by its owner, account {vpc_owner}: "
            "only the owner can read its route tables, endpoints, network ACLs and DNS settings"
        )
        if not self.owner_read_role:
            return undetermined(
                f"{where}; set VPC_OWNER_READ_ROLE_NAME (template parameter "
                f"VpcOwnerReadRoleName) to read them through a role in {vpc_owner} "
                f"({SHARED_VPC_DOCS})"
            )
        arn = role_arn(job.partition, vpc_owner, self.owner_read_role)
        assumed = wave.result(
            wave.submit("sts:AssumeRole", lambda: self.clients.assumed(arn, OWNER_SESSION_NAME))
        )
        if assumed.error is not None:
            return undetermined(
                f"{where}; assuming {arn} failed ({assumed.error.code}): create that role in "
                f"{vpc_owner} trusting the guardrail's role ({SHARED_VPC_DOCS})"
            )
        return Read(value=assumed.get().ec2)

    @staticmethod
    def _paginate(ec2: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        paginator = ec2.get_paginator(operation)
        return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]

    def _subnets(self, ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        # A filter (not SubnetIds=) so that one missing ID does not hide the others.
        found = self._paginate(
            self.clients.ec2,
            "describe_subnets",
            "Subnets",
            Filters=[{"Name": "subnet-id", "Values": list(ids)}],
        )
        return {s["SubnetId"]: s for s in found if s.get("SubnetId") in ids}

    def _groups(self, ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        found = self._paginate(
            self.clients.ec2,
            "describe_security_groups",
            "SecurityGroups",
            Filters=[{"Name": "group-id", "Values": list(ids)}],
        )
        return {g["GroupId"]: g for g in found if g.get("GroupId") in ids}

    def _network_acls(self, ec2: Any, subnet_ids: tuple[str, ...]) -> list[dict[str, Any]]:
        return self._paginate(
            ec2,
            "describe_network_acls",
            "NetworkAcls",
            Filters=[{"Name": "association.subnet-id", "Values": list(subnet_ids)}],
        )

    def _submit_s3_prefix_list(self, region: str, submit: Submit) -> Future[Read[Any]]:
        cached = _S3_PREFIX_LISTS.get(region)
        if cached is not None:
            return _done(Read(value=cached))
        return submit("ec2:DescribePrefixLists", lambda: self._s3_prefix_list(region))

    def _s3_prefix_list(self, region: str) -> PrefixList:
        name = s3_service_name(region)
        lists = self.clients.ec2.describe_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [name]}]
        ).get("PrefixLists", [])
        match = next((p for p in lists if p.get("PrefixListName") == name), None)
        if match is None:
            raise AwsReadError("PrefixListNotFound", f"no prefix list named {name}")
        # AWS answers the CIDRs with the list; moto does not (MOTO_NOTES §4): read the entries.
        cidrs = match.get("Cidrs") or self._prefix_list_entries(match["PrefixListId"])
        found = PrefixList(prefix_list_id=match["PrefixListId"], cidrs=tuple(cidrs))
        _S3_PREFIX_LISTS[region] = found
        return found

    def _prefix_list_entries(self, prefix_list_id: str) -> tuple[str, ...]:
        pages = self.clients.ec2.get_paginator("get_managed_prefix_list_entries").paginate(
            PrefixListId=prefix_list_id
        )
        return tuple(entry["Cidr"] for page in pages for entry in page.get("Entries", []))

    def _submit_referenced_lists(
        self, groups: Read[dict[str, dict[str, Any]]], s3: Read[PrefixList], submit: Submit
    ) -> dict[str, Future[Read[Any]]]:
        """One entries read per distinct prefix list the job's egress rules name, except
        S3's (already read): only those, and none when no rule names one."""
        if not groups.ok:
            return {}
        s3_id = s3.value.prefix_list_id if s3.value is not None else None
        named = dict.fromkeys(
            str(entry["PrefixListId"])
            for group in groups.get().values()
            for permission in group.get("IpPermissionsEgress", [])
            for entry in permission.get("PrefixListIds", [])
            if entry.get("PrefixListId") and entry.get("PrefixListId") != s3_id
        )
        return {
            pl: submit("ec2:GetManagedPrefixListEntries", partial(self._prefix_list_entries, pl))
            for pl in named
        }

    def _vpc(self, ec2: Any, vpc_id: str) -> dict[str, Any]:
        vpcs = ec2.describe_vpcs(VpcIds=[vpc_id]).get("Vpcs", [])
        if not vpcs:
            raise AwsReadError("InvalidVpcID.NotFound", f"VPC {vpc_id} not found")
        return dict(vpcs[0])

    def _dns_support(self, ec2: Any, vpc_id: str) -> bool:
        answer = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")
        return bool(answer["EnableDnsSupport"]["Value"])

    def _route_tables(self, ec2: Any, vpc_id: str) -> list[dict[str, Any]]:
        # All tables of the VPC in one call: the main table and every explicit association.
        return self._paginate(
            ec2,
            "describe_route_tables",
            "RouteTables",
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}],
        )

    def _s3_endpoints(self, ec2: Any, vpc_id: str, region: str) -> list[dict[str, Any]]:
        return self._paginate(
            ec2,
            "describe_vpc_endpoints",
            "VpcEndpoints",
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "service-name", "Values": [s3_service_name(region)]},
            ],
        )

    def _dhcp(self, ec2: Any, vpc: Read[dict[str, Any]], wave: _Wave) -> Read[tuple[str, ...]]:
        if not vpc.ok:
            # The same error (or reason) as the VPC read it depends on.
            return unread_as(vpc)
        options_id = vpc.get().get("DhcpOptionsId", "default")
        if options_id == "default":  # no options set: instances use the Amazon-provided DNS
            return Read(value=(AMAZON_PROVIDED_DNS,))

        def read() -> tuple[str, ...]:
            sets = ec2.describe_dhcp_options(DhcpOptionsIds=[options_id])
            configs = sets.get("DhcpOptions", [{}])[0].get("DhcpConfigurations", [])
            return tuple(
                value["Value"]
                for config in configs
                if config.get("Key") == "domain-name-servers"
                for value in config.get("Values", [])
            )

        return wave.result(wave.submit("ec2:DescribeDhcpOptions", read))

    # --- IAM -------------------------------------------------------------------------
    def _submit_role(self, job: JobRequest, submit: Submit) -> Future[Read[Any]]:
        role_arn = job.role_arn
        if role_arn is None:
            reason = "roleArn is not valid" if "roleArn is not valid" in job.input_problems else ""
            if reason:
                return _done(failed("iam:SimulatePrincipalPolicy", "InvalidInput", reason))
            return _done(not_applicable("the job names no execution role"))
        return submit("iam:SimulatePrincipalPolicy", lambda: self._role(job, role_arn))

    def _role(self, job: JobRequest, role_arn: str) -> RoleAccess:
        """The simulator first, on the ARNs the job's calls will name."""
        resources = sorted({arn for a in ROLE_REQUIRED_ACTIONS for arn in role_resources(job, a)})
        try:
            answer = self.clients.iam.simulate_principal_policy(
                PolicySourceArn=role_arn,
                ActionNames=list(ROLE_REQUIRED_ACTIONS),
                ResourceArns=resources,
                ContextEntries=[
                    {
                        "ContextKeyName": "aws:RequestedRegion",
                        "ContextKeyValues": [job.region],
                        "ContextKeyType": "string",
                    },
                    {
                        "ContextKeyName": "ec2:Region",
                        "ContextKeyValues": [job.region],
                        "ContextKeyType": "string",
                    },
                ],
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
                raise
            return self._role_policies(role_arn)
        except SIMULATION_UNAVAILABLE:
            return self._role_policies(role_arn)
        return _simulated(job, answer.get("EvaluationResults", []))

    def _role_policies(self, role_arn: str) -> RoleAccess:
        """Fallback when the simulator is unavailable: every identity policy of the role and
        its permissions boundary. A policy's document decides, never its name."""
        iam = self.clients.iam
        name = role_arn.rsplit("/", 1)[-1]
        role = iam.get_role(RoleName=name)["Role"]
        attached = [
            p["PolicyArn"]
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
            for p in page.get("AttachedPolicies", [])
        ]
        documents = [
            _policy_document(
                iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            )
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=name)
            for policy in page.get("PolicyNames", [])
        ]
        documents += [self._managed_policy(arn) for arn in attached]
        boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        return RoleAccess(
            policies=tuple(documents),
            boundary=self._managed_policy(boundary_arn) if boundary_arn else None,
            attached_policy_arns=tuple(attached),
        )

    def _managed_policy(self, arn: str) -> dict[str, Any]:
        iam = self.clients.iam
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
        return _policy_document(document["PolicyVersion"]["Document"])

    # --- SageMaker -------------------------------------------------------------------
    def _submit_model(self, job: JobRequest, submit: Submit) -> Future[Read[Any]]:
        package_arn, model_name = job.model_package_arn, job.model_name
        if package_arn:
            return submit(
                "sagemaker:DescribeModelPackage", lambda: self._model_package(package_arn)
            )
        if model_name:
            return submit("sagemaker:DescribeModel", lambda: self._model(model_name))
        return _done(not_applicable("the job names no model package or model"))

    def _model_package(self, arn: str) -> ModelInfo:
        package = self.clients.sagemaker.describe_model_package(ModelPackageName=arn)
        containers = package.get("InferenceSpecification", {}).get("Containers", [])
        return ModelInfo(
            source=arn,
            artifact_urls=_artifact_urls(containers),
            images=tuple(c["Image"] for c in containers if c.get("Image")),
            sample_payload_url=package.get("SamplePayloadUrl"),
        )

    def _model(self, name: str) -> ModelInfo:
        model = self.clients.sagemaker.describe_model(ModelName=name)
        containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else []
        containers += model.get("Containers", [])
        return ModelInfo(
            source=model.get("ModelArn", name),
            artifact_urls=_artifact_urls(containers),
            images=tuple(c["Image"] for c in containers if c.get("Image")),
        )

    # --- S3 and ECR ------------------------------------------------------------------
    def bucket_policy(self, bucket: str) -> str | None:
        try:
            return str(self.clients.s3.get_bucket_policy(Bucket=bucket)["Policy"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "NoSuchBucketPolicy":
                return None
            raise

    def repository_policy(self, registry: str, repository: str) -> str | None:
        try:
            answer = self.clients.ecr.get_repository_policy(
                registryId=registry, repositoryName=repository
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "RepositoryPolicyNotFoundException":
                return None
            raise
        return str(answer["policyText"])


class _PolicyReads:
    """Bucket and repository policy reads of one job, each bucket read once."""

    def __init__(
        self,
        discovery: Discovery,
        job: JobRequest,
        model: Read[ModelInfo],
        wave: _Wave,
    ) -> None:
        submit = wave.submit
        self.wave = wave
        self.model = model
        self.job = job
        info = model.value if model.ok else None
        self.artifact_buckets = _buckets(info.artifact_urls if info else ())
        payload_url = job.sample_payload_url or (info.sample_payload_url if info else None)
        self.payload_buckets = _buckets([payload_url] if payload_url else [])
        self.bucket_reads = {
            bucket: submit("s3:GetBucketPolicy", partial(discovery.bucket_policy, bucket))
            for bucket in dict.fromkeys(self.artifact_buckets + self.payload_buckets)
        }
        self.repository_reads: dict[str, Future[Read[Any]]] = {}
        self.foreign_images: list[str] = []
        for image in info.images if info else ():
            match = ECR_IMAGE.fullmatch(image)
            if not match or match.group(1) != job.account or match.group(2) != job.region:
                self.foreign_images.append(image)
                continue
            registry, repository = match.group(1), match.group(3)
            if repository not in self.repository_reads:
                self.repository_reads[repository] = submit(
                    "ecr:GetRepositoryPolicy",
                    partial(discovery.repository_policy, registry, repository),
                )

    def _model_missing(self) -> Read[Any] | None:
        if self.model.ok:
            return None
        if self.model.error:
            return failed(self.model.error.api, self.model.error.code, "model could not be read")
        return not_applicable(self.model.not_applicable or "no model")

    def artifacts(self) -> Read[dict[str, str | None]]:
        missing = self._model_missing()
        if missing:
            return missing
        if not self.artifact_buckets:
            return not_applicable("the model names no S3 artifact")
        return self._collect({b: self.bucket_reads[b] for b in self.artifact_buckets})

    def payload(self) -> Read[dict[str, str | None]]:
        if not self.payload_buckets:
            missing = self._model_missing() if not self.job.sample_payload_url else None
            return missing or not_applicable("no S3 sample payload is named")
        return self._collect({b: self.bucket_reads[b] for b in self.payload_buckets})

    def repositories(self) -> Read[dict[str, str | None]]:
        missing = self._model_missing()
        if missing:
            return missing
        if not self.repository_reads:
            where = ", ".join(self.foreign_images) or "none"
            return not_applicable(f"no image in this account's ECR registry (images: {where})")
        return self._collect(self.repository_reads)

    def _collect(self, reads: dict[str, Future[Read[Any]]]) -> Read[dict[str, str | None]]:
        values: dict[str, str | None] = {}
        for name, future in reads.items():
            result = self.wave.result(future)
            if result.error:
                return result
            values[name] = result.value
        return Read(value=values)


def _done(read: Read[Any]) -> Future[Read[Any]]:
    future: Future[Read[Any]] = Future()
    future.set_result(read)
    return future


def _referenced(
    groups: Read[dict[str, dict[str, Any]]],
    reads: dict[str, Future[Read[Any]]],
    wave: _Wave,
) -> Read[dict[str, ReferencedPrefixList]]:
    """Each referenced list with its entries, or the error that kept them unread."""
    if not groups.ok:  # which lists the rules name is unknown, for the same reason
        return Read(error=groups.error, not_applicable=groups.not_applicable)
    lists = {}
    for prefix_list_id, future in reads.items():
        entries = wave.result(future)
        lists[prefix_list_id] = ReferencedPrefixList(
            prefix_list_id, cidrs=entries.value or (), error=entries.error
        )
    return Read(value=lists)


def _vpc_of(
    subnets: Read[dict[str, dict[str, Any]]], groups: Read[dict[str, dict[str, Any]]]
) -> str | None:
    """The job's VPC: where most of its subnets are (else its groups)."""
    for read in (subnets, groups):
        if read.ok and read.get():
            counts = Counter(item.get("VpcId") for item in read.get().values())
            vpc, _ = counts.most_common(1)[0]
            if isinstance(vpc, str):
                return vpc
    return None


def _reader_of(groups: Read[dict[str, dict[str, Any]]]) -> str | None:
    """The account whose credentials read: the owner of the job's groups, which a participant
    creates itself (it cannot see another account's groups)."""
    found = groups.value if groups.ok else None
    return next((str(g["OwnerId"]) for g in (found or {}).values() if g.get("OwnerId")), None)


def _owner_of(subnets: Read[dict[str, dict[str, Any]]], vpc_id: str | None) -> str | None:
    """The account that owns the job's VPC: its subnets' owner (another account's when
    they are shared with the job's through AWS RAM)."""
    found = subnets.value if subnets.ok else None
    owners = [s.get("OwnerId") for s in (found or {}).values() if s.get("VpcId") == vpc_id]
    return next((str(o) for o in owners if o), None)


def _artifact_urls(containers: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    urls = []
    for container in containers:
        source = container.get("ModelDataSource", {}).get("S3DataSource", {}).get("S3Uri")
        for url in (container.get("ModelDataUrl"), source):
            if url:
                urls.append(url)
    return tuple(dict.fromkeys(urls))


def _buckets(urls: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(b for b in (s3_bucket(u) for u in urls) if b))


def _simulated(job: JobRequest, results: Iterable[Mapping[str, Any]]) -> RoleAccess:
    """Per action, the worst decision over the resources it names (the simulator answers per
    resource when given several), and the context keys it said it was missing."""
    rank = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}
    decisions: dict[str, str] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for result in results:
        action = str(result.get("EvalActionName"))
        wanted = set(role_resources(job, action))
        specific = [
            r
            for r in result.get("ResourceSpecificResults", [])
            if r.get("EvalResourceName") in wanted
        ]
        found = [str(r.get("EvalResourceDecision")) for r in specific] or [
            str(result.get("EvalDecision"))
        ]
        name = result.get("EvalResourceName")
        if not specific and name not in (None, "*") and name not in wanted:
            continue  # one result per resource (older answers): not a resource of this call
        worst = max([decisions.get(action, "allowed"), *found], key=lambda d: rank.get(d, 1))
        decisions[action] = worst
        keys = [*result.get("MissingContextValues", [])]
        keys += [k for r in specific for k in r.get("MissingContextValues", [])]
        if keys:
            missing[action] = tuple(dict.fromkeys([*missing.get(action, ()), *keys]))
    return RoleAccess(simulated=decisions, missing_context=missing)


def _policy_document(document: Any) -> dict[str, Any]:
    """IAM answers documents as dicts (boto3 decodes) or URL-encoded JSON strings."""
    if isinstance(document, dict):
        return document
    parsed = json.loads(urllib.parse.unquote(str(document)))
    return parsed if isinstance(parsed, dict) else {}
