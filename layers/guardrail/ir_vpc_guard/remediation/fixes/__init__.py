"""The registry: every module of this package is one unit (a fix, or the stop) and names it
`UNIT`. Adding a fix is adding a module here; nothing else lists them."""

from __future__ import annotations

import importlib
import pkgutil

from ir_vpc_guard.findings import ActionName
from ir_vpc_guard.remediation.fix import Fix, Unit


def _discovered() -> tuple[Unit, ...]:
    """Each module's UNIT, in the order of the action names (the report's order)."""
    units = []
    for module in pkgutil.iter_modules(__path__):
        unit = importlib.import_module(f"{__name__}.{module.name}").UNIT
        if not isinstance(unit, Unit):
            raise TypeError(f"{__name__}.{module.name}.UNIT is not a remediation unit")
        units.append(unit)
    order = list(ActionName)
    return tuple(sorted(units, key=lambda u: order.index(u.name)))


UNITS = _discovered()
# The additive fixes by name: what the planner, the gates and the executor look up (keyed
# by the string a finding's remediation carries, its check's ActionName).
FIX_UNITS: dict[str, Fix] = {u.name: u for u in UNITS if isinstance(u, Fix)}
# The units that stop a job (StopDoomedJobs): run after the re-check, on what remains.
STOP_UNITS = tuple(u for u in UNITS if not isinstance(u, Fix))
