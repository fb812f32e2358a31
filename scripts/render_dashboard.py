"""docs/dashboard.svg, the README's picture of the dashboard: drawn from the template's
DashboardBody (its Fn::Sub filled with example values), on CloudWatch's 24-column grid,
each widget with its title, statistic, period and its metrics' labels and colours. It shows
the layout and what is plotted, never data; `make docs` redraws it and
tests/template/test_dashboard.py fails when the committed picture is not a fresh one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

from scripts.dashboard_body import RESOURCE, ROOT, template

PICTURE = ROOT / "docs" / "dashboard.svg"
# What Fn::Sub puts in at deployment: example values (only the region is ever shown).
EXAMPLE = {
    "AWS::StackName": "ir-vpc-guard",
    "AWS::Region": "eu-west-1",
    "GuardrailFunction": "ir-vpc-guard-GuardrailFunction-EXAMPLE",
    "DeadLetterQueue.QueueName": "ir-vpc-guard-DeadLetterQueue-EXAMPLE",
}
COLUMN, ROW, MARGIN, HEADER = 40, 34, 12, 34  # pixels: CloudWatch's grid is 24 columns wide
LINE = 14  # a legend or text line
# CloudWatch's default series colours, used in order where a metric names none.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
FONT = "font-family='Helvetica, Arial, sans-serif'"


class LayoutError(ValueError):
    """A widget too small for what it plots: it would be unreadable on CloudWatch too."""


def deployed() -> tuple[str, dict[str, Any]]:
    """The template's dashboard as CloudFormation would create it with EXAMPLE values: its
    name and its body."""
    properties = template()["Resources"][RESOURCE]["Properties"]
    body: dict[str, Any] = json.loads(_filled(properties["DashboardBody"]["Fn::Sub"]))
    return _filled(properties["DashboardName"]["Fn::Sub"]), body


def _filled(sub: str) -> str:
    return re.sub(r"\$\{([\w:.]+)\}", lambda m: EXAMPLE[m.group(1)], sub)


def render(body: dict[str, Any], name: str) -> str:
    """The dashboard as an SVG document."""
    widgets = body["widgets"]
    rows = max(w["y"] + w["height"] for w in widgets)
    width, height = 2 * MARGIN + 24 * COLUMN, HEADER + rows * ROW + MARGIN
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' {FONT}>",
        f"<rect width='{width}' height='{height}' fill='#f2f3f3'/>",
        _text(MARGIN, 22, f"CloudWatch dashboard {name}", size=15, weight="bold"),
        _text(width - MARGIN, 22, f"time range {body.get('start', '-PT3H')}", size=11,
              fill="#5f6b7a", anchor="end"),
    ]  # fmt: skip
    for widget in widgets:
        parts += _widget(widget)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _widget(widget: dict[str, Any]) -> Iterator[str]:
    x = MARGIN + widget["x"] * COLUMN + 3
    y = HEADER + widget["y"] * ROW + 3
    w, h = widget["width"] * COLUMN - 6, widget["height"] * ROW - 6
    yield f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='3' fill='#ffffff' stroke='#d5dbdb'/>"
    properties = widget["properties"]
    if widget["type"] == "text":
        yield from _markdown(properties["markdown"], x + 10, y + 20, w - 20, y + h)
        return
    title = properties["title"]
    yield _text(x + 10, y + 18, _fit(title, w - 20, 13, bold=True), size=13, weight="bold")
    yield _text(x + 10, y + 32, _statistic(properties), size=10, fill="#5f6b7a")
    box = (x + 10, y + 44, x + w - 12, y + h - 8)
    draw = _bars if properties["view"] == "bar" else _graph
    yield from draw(title, properties, box)


def _graph(title: str, properties: dict[str, Any], box: tuple[int, int, int, int]) -> Iterator[str]:
    """A time series: its empty axes, the legend under them."""
    left, top, right, bottom = box
    legend = list(_legend(properties["metrics"], left, right - left))
    rows = max(row for row, _ in legend) + 1
    bottom -= rows * LINE + 4
    if bottom - top < 3 * LINE:
        raise LayoutError(f"{title!r}: its legend leaves no room for the graph")
    yield from _axes(left + 20, top, right, bottom, properties)
    for row, item in legend:
        yield item.replace("{y}", str(bottom + 6 + row * LINE))


def _bars(title: str, properties: dict[str, Any], box: tuple[int, int, int, int]) -> Iterator[str]:
    """A bar chart over the time range: one labelled row per metric, its bar left empty."""
    left, top, right, bottom = box
    metrics = properties["metrics"]
    step = (bottom - top) // len(metrics)
    if step < LINE - 2:
        raise LayoutError(f"{title!r}: {len(metrics)} bars do not fit its height")
    labels = [_label(metric) for metric in metrics]
    track = left + 16 + max(_width(label) for label in labels) + 8
    for index, (metric, label) in enumerate(zip(metrics, labels, strict=True)):
        row = top + index * step
        yield _swatch(left, row, _colour(metric, index)) + _text(
            left + 15, row, label, size=11, dy=9
        )
        yield f"<line x1='{track}' y1='{row + 5}' x2='{right}' y2='{row + 5}' stroke='#eaeded'/>"
    yield f"<line x1='{track}' y1='{top}' x2='{track}' y2='{bottom}' stroke='#aab7b8'/>"


def _statistic(properties: dict[str, Any]) -> str:
    period = int(properties["period"])
    span = f"{period // 3600} h" if period % 3600 == 0 else f"{period // 60} min"
    over = "time range" if properties.get("setPeriodToTimeRange") else span
    stacked = ", stacked" if properties.get("stacked") else ""
    return f"{properties['view']}{stacked} · {properties['stat']} per {over}"


def _axes(
    left: int, top: int, right: int, bottom: int, properties: dict[str, Any]
) -> Iterator[str]:
    for step in range(1, 4):  # faint grid lines: where the data would be, not data
        gy = bottom - (bottom - top) * step // 4
        yield f"<line x1='{left}' y1='{gy}' x2='{right}' y2='{gy}' stroke='#eaeded'/>"
    yield (
        f"<polyline points='{left},{top} {left},{bottom} {right},{bottom}' "
        "fill='none' stroke='#aab7b8'/>"
    )
    for annotation in properties.get("annotations", {}).get("horizontal", []):
        yield (
            f"<line x1='{left}' y1='{top}' x2='{right}' y2='{top}' stroke='#d62728' "
            "stroke-dasharray='4 3'/>"
        )
        yield _text(right - 2, top - 3, annotation["label"], size=10, fill="#d62728", anchor="end")


def _legend(metrics: list[list[Any]], left: int, width: int) -> Iterator[tuple[int, str]]:
    """(row, SVG) of each metric's swatch and label in as many aligned columns as fit; the
    row's y is left as {y} until the legend's height is known."""
    labels = [_fit(_label(metric), width - 16) for metric in metrics]
    column = max(16 + _width(label) + 14 for label in labels)
    columns = max(1, min(len(labels), width // column))
    for index, (metric, label) in enumerate(zip(metrics, labels, strict=True)):
        row, x = index // columns, left + (index % columns) * column
        yield (
            row,
            _swatch(x, "{y}", _colour(metric, index)) + _text(x + 15, "{y}", label, size=11, dy=9),
        )


def _swatch(x: object, y: object, colour: str) -> str:
    return f"<rect x='{x}' y='{y}' width='10' height='10' fill='{colour}'/>"


def _colour(metric: list[Any], index: int) -> str:
    """The metric's colour, else CloudWatch's next default one."""
    return str(_options(metric).get("color", PALETTE[index % len(PALETTE)]))


def _options(metric: list[Any]) -> dict[str, Any]:
    return metric[-1] if isinstance(metric[-1], dict) else {}


def _label(metric: list[Any]) -> str:
    """What CloudWatch shows for a metric: its label, else its name."""
    return str(_options(metric).get("label", metric[1]))


def _markdown(markdown: str, x: int, y: int, width: int, end: int) -> Iterator[str]:
    """A text widget's markdown as plain lines: a heading bold, paragraphs wrapped."""
    for paragraph in markdown.split("\n"):
        heading = paragraph.startswith("#")
        text = paragraph.lstrip("# ").replace("**", "")
        for line in _wrap(text, width):
            if y > end - 4:
                raise LayoutError(f"text widget: {line!r} falls below the widget")
            yield _text(x, y, line, size=13 if heading else 11, weight="bold" if heading else "")
            y += LINE + (4 if heading else 0)


