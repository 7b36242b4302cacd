"""The sections a report can hold: each is a widget ``Table`` computed for one recipient's Scope.

``SECTIONS`` maps a key to a ``Section`` (a title and a callable ``Scope -> Table``). A
definition stores the keys; ``section_registry()`` is the one place that says where sections
come from, so the dashboard widgets can fill the same dict (or replace it) in one line.

Money columns appear only for a recipient who may see financials somewhere in the scope; the
figures themselves come from selectors that already count only what the recipient may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.utils import timezone

from approvals.models import RequestState
from approvals.selectors.requests import requests_visible
from governance.models import CaseState
from governance.models.hierarchy import model_for_level
from governance.ripple.selectors import cases_visible
from measures.fiscal import add_months, fiscal_year_start
from measures.models import DOI_ORDER, DoI, Line
from measures.rollups import rollup
from reporting.widgets.base import Chart, Column, Scope, Table


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    build: Callable[[Scope], Table]


SECTIONS: dict[str, Section] = {}


def section_registry() -> dict[str, Section]:
    """Every section a definition may name, by key."""
    return SECTIONS


def section(key: str, title: str) -> Callable[[Callable[[Scope], Table]], Callable[..., Table]]:
    def register(build: Callable[[Scope], Table]) -> Callable[[Scope], Table]:
        SECTIONS[key] = Section(key=key, title=title, build=build)
        return build

    return register


class UnknownSection(LookupError):
    """A definition names a section that no longer exists."""


def section_table(key: str, scope: Scope) -> Table:
    """The table of section ``key`` for ``scope``."""
    found = section_registry().get(key)
    if found is None:
        raise UnknownSection(f"The section {key!r} does not exist (any more).")
    return found.build(scope)


def _scope_prefix(scope: Scope, prefix: str) -> dict[str, int]:
    """The scope's hierarchy filters as lookups through ``prefix`` (e.g. ``root__``)."""
    lookups = scope.filters.measure_lookups()
    return {f"{prefix}{key}": value for key, value in lookups.items()}


def shows_money(scope: Scope) -> bool:
    """Whether the recipient may see the financials of any measure in scope."""
    return scope.measures("view_financials").exists()


# --- the three sections built on today's selectors ---------------------------------------------

STAGES = [*DOI_ORDER, DoI.ON_HOLD, DoI.CANCELLED]
VALUE_FIGURES = (
    ("plan", "Plan"),
    ("forecast", "Forecast"),
    ("actual", "Actual"),
    ("validated", "Validated"),
    ("risk_adjusted", "Risk-adjusted"),
)


@section("value_by_stage", "Value by stage")
def value_by_stage(scope: Scope) -> Table:
    """Benefit per Degree of Implementation stage (whole fiscal series), financial readers only."""
    columns = [Column("stage", "Stage")]
    table = Table(key="value_by_stage", title="Value by stage", columns=columns, rows=[])
    if not shows_money(scope):
        table.note = "Financial figures are not shown for your role."
        return table
    node = None
    filters = scope.filters
    for level in ("project", "program", "portfolio"):
        node_id = getattr(filters, level)
        if node_id is not None:
            node = (
                model_for_level(level)
                .objects.for_org(scope.organization)
                .filter(pk=node_id)
                .first()
            )
            break
    # No months chosen: the current fiscal year, as on the dashboards.
    start = fiscal_year_start(timezone.localdate(), scope.organization.fiscal_year_start_month)
    period_from = filters.period_from or start
    period_to = filters.period_to or add_months(start, 11)
    figures = rollup(
        user=scope.user,
        organization=scope.organization,
        node=node,
        period_from=period_from,
        period_to=period_to,
    )
    table.columns += [Column(key, label, "money") for key, label in VALUE_FIGURES]
    for stage in STAGES:
        lines = figures.by_stage.get(stage)
        if lines is None:
            continue
        benefit = lines[Line.BENEFIT]
        table.rows.append(
            {"stage": DoI(stage).label, **{key: benefit[key] for key, _ in VALUE_FIGURES}}
        )
    table.chart = Chart(kind="bar", label="stage", series=("plan", "forecast", "actual"))
    table.note = f"Benefit in {figures.currency}, {period_from:%Y-%m} to {period_to:%Y-%m}."
    return table


@section("open_exceptions_by_forum", "Open exceptions by forum")
def open_exceptions_by_forum(scope: Scope) -> Table:
    """Open exception cases per deciding forum, with their value at risk where visible."""
    money = shows_money(scope)
    grouped = (
        cases_visible(scope.user, scope.organization)
        .filter(state=CaseState.OPEN, **_scope_prefix(scope, "root__"))
        .values("forum__name")
        .annotate(cases=Count("pk"), value=Sum("value_at_risk", filter=Q(money=True)))
        .order_by("forum__name")
    )
    columns = [Column("forum", "Forum"), Column("cases", "Open cases", "count")]
    if money:
        columns.append(Column("value_at_risk", "Value at risk", "money"))
    rows = []
    for row in grouped:
        entry = {"forum": row["forum__name"] or "No forum yet", "cases": row["cases"]}
        if money:
            entry["value_at_risk"] = row["value"] or Decimal("0.00")
        rows.append(entry)
    return Table(
        key="open_exceptions_by_forum",
        title="Open exceptions by forum",
        columns=columns,
        rows=rows,
        chart=Chart(kind="horizontal_bar", label="forum", series=("cases",)),
    )


AGE_BUCKETS = (
    ("under_7", "Under 7 days", 0),
    ("7_to_14", "7 to 14 days", 7),
    ("15_to_30", "15 to 30 days", 15),
    ("over_30", "Over 30 days", 31),
)


@section("approvals_pending_by_age", "Approvals pending by age")
def approvals_pending_by_age(scope: Scope, now: dt.datetime | None = None) -> Table:
    """Pending approval requests in scope, by how long they have waited."""
    now = now or timezone.now()
    bucket = Case(
        *[
            When(created_at__lte=now - dt.timedelta(days=days), then=Value(key))
            for key, _, days in reversed(AGE_BUCKETS[1:])
        ],
        default=Value(AGE_BUCKETS[0][0]),
        output_field=CharField(),
    )
    counts = dict(
        requests_visible(scope.user, scope.organization)
        .filter(state=RequestState.PENDING, **_scope_prefix(scope, "measure__"))
        .annotate(bucket=bucket)
        .values_list("bucket")
        .annotate(requests=Count("pk"))
        .order_by()
    )
    return Table(
        key="approvals_pending_by_age",
        title="Approvals pending by age",
        columns=[Column("age", "Waiting"), Column("requests", "Pending requests", "count")],
        rows=[{"age": label, "requests": counts.get(key, 0)} for key, label, _ in AGE_BUCKETS],
        chart=Chart(kind="bar", label="age", series=("requests",)),
    )


def section_choices() -> list[tuple[str, str]]:
    """(key, title) of every section, for forms."""
    return [(key, entry.title) for key, entry in section_registry().items()]
