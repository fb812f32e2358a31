"""The catalogue as a Markdown table: printed by `ir-vpc-guard checks`, kept in the README."""

from __future__ import annotations

from ir_vpc_guard.checks.registry import CATALOGUE, Check
from ir_vpc_guard.findings import CHECK_ERROR, MUTE_LIST_INVALID
from ir_vpc_guard.intake import workloads
from ir_vpc_guard.remediation.stopping import CERTAIN_BECAUSE

HEADER = (
    "| ID | severity | requirement | remediable | stops a job | what it looks at | workloads |\n"
    "|---|---|---|---|---|---|---|"
)


def markdown() -> str:
    rows = [
        f"| `{c.check_id}` | {c.severity.value} | {c.requirement} | "
        f"{'yes: ' + str(c.remediation_action) if c.remediable else 'no'} | "
        f"{_stops(c)} | {c.title} | {applies_to(c.check_id)} |"
        for c in sorted(CATALOGUE.values(), key=lambda c: c.requirement)
    ]
    rows.append(
        f"| `{CHECK_ERROR}` | MEDIUM | all | no | no | A read a check needed failed (names the "
        "call and the AWS error code), or a check raised (names the check and the exception "
        "type) | all |"
    )
    rows.append(
        f"| `{MUTE_LIST_INVALID}` | MEDIUM | all | no | no | The mute list could not be read or "
        "does not validate (names the problem); nothing is muted | all |"
    )
    return "\n".join([HEADER, *rows])


def applies_to(check_id: str) -> str:
    """The registered workloads the check judges (`Check.judges`): `all`, `all but ...` when
    fewer are left out than judged, else their names."""
    judged = [n for n, w in workloads.WORKLOADS.items() if CATALOGUE[check_id].judges(w)]
    left_out = [n for n in workloads.WORKLOADS if n not in judged]
    if not left_out:
        return "all"
    if len(left_out) < len(judged):
        return "all but " + ", ".join(f"`{n}`" for n in left_out)
    return ", ".join(f"`{n}`" for n in judged) or "none"


def _stops(check: Check) -> str:
    """Whether a certain HIGH of the check stops a job (StopDoomedJobs): README, "Stopping
    a doomed job", says why each is certain."""
    if check.check_id in CERTAIN_BECAUSE:
        return "yes"
    return "if named in `StopOnChecks`" if check.blocks_job else "no"
