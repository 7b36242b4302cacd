"""Decided measures with a baseline, and change requests on them, for the change-control tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from measures.models import DoI, Kpi, Measure, Milestone
from measures.services.stages import advance_by_approval
from tests.approvals.helpers import THIS_MONTH, at_detailed, fresh

MONTH = f"{THIS_MONTH:%Y-%m}"
START = dt.date(2026, 1, 5)
END = dt.date(2026, 12, 18)


def at_decided(personas: Any) -> Measure:
    """A Decided measure of ``personas.owner`` (the executive sponsors it): benefit 1,000 and
    one-time cost 200 in this month's baseline, dates 2026-01-05 to 2026-12-18, a milestone
    and a KPI (target 2) frozen with it."""
    measure = at_detailed(personas)
    Measure.objects.for_org(personas.org).filter(pk=measure.pk).update(
        start_date=START, end_date=END
    )
    Kpi.objects.create(
        organization=personas.org, measure=measure, name="Scrap rate", direction="lower", target=2
    )
    advance_by_approval(fresh(measure), DoI.DECIDED, approved_by=personas.executive)
    return fresh(measure)


def milestone_of(measure: Measure) -> Milestone:
    return Milestone.objects.for_org(measure.organization_id).filter(measure=measure).first()  # type: ignore[return-value]


def kpi_of(measure: Measure) -> Kpi:
    return Kpi.objects.for_org(measure.organization_id).filter(measure=measure).first()  # type: ignore[return-value]
