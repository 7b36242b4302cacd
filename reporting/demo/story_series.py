"""Acme's money: the series the demo writes, and the portfolios' value targets.

The writer below is the base of the story's (``reporting.demo.story``): it knows the measures and
the people, and writes every series through the bulk series service and every verdict through the
controller's bulk validation, so the monthly figures and the Potential Status follow as in the app.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from approvals.services.validations import validations_bulk_approve
from governance.models import Organization, Portfolio
from governance.services.hierarchy import node_update
from measures.models import DoI, FinancialEntry, Measure, MeasureCategory, Scenario, Validation
from measures.services.financials import financials_bulk_upsert
from reporting.demo.story_plan import Row, Story, benefit_months, cost_months

CENT = Decimal("0.01")
BULK = 1_000  # the validation queue approves at most this many at once


class SeriesWriter:
    """Writes the story's series and targets as the admin, its verdicts as the controller."""

    def __init__(
        self, organization: Organization, people: dict[str, Any], story: Story, today: dt.date
    ) -> None:
        self.organization = organization
        self.people = people
        self.story = story
        self.today = today
        self.month = today.replace(day=1)
        self.users = {user.pk: user for user in people.values()}
        self.measures = {
            measure.pk: measure
            for measure in Measure.objects.for_org(organization)
            .filter(pk__in=list(story.stage))
            .select_related("organization", "function")
        }
        self.rows = {
            pk: Row(pk, m.code, m.start_date, m.end_date) for pk, m in self.measures.items()
        }
        self.categories = {
            category.code: category for category in MeasureCategory.objects.for_org(organization)
        }

    # --- series -------------------------------------------------------------------------------

    def _amount(self, value: Decimal) -> str:
        return str(value.quantize(CENT))

    def plans(self) -> None:
        """Benefit and one-time cost plan of every measure, forecasts from Detailed on."""
        rows: list[dict[str, Any]] = []
        for pk, row in self.rows.items():
            months = benefit_months(row, self.today, self.organization.fiscal_year_start_month)
            monthly = self.story.annual_benefit[pk] / 12
            costs = cost_months(row, self.today, self.organization.fiscal_year_start_month)
            cost = self.story.annual_benefit[pk] * Decimal("0.25") / len(costs)
            forecast = self.story.reached(pk, DoI.DETAILED)
            factor = self.story.forecast_factor[pk]
            for period in months:
                rows.append(self._cell(pk, period, "benefit", Scenario.PLAN, monthly))
                if forecast:
                    rows.append(
                        self._cell(pk, period, "benefit", Scenario.FORECAST, monthly * factor)
                    )
            overrun = Decimal("1.35") if pk in self.story.cost_overrun else Decimal(1)
            for period in costs:
                rows.append(self._cell(pk, period, "one_time_cost", Scenario.PLAN, cost))
                if self.story.reached(pk, DoI.DECIDED):  # budgeted: the baseline compares
                    rows.append(
                        self._cell(pk, period, "one_time_cost", Scenario.FORECAST, cost * overrun)
                    )
        self._write(rows)

    def _cell(self, pk: int, period: dt.date, line: str, scenario: str, amount: Any) -> dict:
        return {
            "measure": pk,
            "period": period,
            "line": line,
            "scenario": scenario,
            "amount": self._amount(Decimal(amount)),
        }

    def _write(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            financials_bulk_upsert(
                organization=self.organization,
                rows=rows,
                by=self.people["admin"],
                scenarios=(Scenario.PLAN, Scenario.FORECAST, Scenario.ACTUAL),
            )

    def actuals(self, first: dt.date | None, last: dt.date) -> None:
        """Actual benefit and cost of the measures under way, for the months ``first``-``last``."""
        rows: list[dict[str, Any]] = []
        settings = self.organization.fiscal_year_start_month
        for pk, row in self.rows.items():
            if not self.story.reached(pk, DoI.DECIDED):
                continue
            months = [m for m in benefit_months(row, self.today, settings) if m <= last]
            if not months and self.story.reached(pk, DoI.IMPLEMENTED):
                months = [last]  # a measure started late in the year still shows a first result
            monthly = self.story.annual_benefit[pk] / 12 * self.story.actual_factor[pk]
            for period in months:
                if first is None or period >= first:
                    rows.append(self._cell(pk, period, "benefit", Scenario.ACTUAL, monthly))
            overrun = Decimal("1.35") if pk in self.story.cost_overrun else Decimal("0.94")
            costs = cost_months(row, self.today, settings)
            cost = self.story.annual_benefit[pk] * Decimal("0.25") / len(costs) * overrun
            for period in costs:
                if period <= last and (first is None or period >= first):
                    rows.append(self._cell(pk, period, "one_time_cost", Scenario.ACTUAL, cost))
        self._write(rows)

    def validate(self, measure_ids: list[int], until: dt.date | None = None) -> None:
        """The controller validates the pending claimed benefits of ``measure_ids``."""
        entries = FinancialEntry.objects.for_org(self.organization).filter(
            measure_id__in=measure_ids,
            scenario=Scenario.ACTUAL,
            line="benefit",
            validation=Validation.PENDING,
        )
        if until is not None:
            entries = entries.filter(period__lte=until)
        ids = list(entries.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BULK):
            validations_bulk_approve(
                organization=self.organization,
                entry_ids=ids[start : start + BULK],
                by=self.people["controller"],
                comment="Checked against the ERP postings of the month.",
            )

    def targets(self) -> None:
        """Each portfolio's value target for the year: its plan with a stretch on top, so the
        bridge shows the gap still to be identified."""
        settings = self.organization.fiscal_year_start_month
        for portfolio in Portfolio.objects.for_org(self.organization):
            plan = sum(
                (
                    self.story.annual_benefit[pk]
                    / 12
                    * len(benefit_months(self.rows[pk], self.today, settings))
                    for pk, measure in self.measures.items()
                    if measure.portfolio_id == portfolio.pk
                ),
                Decimal(0),
            )
            target = (plan * Decimal("1.15") / 500_000).quantize(Decimal(1)) * 500_000
            node_update(node=portfolio, by=self.people["admin"], target_value=target)
