"""Every setting, read from the environment once and validated: a bad value is an error."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MODES = ("report", "apply")


class SettingsError(ValueError):
    """A setting has a value the guardrail refuses to guess about."""


@dataclass(frozen=True)
class Settings:
    remediation_mode: str = "report"
    default_job_instances: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        mode = env.get("REMEDIATION_MODE", "report").strip().lower()
        if mode not in MODES:
            raise SettingsError(f"REMEDIATION_MODE must be one of {', '.join(MODES)}, got {mode!r}")
        return cls(
            remediation_mode=mode,
            default_job_instances=_int(env, "DEFAULT_JOB_INSTANCES", 10, low=1, high=100),
        )


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value
