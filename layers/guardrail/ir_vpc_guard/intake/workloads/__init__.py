"""The registry: every module of this package is one workload and names it `UNIT`. Adding a
workload is adding a module here (docs/architecture.md, "Adding a workload")."""

from __future__ import annotations

import importlib
import pkgutil

from ir_vpc_guard.intake.workload import INFERENCE_RECOMMENDER, Workload
from ir_vpc_guard.settings import Settings, SettingsError


def _discovered() -> dict[str, Workload]:
    """Each module's UNIT by workload name, Inference Recommender first (the others by name)."""
    units = []
    for module in pkgutil.iter_modules(__path__):
        unit = importlib.import_module(f"{__name__}.{module.name}").UNIT
        if not isinstance(unit, Workload):
            raise TypeError(f"{__name__}.{module.name}.UNIT is not a Workload")
        units.append(unit)
    units.sort(key=lambda u: (u.name != INFERENCE_RECOMMENDER, u.name))
    return {u.name: u for u in units}


WORKLOADS = _discovered()
# The workload each CloudTrail event name belongs to.
BY_EVENT_NAME = {name: w for w in WORKLOADS.values() for name in w.event_names}
if len(BY_EVENT_NAME) != sum(len(w.event_names) for w in WORKLOADS.values()):
    raise ValueError("two workloads answer the same event name")


def workload_of(name: str) -> Workload:
    """The registered workload of this name (a JobRequest's `workload`)."""
    return WORKLOADS[name]


def enabled(settings: Settings) -> frozenset[str]:
    """The workloads WORKLOADS names, every registered one when it names none. A name that
    is not a workload's is a configuration error (raised at cold start, like every other
    bad setting)."""
    if settings.workloads is None:
        return frozenset(WORKLOADS)
    unknown = sorted(settings.workloads - set(WORKLOADS))
    if unknown:
        raise SettingsError(
            f"WORKLOADS has unknown workloads {', '.join(unknown)}; known: {', '.join(WORKLOADS)}"
        )
    return settings.workloads
