"""Tables 1, 2 and 5 rendered from the runs in `network`, with their verdicts."""

from __future__ import annotations

from benchmarks.harness import DELAY_SECONDS
from benchmarks.measure import Sample
from benchmarks.network import SHAPES_VPC_SIZE, ApplyRun, ShapeRun, SizeRun
from benchmarks.tables import Table, met, ms, ratio

CALL_TARGET = 14
CHECK_WAVES = 3.0
APPLY_WAVES = 5.0
DELAY_MS = f"{DELAY_SECONDS * 1000:.0f} ms"


def vpc_label(extra: int) -> str:
    return (
        f"2 job + {extra} other subnets, {extra // 2} route tables, "
        f"{extra // 2} groups, {extra // 10} NACLs"
    )


def kb(size: int) -> str:
    return f"{size / 1024:.0f}"


def calls_table(sizes: list[SizeRun], shapes: list[ShapeRun]) -> Table:
    table = Table(
        "1. API calls per full check",
        [
            "VPC",
            "job subnets x groups",
            "calls: cold",
            "calls: warm",
            "KB received",
            "target",
            "verdict",
        ],
    )
    rows = [(vpc_label(r.extra), "2 x 1", r.cold, r.product) for r in sizes] + [
        (f"16 job + {SHAPES_VPC_SIZE} other subnets", f"{s.subnets} x {s.groups}", s.cold, s.warm)
        for s in shapes
    ]
    for vpc, shape, cold, warm in rows:
        table.add(
            vpc,
            shape,
            cold.calls,
            warm.calls,
            kb(cold.bytes_in),
            f"<= {CALL_TARGET}",
            met(max(cold.calls, warm.calls) <= CALL_TARGET),
        )
    colds, warms = {row[2].calls for row in rows}, {row[3].calls for row in rows}
    flat = len(colds) == 1 and len(warms) == 1
    ok = flat and max(colds | warms) <= CALL_TARGET
    table.verdict = f"{met(ok)}: {min(colds)} to {max(colds)} calls cold, " + (
        f"{min(warms)} to {max(warms)} warm; "
        + ("flat in VPC size and job shape" if flat else "NOT flat")
    )
    first, last = sizes[0].cold.log, sizes[-1].cold.log
    table.notes.append(
        "Cold: the first check of a container (the region's S3 prefix list is read: "
        "ec2.DescribePrefixLists and ec2.GetManagedPrefixListEntries); warm: the next checks, "
        "which keep that list for the container's life. Calls by operation, cold: "
        + ", ".join(f"{op} {n}" for op, n in sorted(first.calls.items()))
        + "."
    )
    heaviest = max(last.bytes_by_call, key=lambda op: last.bytes_by_call[op])
    table.notes.append(
        f"Bytes are not flat: the largest answer at {sizes[-1].extra} other subnets is "
        f"{heaviest} ({kb(last.bytes_by_call[heaviest])} KB, vs "
        f"{kb(first.bytes_by_call[heaviest])} KB at {sizes[0].extra}): it reads every route "
        "table of the VPC (filter vpc-id), though the checks need only the job subnets' "
        "tables and the main one."
    )
    table.notes.append(
        "Counted at botocore's before-call: one per API request, each page of a paginated "
        "read counted (SDK retries of a request would not be; none happen against moto). "
        "iam:SimulatePrincipalPolicy, which moto lacks, is answered by the same narrow fake "
        "as tests/integration/calls.py and counted like any call."
    )
    return table


def wave_verdict(s: Sample, target: float) -> str:
    if s.waves <= target:
        return met(True)
    if s.net_waves <= target:
        return "NOT met; met net of emulator"
    return met(False)


def latency_row(table: Table, label: str, s: Sample, target: float, cold: Sample | None) -> None:
    table.add(
        label,
        s.outcome,
        s.calls,
        s.depth,
        f"{ms(s.wall)} [{ms(s.best_wall)}]",
        f"{s.waves:.1f}",
        ms(s.emulator_cpu),
        f"{s.net_waves:.1f}",
        ms(s.client_cpu),
        ms(cold.wall) if cold else "n/a",
        f"<= {target:.0f}",
        wave_verdict(s, target),
    )


def timeline(s: Sample) -> str:
    waves = s.log.waves()
    return "; ".join(f"{n} ({', '.join(sorted(ops))})" for n, ops in enumerate(waves, 1))


def summary(samples: list[Sample], target: float) -> str:
    """How many runs meet `target` by each measure of waves."""

    def count(waves: list[float]) -> str:
        return f"{sum(w <= target for w in waves)} of {len(waves)}"

    return (
        f"{count([s.waves for s in samples])} met on wall / delay, "
        f"{count([s.net_waves for s in samples])} net of the emulator, "
        f"{count([float(s.depth) for s in samples])} on the longest chain of calls"
    )


