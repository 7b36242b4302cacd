"""``{% rollup_panel %}``: the financial roll-up of the node of a hierarchy page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from governance.access import can, levels_reached
from measures.fiscal import add_months, fiscal_months, fiscal_year_label, fiscal_year_start
from measures.models import DOI_ORDER, DoI, Line
from measures.rollups import MEASURES, ZERO, rollup

register = template.Library()

FIGURE_LABELS = {
    "plan": "Plan",
    "baseline": "Baseline",
    "forecast": "Forecast",
    "actual": "Actual",
    "validated": "Validated",
    "risk_adjusted": "Risk-adjusted",
}


@register.inclusion_tag("measures/financials/_rollup_table.html", takes_context=True)
def rollup_panel(context: template.Context) -> dict[str, Any]:
    """The roll-up of ``node`` for the chosen fiscal year (``?fy=``), for people who see
    financials somewhere; one grouped query."""
    request = context.get("request")
    node = context.get("node")
    organization = getattr(request, "organization", None)
    if request is None or node is None or organization is None:
        return {"show": False}
    user = request.user
    if not (
        can(user, "view_financials", node) or levels_reached(user, "view_financials", organization)
    ):
        return {"show": False}
    start_month = organization.fiscal_year_start_month
    year = fiscal_year_start(dt.date.today(), start_month)
    raw = request.GET.get("fy", "")
    if raw.isdigit() and 1900 < int(raw) < 2200:
        year = dt.date(int(raw), start_month, 1)
    months = fiscal_months(year)
    result = rollup(
        user=user, organization=organization, node=node, period_from=months[0], period_to=months[-1]
    )
    empty = dict.fromkeys(MEASURES, ZERO)
    benefit = [
        (period, result.by_period.get(period, {}).get(Line.BENEFIT, empty)) for period in months
    ]
    costs = [
        (
            period,
            {
                name: result.by_period.get(period, {}).get(Line.ONE_TIME_COST, empty)[name]
                + result.by_period.get(period, {}).get(Line.RECURRING_COST, empty)[name]
                for name in MEASURES
            },
        )
        for period in months
    ]
    stages = [
        (DoI(stage).label, result.by_stage[stage].get(Line.BENEFIT, empty))
        for stage in [*DOI_ORDER, DoI.ON_HOLD, DoI.CANCELLED]
        if stage in result.by_stage
    ]
    chart = {
        "labels": [f"{period:%Y-%m}" for period in months],
        "series": {
            FIGURE_LABELS[name]: [float(figures[name]) for _, figures in benefit]
            for name in ("baseline", "forecast", "actual", "risk_adjusted")
        },
    }
    return {
        "show": True,
        "currency": result.currency,
        "figures": [(name, FIGURE_LABELS[name]) for name in MEASURES],
        "benefit": benefit,
        "costs": costs,
        "stages": stages,
        "totals": result.totals,
        "total_benefit": result.totals.get(Line.BENEFIT, empty),
        "total_cost": {
            name: result.totals.get(Line.ONE_TIME_COST, empty)[name]
            + result.totals.get(Line.RECURRING_COST, empty)[name]
            for name in MEASURES
        },
        "year_label": fiscal_year_label(year),
        "previous_year": add_months(year, -12).year,
        "next_year": add_months(year, 12).year,
        "chart": chart,
        "node": node,
        "org_slug": organization.slug,
        "empty": result.is_empty,
    }


@register.filter
def get_figure(figures: dict[str, Any], name: str) -> Any:
    return figures.get(name, ZERO)
