"""The README's generated tables: the check catalogue, the configuration, the permissions,
the checks that stop jobs and the FailureReason classes, from the code and the template
themselves, so the README cannot drift from what ships."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cfnlint.decode import decode  # type: ignore[import-untyped]

from ir_vpc_guard.settings import DOCUMENTED
from ir_vpc_guard_dev.catalogue import markdown as checks_table

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
FUNCTION = "GuardrailFunction"

__all__ = ["checks_table", "config_table", "iam_table", "reasons_table", "stops_table"]


def _template() -> dict[str, Any]:
    data, matches = decode(str(TEMPLATE))
    if matches or data is None:
        raise ValueError(f"{TEMPLATE} does not parse: {matches}")
    template: dict[str, Any] = json.loads(json.dumps(data))
    return template


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _shown(default: object) -> str:
    return "(empty)" if default == "" else str(default)


def config_table() -> str:
    """Every environment variable and every template parameter: default and meaning."""
    template = _template()
    parameters: dict[str, dict[str, Any]] = template["Parameters"]
    variables = template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    rows = ["| parameter | environment variable | default | meaning |", "|---|---|---|---|"]
    mapped: set[str] = set()
    for name, (code_default, meaning) in DOCUMENTED.items():
        value = variables.get(name)
        parameter = value.get("Ref") if isinstance(value, dict) else None
        default = code_default
        if parameter in parameters:
            mapped.add(parameter)
            default = _shown(parameters[parameter].get("Default", code_default))
        source = f"`{parameter}`" if parameter in parameters else "(set by the stack)"
        rows.append(f"| {source} | `{name}` | `{_cell(default)}` | {_cell(meaning)} |")
    for parameter, spec in parameters.items():
        if parameter not in mapped:
            default = _shown(spec.get("Default", ""))
            rows.append(
                f"| `{parameter}` | - | `{_cell(default)}` | {_cell(spec.get('Description', ''))} |"
            )
    return "\n".join(rows)


def iam_table() -> str:
    """The function's permissions per mode, from the code's own declarations."""
    from ir_vpc_guard.delivery.channels import security_hub, sns  # noqa: PLC0415
    from ir_vpc_guard.delivery.mutes import MUTE_LIST_ACTIONS  # noqa: PLC0415
    from ir_vpc_guard.discovery.discover import READ_ACTIONS  # noqa: PLC0415
    from ir_vpc_guard.intake.sagemaker_jobs import SWEEP_ACTIONS  # noqa: PLC0415
    from ir_vpc_guard.remediation.fixes import FIX_UNITS, STOP_UNITS  # noqa: PLC0415
    from ir_vpc_guard.remediation.permissions import LOCK_ACTIONS  # noqa: PLC0415
    from ir_vpc_guard.state.records import TABLE_ACTIONS  # noqa: PLC0415

    def actions(names: object) -> str:
        assert isinstance(names, list | tuple | set)
        return ", ".join(f"`{a}`" for a in sorted(set(names)))

    reads = [a for group in READ_ACTIONS.values() for a in group]
    writes = [a for unit in FIX_UNITS.values() for a in unit.iam_actions] + list(LOCK_ACTIONS)
    stops = [a for unit in STOP_UNITS for a in unit.iam_actions]
    kinds = {r for unit in STOP_UNITS for grant in unit.grants for r in grant.resources}
    rows = [
        "| when | actions | why |",
        "|---|---|---|",
        f"| always | {actions(reads)} | discovery's reads (filtered by ID and `vpc-id`) |",
        f"| always | {actions(sns.SPEC.iam_actions)} | the report, on the topic only |",
        f"| always | {actions(TABLE_ACTIONS)} | idempotency and job records, on the table only |",
        f"| `RemediationMode=apply` | {actions(writes)} | the additive fixes and the VPC lock |",
        f"| `EnableSweep=true` | {actions(SWEEP_ACTIONS)} | the catch-up sweep, per workload"
        " that `Workloads` enables (List on `*`, Describe on its own jobs) |",
        f"| `EnableSecurityHub=true` | {actions(security_hub.SPEC.iam_actions)} |"
        " the ASFF export |",
        f"| `StopDoomedJobs=true` and `RemediationMode=apply` | {actions(stops)} |"
        " stopping a doomed job, per workload that `Workloads` enables, on its own jobs only"
        f" ({', '.join(sorted(kinds))}) |",
        f"| `MuteListParameter` set | {actions(MUTE_LIST_ACTIONS)} | the mute list, on that"
        " parameter only |",
    ]
    return "\n".join(rows)


def stops_table() -> str:
    """The checks that may stop a job: by default (and why each HIGH is certain), or only
    when StopOnChecks names them (and why not by default)."""
    from ir_vpc_guard.remediation.stopping import CERTAIN_BECAUSE, NOT_BY_DEFAULT  # noqa: PLC0415

    rows = ["| check | stops a job | why |", "|---|---|---|"]
    rows += [f"| `{c}` | by default | {_cell(why)} |" for c, why in CERTAIN_BECAUSE.items()]
    rows += [
        f"| `{c}` | only when `StopOnChecks` names it | {_cell(why[0].upper() + why[1:])} |"
        for c, why in NOT_BY_DEFAULT.items()
    ]
    return "\n".join(rows)


def reasons_table() -> str:
    """How a FailureReason is classified (outcomes/failure_reasons.PATTERNS, in the order
    they are tried), with the checks a match confirms and the pattern's source."""
    from ir_vpc_guard.outcomes.failure_reasons import PATTERNS, ReasonClass  # noqa: PLC0415

    rows = [
        "| pattern | the message matches (case-insensitive) | class | confirms | source |",
        "|---|---|---|---|---|",
    ]
    for p in PATTERNS:
        kind = "unknown: never attributed" if p.kind is ReasonClass.UNKNOWN else p.kind.value
        checks = ", ".join(f"`{c}`" for c in p.checks) or "none"
        rows.append(f"| `{p.name}` | `{_cell(p.regex)}` | {kind} | {checks} | {_cell(p.source)} |")
    rows.append(
        f"| (no pattern) | anything else, or no message | {ReasonClass.UNKNOWN.value} | none |"
        " never guessed |"
    )
    return "\n".join(rows)
