"""Markdown tables: each benchmark returns one `Table`; RESULTS.md is their concatenation."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled markdown table with a verdict and notes below it."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    verdict: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        self.rows.append([str(cell) for cell in cells])

    def render(self) -> str:
        lines = [f"## {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.verdict:
            lines += ["", f"**{self.verdict}**"]
        if self.notes:
            lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def met(ok: bool) -> str:
    return "target met" if ok else "target NOT met"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def mb(size: float) -> str:
    return f"{size / 2**20:.1f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"
