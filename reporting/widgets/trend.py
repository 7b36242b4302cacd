"""The trend across snapshots: the figures of the measures in scope as each snapshot reported
them, so a trend line never moves when a past month is corrected."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from governance.access import restrict
from reporting.models import Snapshot, SnapshotMeasure, SnapshotProgram
from reporting.widgets.base import Chart, Column, Scope, Table
from reporting.widgets.months import program_rows_exact
from reporting.widgets.series import NO_FINANCIALS

TREND_SNAPSHOTS = 12
ZERO = Decimal("0.00")
FIGURES = (
    ("forecast", "benefit_forecast", "Benefit forecast"),
    ("actual", "benefit_actual", "Benefit actual"),
    ("validated", "benefit_validated", "Benefit validated"),
    ("cost", "cost_actual", "Cost actual"),
)


def value_trend(scope: Scope) -> Table:
    """The last twelve snapshots, oldest first: the fiscal-year figures of the measures in scope
    as reported then (two queries; the snapshots' program sums when they are exact)."""
    columns = [
        Column("snapshot", "Snapshot"),
        *(Column(key, label, "money") for key, _, label in FIGURES),
    ]
    table = Table(
        key="value_trend",
        title="Trend across snapshots",
        columns=columns,
        rows=[],
        chart=Chart("line", "snapshot", ("forecast", "actual", "validated")),
        note="As each snapshot reported them, over the fiscal year it was taken in.",
        currency=scope.organization.currency,
    )
    if not scope.may_view_financials:
        table.columns, table.note, table.chart = [columns[0]], NO_FINANCIALS, None
        return table
    snapshots = list(
        Snapshot.objects.for_org(scope.organization).order_by("-period", "-taken_at", "-id")[
            :TREND_SNAPSHOTS
        ]
    )
    if not snapshots:
        table.note = "No snapshot yet: the trend starts with the first one."
        return table
    # The snapshots' program sums when the user's financial scope is whole programs (as for
    # the monthly figures), else their measures' rows.
    model = SnapshotProgram if program_rows_exact(scope, "view_financials") else SnapshotMeasure
    sums = {
        row["snapshot_id"]: row
        for row in restrict(
            model.objects.all(),
            scope.user,
            "view_financials",
            organization=scope.organization,
        )
        .filter(snapshot_id__in=[snapshot.pk for snapshot in snapshots])
        .filter(**scope.filters.measure_lookups())
        .values("snapshot_id")
        .annotate(**{key: Sum(field) for key, field, _ in FIGURES})
        .order_by()
    }
    for snapshot in reversed(snapshots):
        row = sums.get(snapshot.pk, {})
        table.rows.append(
            {
                "snapshot": f"{snapshot.period:%Y-%m-%d} ({snapshot.get_kind_display().lower()})",
                **{key: row.get(key) or ZERO for key, _, _ in FIGURES},
            }
        )
    return table
