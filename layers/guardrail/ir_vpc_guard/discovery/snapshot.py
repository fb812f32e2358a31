"""What discovery read about one job: each input is a value, an error, not applicable, or
undetermined (it belongs to another account the guardrail may not read)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from ir_vpc_guard.intake.request import JobRequest

if TYPE_CHECKING:  # the boto3-stubs types: development dependencies, never in the layer
    from mypy_boto3_ec2.type_defs import (
        NatGatewayTypeDef,
        NetworkAclTypeDef,
        RouteTableTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        VpcEndpointTypeDef,
        VpcTypeDef,
    )

    # The job's subnets and security groups by ID, as EC2 describes them (types for the
    # checker only: import them under TYPE_CHECKING).
    SubnetsById: TypeAlias = dict[str, SubnetTypeDef]
    GroupsById: TypeAlias = dict[str, SecurityGroupTypeDef]

T = TypeVar("T")


@dataclass(frozen=True)
class ReadError:
    """A read that failed: which API call, and the AWS error code."""

    api: str
    code: str
    message: str = ""


@dataclass(frozen=True)
class Read(Generic[T]):
    """The result of one read. Exactly one of value / error / not_applicable / undetermined
    is meaningful. `undetermined` says why the resource could not be read although nothing
    failed (another account owns it): the checks that need it cannot say either way."""

    value: T | None = None
    error: ReadError | None = None
    not_applicable: str | None = None
    undetermined: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.not_applicable is None and self.undetermined is None

    def get(self) -> T:
        """The value; only call after `ok` (the check runner guarantees it)."""
        if self.value is None:
            raise LookupError("read has no value")
        return self.value


def not_applicable(reason: str) -> Read[Any]:
    return Read(not_applicable=reason)


def undetermined(reason: str) -> Read[Any]:
    return Read(undetermined=reason)


def unread_as(read: Read[Any]) -> Read[Any]:
    """A read that depends on `read` and was not made: the same error or reason."""
    return Read(
        error=read.error, not_applicable=read.not_applicable, undetermined=read.undetermined
    )


def failed(api: str, code: str, message: str = "") -> Read[Any]:
    return Read(error=ReadError(api=api, code=code, message=message))


def _unread() -> Read[Any]:
    return not_applicable("not read")


@dataclass(frozen=True)
class PrefixList:
    """The regional S3 prefix list: its ID and its CIDRs."""

    prefix_list_id: str
    cidrs: tuple[str, ...]


@dataclass(frozen=True)
class ReferencedPrefixList:
    """A prefix list (other than S3's) that a job group's egress rule or a job subnet's route
    names: its entries stand for what they cover, so the checks judge them like CIDRs.
    `error` says why its entries could not be read (the checks then cannot count on it
    either way)."""

    prefix_list_id: str
    cidrs: tuple[str, ...] = ()
    error: ReadError | None = None


@dataclass(frozen=True)
class Source:
    """A statement that denies: `kind` inline | managed | boundary | a simulator policy
    type; `policy` the inline name or the policy's ARN or ID; `statement` its Sid or place."""

    kind: str
    policy: str
    statement: str

    def __str__(self) -> str:
        return f"{self.policy}: {self.statement}"


@dataclass(frozen=True)
class RoleAccess:
    """What is known about the execution role's permissions.

    Either the IAM policy simulator's decisions per action (with the context keys it said
    were missing), or (when simulation is not available) the role's own policy documents
    and its permissions boundary, for local evaluation.
    """

    simulated: dict[str, str] | None = None
    missing_context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    policies: tuple[dict[str, Any], ...] = ()
    boundary: dict[str, Any] | None = None
    attached_policy_arns: tuple[str, ...] = ()
    # The inline policies' names: `policies` holds their documents first, in this order, then
    # the attached policies' (so that a refusal names the policy to change).
    inline_policy_names: tuple[str, ...] = ()
    boundary_arn: str | None = None
    # The role's own tags (iam:GetRole): they decide aws:PrincipalTag/... conditions.
    tags: dict[str, str] | None = None
    # Simulator: per explicitly denied action, the statements that deny it; the actions the
    # permissions boundary refuses.
    denied_by: dict[str, tuple[Source, ...]] = field(default_factory=dict)
    boundary_refuses: frozenset[str] = frozenset()
    simulated_boundary: bool = False  # the simulator answered with a boundary's decision

    @property
    def has_boundary(self) -> bool:
        return self.simulated_boundary or self.boundary is not None or bool(self.boundary_arn)


@dataclass(frozen=True)
class ModelInfo:
    """Where the model's artifacts and image live, from the model package (or model)."""

    source: str
    artifact_urls: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    sample_payload_url: str | None = None


@dataclass(frozen=True)
class JobBuckets:
    """The policies of the buckets a job reads and writes through its VPC, by name (None: no
    policy), and the buckets of another account, whose policy only their owner may read."""

    policies: dict[str, str | None]
    foreign: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """Everything the checks look at for one job. Checks never do I/O."""

    job: JobRequest
    vpc_id: str | None = None
    # The account that owns the job's VPC (its subnets' OwnerId), when known.
    vpc_owner: str | None = None
    # The account whose credentials read the snapshot (the function's or the CLI's), when
    # known; never the groups' owner, which may be the VPC's owner sharing them too.
    reader_account: str | None = None
    # Not documented by AWS: how many instances a Default job runs at once (see settings).
    default_job_instances: int = 10
    subnets: Read[SubnetsById] = field(default_factory=_unread)
    security_groups: Read[GroupsById] = field(default_factory=_unread)
    # The state of each job group of another VPC associated with the job's VPC
    # (AssociateSecurityGroupVpc), by group ID: read only when a group is in another VPC.
    group_vpc_associations: Read[dict[str, str]] = field(default_factory=lambda: Read(value={}))
    network_acls: Read[list[NetworkAclTypeDef]] = field(default_factory=_unread)
    s3_prefix_list: Read[PrefixList] = field(default_factory=_unread)
    # Keyed by ID; empty when no job group rule names another prefix list.
    referenced_prefix_lists: Read[dict[str, ReferencedPrefixList]] = field(
        default_factory=lambda: Read(value={})
    )
    vpc: Read[VpcTypeDef] = field(default_factory=_unread)
    dns_support: Read[bool] = field(default_factory=_unread)
    dhcp_name_servers: Read[tuple[str, ...]] = field(default_factory=_unread)
    route_tables: Read[list[RouteTableTypeDef]] = field(default_factory=_unread)
    # The customer-managed prefix lists the job subnets' route tables route to, by ID, and
    # the NAT gateways they route to, by ID: empty when no such route is in play.
    route_prefix_lists: Read[dict[str, ReferencedPrefixList]] = field(
        default_factory=lambda: Read(value={})
    )
    nat_gateways: Read[dict[str, NatGatewayTypeDef]] = field(default_factory=lambda: Read(value={}))
    s3_endpoints: Read[list[VpcEndpointTypeDef]] = field(default_factory=_unread)
    role: Read[RoleAccess] = field(default_factory=_unread)
    model: Read[ModelInfo] = field(default_factory=_unread)
    artifact_bucket_policies: Read[dict[str, str | None]] = field(default_factory=_unread)
    payload_bucket_policies: Read[dict[str, str | None]] = field(default_factory=_unread)
    repository_policies: Read[dict[str, str | None]] = field(default_factory=_unread)
    # Workloads whose data path is the VPC: the policies of the job's own buckets.
    job_bucket_policies: Read[JobBuckets] = field(default_factory=_unread)
    # A private registry's credentials Lambda (read only then): the VPC's Lambda interface
    # endpoints and its enableDnsHostnames attribute (private DNS needs it).
    lambda_endpoints: Read[list[VpcEndpointTypeDef]] = field(default_factory=_unread)
    dns_hostnames: Read[bool] = field(default_factory=_unread)

    @property
    def shared_vpc(self) -> bool:
        """The VPC belongs to another account than the one reading it (subnets shared
        through RAM, the groups too or not): a replay about another account, read with
        that VPC's owner's credentials, is not."""
        return self.vpc_owner is not None and self.vpc_owner != self.reader

    @property
    def reader(self) -> str:
        """The account whose credentials read (the job's when not known otherwise)."""
        return self.reader_account or self.job.account

    def read(self, name: str) -> Read[Any]:
        """The read of that name (a field of this class: see READ_ACTIONS)."""
        value = getattr(self, name)
        if not isinstance(value, Read):
            raise TypeError(f"{name!r} is not a read of the snapshot")
        return value