def _wrap(text: str, width: int) -> list[str]:
    lines = [""]
    for word in text.split():
        candidate = f"{lines[-1]} {word}".strip()
        if lines[-1] and _width(candidate) > width:
            lines.append(word)
        else:
            lines[-1] = candidate
    return lines


def _width(text: str, size: int = 11, *, bold: bool = False) -> int:
    """About how wide Helvetica of `size` pixels draws `text` (capitals are wider)."""
    ems = sum(0.68 if c.isupper() or c == "_" else 0.56 if c.isdigit() else 0.52 for c in text)
    return round(ems * size * (1.1 if bold else 1.0))


def _fit(text: str, width: int, size: int = 11, *, bold: bool = False) -> str:
    """`text`, cut short with an ellipsis where it would overflow `width`."""
    while _width(text, size, bold=bold) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text


def _text(
    x: object, y: object, text: str, *, size: int, weight: str = "", fill: str = "#16191f",
    anchor: str = "start", dy: int = 0,
) -> str:  # fmt: skip
    bold = f" font-weight='{weight}'" if weight else ""
    shift = f" dy='{dy}'" if dy else ""
    return (
        f"<text x='{x}' y='{y}'{shift} font-size='{size}'{bold} fill='{fill}' "
        f"text-anchor='{anchor}'>{escape(text)}</text>"
    )


def main() -> None:
    name, body = deployed()
    PICTURE.write_text(render(body, name))


if __name__ == "__main__":
    main()
