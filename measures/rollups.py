"""Roll-ups of the financial series: benefit and cost at every level, by period and by stage.

One grouped query per request, whatever the level: the series rows of the measures below the
node (filtered on the measure's denormalized ancestor key) that the user may see financials of
(``restrict(…, "view_financials")``), grouped by month, stage, line and scenario. Validated
amounts ride in the same query (a filtered sum); the risk-adjusted potential is the forecast
weighted by the stage, applied to the grouped sums in Python (a handful of rows, not measures).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from governance.access import restrict
from governance.models import HierarchyNode, Organization
from measures.models import DOI_ORDER, DoI, FinancialEntry, Line, Scenario
from measures.models.financials import validated_sum
from measures.services.financials import financial_settings

MEASURES = ("plan", "baseline", "forecast", "actual", "validated", "risk_adjusted")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _figures() -> dict[str, Decimal]:
    return dict.fromkeys(MEASURES, ZERO)


@dataclass
class Rollup:
    """Sums per line (benefit, one-time cost, recurring cost) and figure (plan … risk-adjusted),
    by period, by stage and in total."""

    currency: str
    by_period: dict[dt.date, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    by_stage: dict[str, dict[str, dict[str, Decimal]]] = field(default_factory=dict)
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    # The raw groups: (period, stage, line) → figures.
    cells: dict[tuple[dt.date, str, str], dict[str, Decimal]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.cells

    def as_json(self) -> dict[str, Any]:
        def figures(lines: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, str]]:
            return {
                line: {name: str(value) for name, value in values.items()}
                for line, values in lines.items()
            }

        return {
            "currency": self.currency,
            "totals": figures(self.totals),
            "by_period": [
                {"period": period.isoformat(), **figures(lines)}
                for period, lines in sorted(self.by_period.items())
            ],
            "by_stage": [
                {"stage": stage, **figures(self.by_stage[stage])}
                for stage in [*DOI_ORDER, DoI.ON_HOLD, DoI.CANCELLED]
                if stage in self.by_stage
            ],
        }


def financial_rows(
    *, user: Any, organization: Organization, node: HierarchyNode | None = None
) -> QuerySet[FinancialEntry]:
    """The series rows below ``node`` (the whole organization if None) the user may see the
    financials of; archived measures are left out."""
    rows = restrict(
        FinancialEntry.objects.all(), user, "view_financials", organization=organization
    ).filter(measure__archived_at__isnull=True)
    if node is not None:
        if node.LEVEL == "measure":
            rows = rows.filter(measure_id=node.pk)
        else:
            rows = rows.filter(**{f"measure__{node.LEVEL}_id": node.pk})
    return rows


def rollup(
    *,
    user: Any,
    organization: Organization,
    node: HierarchyNode | None = None,
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> Rollup:
    """Benefit and cost below ``node``, grouped by month and stage, as ``user`` may see them."""
    rows = financial_rows(user=user, organization=organization, node=node)
    if period_from is not None:
        rows = rows.filter(period__gte=period_from)
    if period_to is not None:
        rows = rows.filter(period__lte=period_to)
    grouped = (
        rows.values_list("period", "measure__doi", "line", "scenario")
        .annotate(
            total=Sum("amount"),
            validated=validated_sum(),
        )
        .order_by()
    )
    weights = financial_settings(organization).weights()
    result = Rollup(currency=organization.currency)
    for period, stage, line, scenario, total, validated in grouped:
        cell = result.cells.setdefault((period, stage, line), _figures())
        cell[scenario] += total
        if validated is not None:
            cell["validated"] += validated
        if scenario == Scenario.FORECAST:
            cell["risk_adjusted"] += (total * weights.get(stage, Decimal(0))).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
    by_period: dict[dt.date, dict[str, dict[str, Decimal]]] = defaultdict(dict)
    by_stage: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(dict)
    for (period, stage, line), figures in result.cells.items():
        for target in (
            by_period[period].setdefault(line, _figures()),
            by_stage[stage].setdefault(line, _figures()),
            result.totals.setdefault(line, _figures()),
        ):
            for name, value in figures.items():
                target[name] += value
    result.by_period, result.by_stage = dict(by_period), dict(by_stage)
    for lines in [result.totals, *result.by_period.values(), *result.by_stage.values()]:
        for line in Line.values:
            lines.setdefault(line, _figures())
    return result
