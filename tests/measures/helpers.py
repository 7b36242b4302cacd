"""Measures ready for a gate, for the measures tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from governance.models import Organization
from measures.fiscal import add_months, fiscal_year_start
from measures.models import FinancialEntry, Line, Measure, MeasureCategory, Milestone, Scenario
from measures.services.fields import category_seed_defaults
from measures.services.financials import actuals_validate, financials_upsert
from tests.factories import (
    BusinessUnitFactory,
    FunctionFactory,
    MeasureFactory,
    MeasurePackageFactory,
)


def identified_ready(org: Organization, owner: Any, **extra: Any) -> Measure:
    """A Defined measure that meets every default criterion of Identified."""
    category_seed_defaults(organization=org)
    category = MeasureCategory.objects.for_org(org).get(code="cost_reduction")
    values = {
        "owner": owner,
        "business_reason": "Scrap costs us 2 M a year.",
        "expected_outcome": "Scrap rate below 1 %.",
        "category": category,
        **extra,
    }
    return MeasureFactory(
        package=MeasurePackageFactory(project__program__portfolio__organization=org), **values
    )


def plan_add(measure: Measure, months: int = 3, amount: str = "1000.00") -> None:
    """A financial plan for the benefit and the one-time cost over ``months`` months."""
    start = fiscal_year_start(dt.date.today(), measure.organization.fiscal_year_start_month)
    FinancialEntry.objects.bulk_create(
        FinancialEntry(
            organization_id=measure.organization_id,
            measure=measure,
            period=add_months(start, offset),
            line=line,
            scenario=Scenario.PLAN,
            amount=Decimal(amount),
        )
        for offset in range(months)
        for line in (Line.BENEFIT, Line.ONE_TIME_COST)
    )


def detailed_ready(org: Organization, owner: Any, sponsor: Any, controller: Any) -> Measure:
    """A Defined measure that meets every default criterion of Identified and Detailed."""
    measure = identified_ready(
        org,
        owner,
        sponsor=sponsor,
        controller=controller,
        business_unit=BusinessUnitFactory(organization=org),
        function=FunctionFactory(organization=org),
        evidence_requirements="Signed scrap report per month.",
        no_material_risk=True,
        no_dependencies=True,
    )
    plan_add(measure)
    milestone_done_add(measure)
    return measure


def milestone_done_add(measure: Measure, title: str = "Kick-off held") -> Milestone:
    """A milestone done today (→ Detailed needs one; → Implemented needs every one done)."""
    today = dt.date.today()
    return Milestone.objects.create(
        organization_id=measure.organization_id,
        measure=measure,
        title=title,
        due_date=today,
        completed_on=today,
    )


def actual_validated(measure: Measure, owner: Any, controller: Any) -> None:
    """An actual benefit for the plan's first month, claimed by ``owner`` and validated."""
    period = fiscal_year_start(dt.date.today(), measure.organization.fiscal_year_start_month)
    financials_upsert(
        measure=measure,
        rows=[
            {"period": f"{period:%Y-%m}", "line": "benefit", "scenario": "actual", "amount": "900"}
        ],
        by=owner,
    )
    actuals_validate(
        measure=measure, period=period, line=Line.BENEFIT, decision="validate", by=controller
    )
