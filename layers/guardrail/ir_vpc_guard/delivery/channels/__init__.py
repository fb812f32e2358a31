"""Channels: where a report goes besides the log line and the metrics, one module each.

A channel module here declares `SPEC` (its name, the setting that enables it, the IAM
actions it needs and the template statement granting them, required or best effort) and
`build(outlets)`, which makes the channel. The package is listed, not a registry: adding a
channel is writing one module (plus its setting and its template statement). Only an
enabled channel is built, and a module imports what its channel needs inside `build`, so a
deployment without Security Hub never imports the ASFF mapping.

Required channels raise when they fail: the invocation fails, Lambda retries it and then
sends it to the DLQ, so the report is not lost. Best-effort channels log and count a
failure and never raise (a retry would deliver the required channels' copy twice).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:  # types only: Powertools is imported by the handler
    from aws_lambda_powertools import Logger, Metrics

    from ir_vpc_guard.aws import AwsClients
    from ir_vpc_guard.delivery.report import Report
    from ir_vpc_guard.settings import Settings


@dataclass(frozen=True)
class ChannelSpec:
    """What is known of a channel before it is built: the settings, the template and the
    README read it."""

    name: str
    setting: str  # the environment variable that enables it
    iam_actions: tuple[str, ...]
    statement: str  # the Sid of the template statement that grants `iam_actions`
    required: bool
    enabled: Callable[[Settings], bool]


class Channel(Protocol):
    """A built channel: `send` delivers one report (see the module docstring on failures)."""

    @property
    def spec(self) -> ChannelSpec: ...

    def send(self, report: Report) -> None: ...


@dataclass(frozen=True, eq=False, repr=False)
class Outlets:
    """What a channel is built from: the settings, clients by region, the log and metrics."""

    settings: Settings
    clients_for: Callable[[str], AwsClients]
    logger: Logger
    metrics: Metrics


class _Module(Protocol):
    SPEC: ChannelSpec

    def build(self, outlets: Outlets) -> Channel: ...


def _modules() -> list[_Module]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.ispkg)
    return [cast("_Module", importlib.import_module(f"{__name__}.{name}")) for name in names]


def specs() -> tuple[ChannelSpec, ...]:
    """Every channel's spec, enabled or not."""
    return tuple(module.SPEC for module in _modules())


def enabled_channels(
    settings: Settings,
    clients_for: Callable[[str], AwsClients],
    logger: Logger,
    metrics: Metrics,
) -> list[Channel]:
    """The channels the settings enable, best effort first: a required channel's failure
    ends the delivery, so the others have had their turn. A required channel that is not
    enabled is replaced by one that says so on every report."""
    outlets = Outlets(settings, clients_for, logger, metrics)
    built: list[Channel] = []
    for module in _modules():
        if module.SPEC.enabled(settings):
            built.append(module.build(outlets))
        elif module.SPEC.required:
            built.append(Unset(module.SPEC, logger))
    return sorted(built, key=lambda channel: channel.spec.required)


@dataclass(frozen=True, eq=False, repr=False)
class Unset:
    """A required channel whose setting is empty (local runs): the report is only logged."""

    spec: ChannelSpec
    logger: Logger

    def send(self, report: Report) -> None:
        self.logger.warning(
            f"{self.spec.setting} is not set: the report is only logged and returned"
        )


def why(error: BaseException) -> dict[str, str]:
    """The log fields of a failure: its type and, for an AWS error, its code."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return {"error": type(error).__name__, "errorCode": str(code or "")}
