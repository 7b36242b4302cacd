"""Exception widgets: open cases by age and by forum with their value at risk, and the largest
slips opened since the last report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from governance.models import CaseState, ExceptionCase
from governance.ripple.selectors import cases_visible
from reporting.widgets.ages import AGE_BUCKETS, age_bucket
from reporting.widgets.base import Chart, Column, Scope, Table

if TYPE_CHECKING:
    from reporting.models import Snapshot

ZERO = Decimal("0.00")
TOP_SLIPS = 10
# Without a snapshot to compare with, "since the last report" means this many days.
SLIPS_FALLBACK_DAYS = 7


def open_cases(scope: Scope) -> QuerySet[ExceptionCase]:
    """Open cases the user may see whose root measure is within the filters, each annotated
    with ``money`` (whether the user may see its value at risk)."""
    lookups = {f"root__{key}": value for key, value in scope.filters.measure_lookups().items()}
    return cases_visible(scope.user, scope.organization).filter(
        state=CaseState.OPEN, root__archived_at__isnull=True, **lookups
    )


def _value_at_risk() -> Sum:
    return Sum("value_at_risk", filter=Q(money=True))


def _columns(scope: Scope, first: Column) -> list[Column]:
    columns = [first, Column("count", "Open cases", "count")]
    if scope.may_view_financials:
        columns.append(Column("value_at_risk", "Value at risk", "money"))
    return columns


def _drill(scope: Scope, **extra: str) -> dict[str, str]:
    return {**scope.filters.as_query(), "case": "open", **extra}


def exceptions_by_age(scope: Scope) -> Table:
    """Open exception cases by how long they have been open, with their value at risk."""
    now = timezone.now()
    grouped = {
        bucket: (count, value)
        for bucket, count, value in open_cases(scope)
        .annotate(bucket=age_bucket("opened_at", now))
        .values_list("bucket")
        .annotate(count=Count("pk"), value=_value_at_risk())
        .order_by()
        .values_list("bucket", "count", "value")
    }
    rows: list[dict[str, Any]] = []
    for bucket in AGE_BUCKETS:
        count, value = grouped.get(bucket.key, (0, None))
        row: dict[str, Any] = {"age": bucket.label, "count": count}
        if scope.may_view_financials:
            row["value_at_risk"] = value or ZERO
        rows.append(row)
    series = ("count", "value_at_risk") if scope.may_view_financials else ("count",)
    return Table(
        key="exceptions_by_age",
        title="Open exceptions by age",
        columns=_columns(scope, Column("age", "Open for")),
        rows=rows,
        chart=Chart("bar", "age", series),
        note="Cases open now, whatever the period; value at risk within the current fiscal year.",
        drill=[_drill(scope, case_age=bucket.key) for bucket in AGE_BUCKETS],
        currency=scope.organization.currency,
    )


def exceptions_by_forum(scope: Scope) -> Table:
    """Open exception cases by the decision forum that must decide them."""
    grouped = (
        open_cases(scope)
        .values_list("forum_id", "forum__name")
        .annotate(count=Count("pk"), value=_value_at_risk())
        .order_by("forum__name", "forum_id")
    )
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, str]] = []
    for forum_id, name, count, value in grouped:
        row: dict[str, Any] = {"forum": name or "No forum", "count": count}
        if scope.may_view_financials:
            row["value_at_risk"] = value or ZERO
        rows.append(row)
        drill.append(_drill(scope, case_forum=str(forum_id) if forum_id else "none"))
    series = ("count", "value_at_risk") if scope.may_view_financials else ("count",)
    return Table(
        key="exceptions_by_forum",
        title="Open exceptions by forum",
        columns=_columns(scope, Column("forum", "Forum")),
        rows=rows,
        chart=Chart("horizontal_bar", "forum", series),
        drill=drill,
        currency=scope.organization.currency,
    )


def slips_since(scope: Scope) -> tuple[dt.datetime, str]:
    """When "since the last report" starts: the latest snapshot, else a week ago."""
    taken = latest_snapshot_taken(scope)
    if taken is not None:
        return taken, "since the latest snapshot"
    return (
        timezone.now() - dt.timedelta(days=SLIPS_FALLBACK_DAYS),
        f"in the last {SLIPS_FALLBACK_DAYS} days (no snapshot yet)",
    )


def latest_snapshot(scope: Scope) -> Snapshot | None:
    """The organization's latest snapshot (read once per scope)."""
    from reporting.selectors.snapshots import snapshot_latest

    return scope.cached("snapshot", lambda: snapshot_latest(scope.organization))  # type: ignore[no-any-return]


def latest_snapshot_taken(scope: Scope) -> dt.datetime | None:
    """When the organization's latest snapshot was taken (``None`` without one)."""
    snapshot = latest_snapshot(scope)
    if snapshot is None:
        return None
    return getattr(snapshot, "taken_at", None)


def top_slips(scope: Scope) -> Table:
    """The largest open exception slips opened since the last report."""
    since, since_label = slips_since(scope)
    cases = (
        open_cases(scope)
        .filter(opened_at__gte=since, slip_days__gt=0)
        .order_by("-slip_days", "-value_at_risk", "-id")[:TOP_SLIPS]
    )
    columns = [
        Column("measure", "Measure"),
        Column("cause", "Cause"),
        Column("slip_days", "Slip", "days"),
        Column("opened", "Opened", "date"),
        Column("forum", "Forum"),
    ]
    if scope.may_view_financials:
        columns.append(Column("value_at_risk", "Value at risk", "money"))
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, str]] = []
    for case in cases:
        row: dict[str, Any] = {
            "measure": f"{case.root.code} {case.root.title}",
            "cause": case.get_cause_display(),
            "slip_days": case.slip_days,
            "opened": timezone.localdate(case.opened_at),
            "forum": case.forum.name if case.forum else "",
        }
        if scope.may_view_financials:
            row["value_at_risk"] = case.value_at_risk if case.money else None  # type: ignore[attr-defined]
        rows.append(row)
        drill.append({"id": str(case.root_id)})
    return Table(
        key="top_slips",
        title="Top slips since the last report",
        columns=columns,
        rows=rows,
        chart=Chart("horizontal_bar", "measure", ("slip_days",)),
        note=f"Open cases with a slip, opened {since_label}.",
        drill=drill,
        currency=scope.organization.currency,
    )
