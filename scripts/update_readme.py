"""Regenerate the README's tables from the code (`make docs`)."""

from __future__ import annotations

import re
from pathlib import Path

from ir_vpc_guard.checks.table import markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    text = README.read_text()
    text = re.sub(
        r"(<!-- checks:start -->\n).*?(<!-- checks:end -->)",
        lambda m: f"{m.group(1)}{markdown()}\n{m.group(2)}",
        text,
        flags=re.S,
    )
    README.write_text(text)


if __name__ == "__main__":
    main()
