"""Series widgets: plan vs baseline vs forecast vs actual per month, and budget variance."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from measures.fiscal import add_months
from reporting.widgets.base import Chart, Column, Scope, Table
from reporting.widgets.months import figure_rows

ZERO = Decimal("0.00")
SCENARIOS = ("plan", "baseline", "forecast", "actual")
NO_FINANCIALS = "Amounts need the financial permission: ask an administrator for it."


def month_list(scope: Scope) -> list[Any]:
    first, last = scope.months
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def plan_vs_actual(scope: Scope) -> Table:
    """Benefit per month of the period in plan, baseline, forecast and actual, per period and
    cumulative; the cumulative actual is left blank after the current month (or the last month
    with an actual). One grouped query."""
    columns = [Column("month", "Month", "date")]
    for scenario in SCENARIOS:
        columns.append(Column(scenario, scenario.capitalize(), "money"))
    for scenario in SCENARIOS:
        columns.append(
            Column(f"cumulative_{scenario}", f"{scenario.capitalize()}, cumulative", "money")
        )
    table = Table(
        key="plan_vs_actual",
        title="Benefit: plan vs baseline vs forecast vs actual",
        columns=columns,
        rows=[],
        chart=Chart("line", "month", tuple(f"cumulative_{s}" for s in SCENARIOS), cumulative=True),
        note=(
            "Benefit per month of the period and cumulative from its first month; the "
            "cumulative actual stops at the current month."
        ),
        currency=scope.organization.currency,
    )
    if not scope.may_view_financials:
        table.columns, table.note, table.chart = [columns[0]], NO_FINANCIALS, None
        return table
    grouped = {
        row["period"]: row
        for row in figure_rows(scope)
        .values("period")
        .annotate(**{scenario: Sum(f"benefit_{scenario}") for scenario in SCENARIOS})
    }
    # The running actual stops at the current month, or at the last month with an actual if
    # later: a flat line into the months to come would read as actuals already known.
    reported = [month for month, found in grouped.items() if found["actual"]]
    horizon = max([scope.today.replace(day=1), *reported])
    running = dict.fromkeys(SCENARIOS, ZERO)
    for month in month_list(scope):
        found = grouped.get(month, {})
        row: dict[str, Any] = {"month": month}
        for scenario in SCENARIOS:
            value = found.get(scenario) or ZERO
            running[scenario] += value
            row[scenario] = value
            row[f"cumulative_{scenario}"] = running[scenario]
        if month > horizon:
            row["cumulative_actual"] = None
        table.rows.append(row)
        table.drill.append(scope.filters.as_query())
    return table


def variance_percent(forecast: Decimal, baseline: Decimal) -> Decimal | None:
    if not baseline:
        return None
    return ((forecast - baseline) * 100 / baseline).quantize(Decimal("0.1"), ROUND_HALF_UP)


def budget_variance(scope: Scope) -> Table:
    """Cost per program in the period: baseline, forecast and actual, and the forecast's
    variance from the baseline (one grouped query)."""
    columns = [
        Column("program", "Program"),
        Column("baseline", "Cost baseline", "money"),
        Column("forecast", "Cost forecast", "money"),
        Column("actual", "Cost actual", "money"),
        Column("variance", "Forecast minus baseline", "money"),
        Column("variance_percent", "Variance", "percent"),
    ]
    table = Table(
        key="budget_variance",
        title="Budget variance by program",
        columns=columns,
        rows=[],
        chart=Chart("bar", "program", ("baseline", "forecast", "actual")),
        note="One-time and recurring cost in the period; a positive variance is an overrun.",
        currency=scope.organization.currency,
    )
    if not scope.may_view_financials:
        table.columns, table.note, table.chart = [columns[0]], NO_FINANCIALS, None
        return table
    grouped = (
        figure_rows(scope)
        .values_list("program_id", "program__code", "program__title")
        .annotate(
            baseline=Sum("cost_baseline"), forecast=Sum("cost_forecast"), actual=Sum("cost_actual")
        )
        .order_by("program__code", "program_id")
    )
    for program_id, code, title, baseline, forecast, actual in grouped:
        table.rows.append(
            {
                "program": f"{code} {title}",
                "baseline": baseline,
                "forecast": forecast,
                "actual": actual,
                "variance": forecast - baseline,
                "variance_percent": variance_percent(forecast, baseline),
            }
        )
        table.drill.append({**scope.filters.as_query(), "program": str(program_id)})
    return table
