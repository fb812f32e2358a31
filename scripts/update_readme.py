"""Regenerate the README's tables from the code and the template (`make docs`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from scripts.readme_tables import (
    ROOT,
    checks_table,
    config_table,
    iam_table,
    reasons_table,
    stops_table,
)

README = ROOT / "README.md"
TABLES: dict[str, Callable[[], str]] = {
    "checks": checks_table,
    "config": config_table,
    "iam": iam_table,
    "stops": stops_table,
    "reasons": reasons_table,
}


def main() -> None:
    text = README.read_text()
    for name, table in TABLES.items():
        text = re.sub(
            rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)",
            lambda m, table=table: f"{m.group(1)}{table()}\n{m.group(2)}",  # type: ignore[misc]
            text,
            flags=re.S,
        )
    README.write_text(text)


if __name__ == "__main__":
    main()
