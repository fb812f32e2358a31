"""What a fix is: one registered unit (`fixes/`) with its name, what it writes, the IAM it
needs, how it plans from a finding, and (through its target's track) what it re-reads and
how it applies."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from botocore.exceptions import ClientError

from ir_vpc_guard.aws import AwsClients
from ir_vpc_guard.discovery.snapshot import Snapshot
from ir_vpc_guard.findings import ActionName, Finding, RemediationStatus
from ir_vpc_guard.intake.request import JobRequest
from ir_vpc_guard.remediation.actions import Action, tags
from ir_vpc_guard.remediation.permissions import Grant, actions_of
from ir_vpc_guard.remediation.targets import Target
from ir_vpc_guard.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import TagTypeDef


class Unit(ABC):
    """A registered action (a fix or the stop): its name, what it writes, its IAM."""

    name: ClassVar[ActionName]
    writes: ClassVar[Target]
    grants: ClassVar[tuple[Grant, ...]]  # the template's statements for it

    @property
    def iam_actions(self) -> tuple[str, ...]:
        return actions_of(self.grants)


class Fix(Unit):
    """An additive change to the job's VPC. A subclass per target (tracks/) says what it
    re-reads and how it applies; a module per fix (fixes/) says the rest."""

    @abstractmethod
    def plan(self, snapshot: Snapshot, vpc_id: str, finding: Finding) -> list[Action]:
        """The actions for this finding, from the snapshot only (pure)."""


class Stop(Unit):
    """A unit that stops a job certain to fail. It runs after remediation and the re-check,
    on the findings that remain; the pipeline asks every registered stop."""

    @abstractmethod
    def decide(
        self,
        job: JobRequest,
        findings: list[Finding],
        snapshot: Snapshot,
        *,
        settings: Settings,
        clients: AwsClients,
        home_account: str | None,
        broken_checks: list[str],
    ) -> Action | None:
        """The stop action with what became of it, or None when nothing dooms the job."""


@dataclass(frozen=True, eq=False, repr=False)
class Context:
    """What applying needs: the state before, the client, and the clock for the tags."""

    snapshot: Snapshot
    ec2: EC2Client
    now: Callable[[], datetime]

    def tags(self) -> list[TagTypeDef]:
        return tags(self.snapshot.job.job_name, self.now().isoformat(timespec="seconds"))


def failure(action: Action, error: BaseException) -> Action:
    """FAILED with the AWS error code (or the exception's type): this action only."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "Unknown"))
        return action.settle(
            RemediationStatus.FAILED, f"{error.operation_name}: {info.get('Message', '')}", code
        )
    return action.settle(RemediationStatus.FAILED, str(error)[:300], type(error).__name__)
