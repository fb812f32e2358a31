"""`ir-vpc-guard`: the same engine as the Lambda, from a shell, against whatever
AWS_ENDPOINT_URL and the usual credentials point to. Exit 0 pass or skipped, 1 findings,
2 bad input or no access."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ir_vpc_guard import render
from ir_vpc_guard.pipeline import handle_event
from ir_vpc_guard.settings import Settings, SettingsError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_BY_OUTCOME = {
    "PASS": EXIT_OK,
    "SKIPPED": EXIT_OK,
    "REMEDIATED": EXIT_OK,
    "FAIL": EXIT_FINDINGS,
    "PARTIAL": EXIT_FINDINGS,
    "ERROR": EXIT_USAGE,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ir-vpc-guard",
        description="Check that a SageMaker Inference Recommender job can run in its VPC.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("replay", help="check the job a saved EventBridge event describes")
    replay.add_argument("event", type=Path, help="EventBridge event JSON file")
    replay.add_argument("--json", action="store_true", help="print the JSON report")
    replay.add_argument(
        "--mode", choices=("report",), default="report", help="report only (default)"
    )
    commands.add_parser("demo", help="tell the whole story on emulated AWS")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        print("The demo is coming in the next step; run `make test` meanwhile.")
        return EXIT_OK
    try:
        settings = Settings.from_env()
        event = json.loads(args.event.read_text())
    except (OSError, ValueError, SettingsError) as error:
        print(f"ir-vpc-guard: {error}", file=sys.stderr)
        return EXIT_USAGE
    report = handle_event(event, settings).to_dict()
    print(json.dumps(report, indent=2) if args.json else render.text(report))
    return EXIT_BY_OUTCOME[report["outcome"]]


if __name__ == "__main__":
    sys.exit(main())
