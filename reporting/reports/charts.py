"""Charts of a report drawn on the server as inline SVG, from a Table's Chart hint (no JS in a
PDF). Bars (vertical, horizontal, stacked) and lines; a funnel is drawn as horizontal bars."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reporting.widgets.base import Table

WIDTH, HEIGHT = 640, 260
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 150, 40, 24
COLOURS = ("#1f5fa8", "#e07b00", "#2e8540", "#8a3ffc", "#c0392b", "#5f6b7a")


def _number(value: Any) -> float | None:
    """A plotted value: ``None`` where the table has none (a line stops there), 0 for text."""
    if value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return 0.0


def _category(value: Any) -> str:
    """A category axis label: months as ``YYYY-MM``, other dates in full."""
    if isinstance(value, dt.date):
        return f"{value:%Y-%m}" if value.day == 1 else f"{value:%Y-%m-%d}"
    return "" if value is None else str(value)


def _legend(labels: list[str]) -> str:
    parts = []
    for index, label in enumerate(labels):
        x = MARGIN_LEFT + index * 120
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="13" font-size="10">{escape(label)}</text>'
        )
    return "".join(parts)


def chart_svg(table: Table) -> str:
    """The table's chart as an SVG element ('' when it has no chart or no rows)."""
    chart = table.chart
    if chart is None or not table.rows:
        return ""
    labels = {column.key: column.label for column in table.columns}
    series = [key for key in chart.series if key in labels]
    if not series:
        return ""
    categories = [_category(row.get(chart.label)) for row in table.rows]
    # Drawn as given: a cumulative chart's series are running totals already (as on the
    # dashboards), so they are not summed again here.
    values = [[_number(row.get(key)) for key in series] for row in table.rows]
    stacked = chart.kind == "stacked_bar"
    horizontal = chart.kind in ("horizontal_bar", "funnel")
    peak = max(
        (
            sum(v for v in row if v is not None and v > 0)
            if stacked
            else max((v for v in row if v is not None), default=0.0)
        )
        for row in values
    )
    peak = peak if peak > 0 else 1.0
    body = (
        _horizontal(categories, values, peak)
        if horizontal
        else _line(categories, values, peak)
        if chart.kind == "line"
        else _vertical(categories, values, peak, stacked)
    )
    title = escape(table.title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}">'
        f"{_legend([labels[key] for key in series])}{body}</svg>"
    )


def _plot_height() -> float:
    return HEIGHT - MARGIN_BOTTOM - MARGIN_TOP


def _vertical(
    categories: list[str], values: list[list[float | None]], peak: float, stacked: bool
) -> str:
    plot_width = WIDTH - 40
    slot = plot_width / len(categories)
    bars = 1 if stacked else len(values[0])
    bar_width = max(slot * 0.8 / bars, 1.0)
    base = HEIGHT - MARGIN_BOTTOM
    parts = [f'<line x1="20" y1="{base}" x2="{WIDTH - 20}" y2="{base}" stroke="#999"/>']
    for index, (category, row) in enumerate(zip(categories, values, strict=True)):
        left = 20 + index * slot + slot * 0.1
        offset = 0.0
        for series_index, value in enumerate(row):
            height = max(value or 0.0, 0.0) / peak * _plot_height()
            x = left if stacked else left + series_index * bar_width
            y = base - height - (offset if stacked else 0.0)
            colour = COLOURS[series_index % len(COLOURS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
                f'height="{height:.1f}" fill="{colour}"/>'
            )
            if stacked:
                offset += height
        parts.append(
            f'<text x="{left + slot * 0.4:.1f}" y="{base + 14}" font-size="9" '
            f'text-anchor="middle">{escape(category[:18])}</text>'
        )
    return "".join(parts)


def _horizontal(categories: list[str], values: list[list[float | None]], peak: float) -> str:
    slot = _plot_height() / len(categories)
    bars = len(values[0])
    bar_height = max(slot * 0.8 / bars, 1.0)
    plot_width = WIDTH - MARGIN_LEFT - 20
    parts = []
    for index, (category, row) in enumerate(zip(categories, values, strict=True)):
        top = MARGIN_TOP + index * slot
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{top + slot / 2 + 3:.1f}" font-size="9" '
            f'text-anchor="end">{escape(category[:28])}</text>'
        )
        for series_index, value in enumerate(row):
            width = max(value or 0.0, 0.0) / peak * plot_width
            colour = COLOURS[series_index % len(COLOURS)]
            parts.append(
                f'<rect x="{MARGIN_LEFT}" y="{top + series_index * bar_height:.1f}" '
                f'width="{width:.1f}" height="{bar_height:.1f}" fill="{colour}"/>'
            )
    return "".join(parts)


def _line(categories: list[str], values: list[list[float | None]], peak: float) -> str:
    base = HEIGHT - MARGIN_BOTTOM
    step = (WIDTH - 60) / max(len(categories) - 1, 1)
    parts = [f'<line x1="30" y1="{base}" x2="{WIDTH - 20}" y2="{base}" stroke="#999"/>']
    for series_index in range(len(values[0])):
        points = " ".join(
            f"{30 + index * step:.1f},{base - max(value, 0.0) / peak * _plot_height():.1f}"
            for index, row in enumerate(values)
            if (value := row[series_index]) is not None
        )
        colour = COLOURS[series_index % len(COLOURS)]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
    for index, category in enumerate(categories):
        parts.append(
            f'<text x="{30 + index * step:.1f}" y="{base + 14}" font-size="9" '
            f'text-anchor="middle">{escape(category[:10])}</text>'
        )
    return "".join(parts)