def latency_table(sizes: list[SizeRun], apply: ApplyRun) -> Table:
    table = Table(
        f"2. Latency with {DELAY_MS} injected per call",
        [
            "Scenario",
            "outcome",
            "calls",
            "longest chain",
            "wall ms: median [best]",
            f"waves = wall / {DELAY_MS}",
            "emulator CPU (ms)",
            "waves net of emulator",
            "client CPU (ms)",
            "first run, new clients (ms)",
            "target",
            "verdict",
        ],
    )
    for run in sizes:
        latency_row(
            table,
            f"check, report mode, {run.extra} other subnets",
            run.product,
            CHECK_WAVES,
            run.cold,
        )
    latency_row(table, "check, report mode, broken world", apply.check, CHECK_WAVES, None)
    if apply.apply.applied:
        latency_row(
            table, "check + apply + re-verify, no lock table", apply.apply, APPLY_WAVES, None
        )
        latency_row(
            table,
            "the same with the DynamoDB VPC lock (as deployed)",
            apply.locked,
            APPLY_WAVES,
            None,
        )
    else:
        table.add("check + apply + re-verify", "pending remediation", *["n/a"] * 10)
    checks = [r.product for r in sizes] + [apply.check]
    table.verdict = (
        f"check <= {CHECK_WAVES:.0f} waves: {summary(checks, CHECK_WAVES)}. "
        f"check + apply + re-verify <= {APPLY_WAVES:.0f} waves: "
        + (
            summary([apply.apply, apply.locked], APPLY_WAVES)
            if apply.apply.applied
            else "pending remediation"
        )
    )
    table.notes += [
        "Warm runs (clients kept per region, as functions/guardrail/app.py keeps them): "
        "median of 5 after one warm-up (apply: median of 3 fresh broken worlds, each warmed "
        "up by a report-mode check), fastest in brackets; waves from the median. The first-run "
        "column is a new session's first check (clients created, service models loaded): "
        "what the first event after a cold start pays.",
        "Longest chain: the most calls that ran one after the other (each starting after the "
        "previous ended), from the call timestamps: the waves the network alone imposes.",
        "Emulator CPU: thread CPU time inside moto (between botocore's request-created and "
        "before-parse). moto runs in process and holds the one GIL, so its time adds to the "
        "wall time here; on AWS it runs on AWS's side, in parallel. Net of emulator = "
        "(wall - emulator CPU) / delay. Client CPU = process CPU - emulator CPU: what the "
        "function itself spends (at 128 MB a Lambda has about 1/14 of a vCPU).",
    ]
    if apply.apply.applied:
        table.notes.append("Apply run with the lock, wave by wave: " + timeline(apply.locked) + ".")
    table.notes.append(
        f"Check at {sizes[-1].extra} other subnets, wave by wave: "
        + timeline(sizes[-1].product)
        + "."
    )
    return table


def baseline_table(sizes: list[SizeRun]) -> Table:
    table = Table(
        f"5. Naive baseline side by side ({DELAY_MS} per call)",
        [
            "VPC",
            "calls: product / naive (ratio)",
            "waves: product / naive (ratio)",
            "wall ms: product / naive (ratio)",
            "KB received: product / naive (ratio)",
            "wall ms, no delay: product / naive",
            "outcomes",
        ],
    )
    for run in sizes:
        p, n = run.product, run.naive
        table.add(
            f"{run.extra} other subnets",
            f"{p.calls} / {n.calls} ({ratio(n.calls, p.calls)})",
            f"{p.waves:.1f} / {n.waves:.1f} ({ratio(n.waves, p.waves)})",
            f"{ms(p.wall)} / {ms(n.wall)} ({ratio(n.wall, p.wall)})",
            f"{kb(p.bytes_in)} / {kb(n.bytes_in)} ({ratio(n.bytes_in, p.bytes_in)})",
            f"{ms(run.bare.wall)} / {ms(run.naive_bare.wall)}",
            f"{p.outcome} / {n.outcome}",
        )
    table.notes += [
        "Ratios are naive / product: above 1 the product is cheaper.",
        "The naive checker (benchmarks/naive.py) lists every subnet, group, route table, "
        "endpoint and network ACL of the account, one call after the other, and checks 3 things "
        "(subnet exists, S3 endpoint on the subnet's route table, a group allows 443 out); the "
        "product checks about 20 (role, model, bucket and repository policies, DNS, NACLs, "
        "capacity...) for its calls.",
        "Paging: moto ignores MaxResults on these EC2 describe calls and answers everything in "
        "one page; the harness cuts answers to MaxResults with a NextToken as AWS does. The "
        "naive checker asks for each API's largest page: 1000 (subnets, groups, endpoints), "
        "100 (route tables, network ACLs). The account also holds moto's default VPC.",
    ]
    return table
