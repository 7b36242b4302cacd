"""What every widget takes and gives: a ``Scope`` in, a ``Table`` out."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from django.db.models import QuerySet

from governance.access import Action, restrict
from governance.models import Organization
from measures.models import Measure

ColumnKind = Literal["text", "count", "money", "days", "percent", "date"]
ChartKind = Literal["bar", "stacked_bar", "horizontal_bar", "line", "funnel"]


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters, as kept in the URL. ``period_from`` and ``period_to`` are the
    first days of the first and last month shown (both inclusive); ``None`` means the current
    fiscal year."""

    portfolio: int | None = None
    program: int | None = None
    project: int | None = None
    function: int | None = None
    business_unit: int | None = None
    legal_entity: int | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None

    # The filters that narrow the measures (the periods narrow the months, not the measures).
    MEASURE_KEYS = (
        "portfolio",
        "program",
        "project",
        "function",
        "business_unit",
        "legal_entity",
    )

    def measure_lookups(self) -> dict[str, int]:
        """The filters as ``<field>_id`` lookups on a measure (or on any row carrying the same
        denormalized keys)."""
        return {
            f"{name}_id": value
            for name in self.MEASURE_KEYS
            if (value := getattr(self, name)) is not None
        }

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters (empty ones left out), for links and bookmarks."""
        query: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            query[item.name] = f"{value:%Y-%m}" if isinstance(value, dt.date) else str(value)
        return query

    def narrowed(self, **changes: Any) -> Filters:
        return replace(self, **changes)


@dataclass(frozen=True)
class Scope:
    """Who looks (``user``, whose grants bound every figure), in which organization, through
    which filters, and for which months."""

    organization: Organization
    user: Any
    filters: Filters = field(default_factory=Filters)

    def measures(self, action: Action = "view") -> QuerySet[Measure]:
        """The measures in scope that the user may perform ``action`` on."""
        queryset = restrict(
            Measure.objects.all(), self.user, action, organization=self.organization
        )
        return queryset.filter(**self.filters.measure_lookups())


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: ``label`` is the column of the category axis, ``series`` the
    columns drawn as bars or lines."""

    kind: ChartKind
    label: str
    series: tuple[str, ...]
    cumulative: bool = False


@dataclass
class Table:
    """One widget's figures: rows of plain values keyed by column (``Decimal`` for money,
    ``int`` for counts), a chart hint, and where each row drills down to."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    note: str = ""
    # Per row, the measure-list query (URL parameters) of the measures behind it.
    drill: list[dict[str, str]] = field(default_factory=list)

    def csv(self) -> str:
        """The table as CSV: a header of labels, then one line per row, as shown."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([column.label for column in self.columns])
        for row in self.rows:
            writer.writerow(["" if row.get(c.key) is None else row[c.key] for c in self.columns])
        return out.getvalue()
