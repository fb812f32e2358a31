"""The IAM statements a fix declares (the template grants exactly those in apply mode).

Like the checks' READ_ACTIONS, each is a declaration the template's IAM test compares with
the role: the test walks the registry of fixes, as Cloud Custodian's walks its actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Writes are serialized per VPC with a conditional item in the idempotency table.
LOCK_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")


@dataclass(frozen=True, eq=False, repr=False)
class Grant:
    """One Allow statement: actions on resources of the function's own account and region,
    with its condition. `{region}` in a condition value stands for the stack's region."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]  # resource types with their pattern, e.g. "vpc-endpoint/*"
    condition: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.actions[0].split(":")[0]

    def arns(self, partition: str, region: str, account: str) -> tuple[str, ...]:
        """The statement's resources as IAM sees them in this stack."""
        return tuple(
            f"arn:{partition}:{self.service}:{region}:{account}:{r}" for r in self.resources
        )

    def conditions(self, region: str) -> dict[str, dict[str, str]]:
        """The condition, its `{region}` filled in."""
        return {
            operator: {key: value.format(region=region) for key, value in keys.items()}
            for operator, keys in self.condition.items()
        }


def actions_of(grants: tuple[Grant, ...]) -> tuple[str, ...]:
    """Every IAM action the grants name, once, in their order."""
    return tuple(dict.fromkeys(a for grant in grants for a in grant.actions))
