"""What every widget takes and gives: a ``Scope`` in, a ``Table`` out."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils import timezone

from governance.access import Action, grants_of, restrict
from governance.models import Organization
from governance.permissions import ACTIONS
from measures.fiscal import add_months, fiscal_year_start
from measures.models import Measure

ColumnKind = Literal["text", "count", "money", "days", "percent", "date", "hours"]
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
    # The owner's own measures only ("my work"); set by the page, not by the query string.
    owner: int | None = None

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
            for name in (*self.MEASURE_KEYS, "owner")
            if (value := getattr(self, name)) is not None
        }

    def month_lookups(self) -> dict[str, int]:
        """The filters as lookups on ``MeasureMonth`` rows, which copy the measure's keys but
        not its owner (that one is reached through the measure)."""
        lookups = self.measure_lookups()
        if "owner_id" in lookups:
            lookups["measure__owner_id"] = lookups.pop("owner_id")
        return lookups

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

    def live_measures(self, action: Action = "view") -> QuerySet[Measure]:
        """``measures(action)`` without the archived ones: what dashboards count."""
        return self.measures(action).filter(archived_at__isnull=True)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per scope: widgets that read the same grouped figures (the
        stage counts, the latest snapshot) share them within a page."""
        memo: dict[str, Any] = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    @cached_property
    def today(self) -> dt.date:
        return timezone.localdate()

    @cached_property
    def may_view_financials(self) -> bool:
        """Whether the user holds the financial permission anywhere in the organization (or
        looks at their own measures only): if not, widgets leave their money columns out
        (counts only). Read from the grants the request already loaded, so no query."""
        grants = grants_of(self.user, self.organization)
        if grants.membership is None:
            return False
        if self.filters.owner is not None and self.filters.owner == grants.user_id:
            return True  # an owner sees the financials of their own measures
        return bool(grants.sources.get(ACTIONS["view_financials"].permission))

    @cached_property
    def months(self) -> tuple[dt.date, dt.date]:
        """``(first, last)`` month shown: the filters' period, or the current fiscal year."""
        start = fiscal_year_start(self.today, self.organization.fiscal_year_start_month)
        first = self.filters.period_from or start
        last = self.filters.period_to or add_months(first, 11)
        return first, last


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
    # The URL name the drill queries go to (a list page of the organization).
    drill_to: str = "measure-list"
    # The organization's currency, for money columns.
    currency: str = ""

    @property
    def has_money(self) -> bool:
        return any(column.kind == "money" for column in self.columns)

    def csv(self) -> str:
        """The table as CSV: a header of labels, then one line per row, as shown."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([column.label for column in self.columns])
        for row in self.rows:
            writer.writerow(["" if row.get(c.key) is None else row[c.key] for c in self.columns])
        return out.getvalue()
