"""How a widget's ``Table`` is shown on a page: formatted cells, drill-down links, chart data.

Numbers as people read them: thousands grouped, money without cents, negatives marked with a
minus sign and a class so they are not told apart by colour alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format

from reporting.widgets.base import Table

MINUS = "\u2212"  # the minus sign, not a hyphen
COLOURS = ("#0d6efd", "#6c757d", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997")


@dataclass(frozen=True)
class Cell:
    text: str
    kind: str
    negative: bool = False


def format_value(value: Any, kind: str) -> Cell:
    """One cell as text: ``—`` for nothing, thousands grouped, money whole, percent with %."""
    if value is None or value == "":
        return Cell("—", kind)
    if isinstance(value, dt.date):
        return Cell(
            f"{value:%Y-%m}" if kind == "date" and value.day == 1 else f"{value:%Y-%m-%d}", kind
        )
    if kind in ("money", "hours", "count", "days", "percent") and isinstance(value, int | Decimal):
        negative = value < 0
        places = 1 if kind == "percent" else 0
        text = number_format(abs(Decimal(value)), decimal_pos=places, force_grouping=True)
        text = f"{MINUS if negative else ''}{text}{' %' if kind == 'percent' else ''}"
        return Cell(text, kind, negative)
    return Cell(str(value), kind)


def chart_value(value: Any) -> float | None:
    # Chart.js draws numbers; the exact figures are in the table beside the chart.
    if value is None or value == "":
        return None
    return float(value)


@dataclass
class ShownTable:
    table: Table
    header: list[tuple[str, str]]
    rows: list[tuple[str, list[Cell]]]
    csv_url: str
    chart: dict[str, Any] | None

    @property
    def chart_id(self) -> str:
        return f"chart-{self.table.key}"


def show(table: Table, *, org_slug: str, csv_url: str) -> ShownTable:
    """The page's view of ``table``: header, formatted rows with their drill-down link, the
    CSV link and the chart's data (``None`` without a chart or without rows)."""
    drill_base = reverse(table.drill_to, kwargs={"org_slug": org_slug})
    rows = []
    for index, row in enumerate(table.rows):
        query = table.drill[index] if index < len(table.drill) else None
        link = f"{drill_base}?{urlencode(query)}" if query is not None else ""
        rows.append((link, [format_value(row.get(c.key), c.kind) for c in table.columns]))
    chart = None
    keys = {column.key: column for column in table.columns}
    if table.chart is not None and table.rows and all(s in keys for s in table.chart.series):
        label_kind = keys[table.chart.label].kind if table.chart.label in keys else "text"
        chart = {
            "kind": table.chart.kind,
            "title": table.title,
            "labels": [
                format_value(row.get(table.chart.label), label_kind).text for row in table.rows
            ],
            "datasets": [
                {
                    "label": keys[series].label,
                    "data": [chart_value(row.get(series)) for row in table.rows],
                    "colour": COLOURS[index % len(COLOURS)],
                    # Counts and amounts drawn together get an axis each.
                    "money": keys[series].kind == "money",
                }
                for index, series in enumerate(table.chart.series)
            ],
        }
    return ShownTable(
        table=table,
        header=[(column.label, column.kind) for column in table.columns],
        rows=rows,
        csv_url=csv_url,
        chart=chart,
    )
