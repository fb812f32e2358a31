"""The registry: every module of this package is one unit (a fix, or the stop) and names it
`UNIT`. Adding a fix is adding a module here; nothing else lists them."""

from __future__ import annotations

import importlib
import pkgutil

from ir_vpc_guard.findings import ActionName
from ir_vpc_guard.remediation.fix import Fix, Stop, Unit


def _discovered() -> tuple[Unit, ...]:
    """Each module's UNIT, in the order of the action names (the report's order)."""
    units = []
    for module in pkgutil.iter_modules(__path__):
        unit = importlib.import_module(f"{__name__}.{module.name}").UNIT
        if not isinstance(unit, Fix | Stop):
            raise TypeError(f"{__name__}.{module.name}.UNIT is neither a Fix nor a Stop")
        units.append(unit)
    order = list(ActionName)
    return tuple(sorted(units, key=lambda u: order.index(u.name)))


UNITS = _discovered()
# The additive fixes by name: what the planner, the gates and the executor look up (keyed
# by the string a finding's remediation carries, its check's ActionName).
FIX_UNITS: dict[str, Fix] = {u.name: u for u in UNITS if isinstance(u, Fix)}
# The units that stop a job (StopDoomedJobs): run after the re-check, on what remains.
STOP_UNITS: tuple[Stop, ...] = tuple(u for u in UNITS if isinstance(u, Stop))
# Their names: how delivery tells a stop from a fix (a metric, the e-mail's headline).
STOP_NAMES = frozenset(u.name for u in STOP_UNITS)
