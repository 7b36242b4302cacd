"""The triggers of management by exception, each computed in bulk for a set of measures.

Every detector takes the organization, the measures to look at (``None``: all of them) and the
moment, and returns ``{measure id: Found}`` for the measures where its cause holds now. The
recompute asks every detector about the same measures, so a cause that no longer holds is simply
absent, and its open case closes. Each detector is a fixed number of queries, whatever the number
of measures. Only live measures count: not archived, not closed, not cancelled.

Only a milestone slip moves dates, so only it ripples downstream; the other causes concern their
measure alone and carry the amount at stake (a shortfall, an overrun, the amount awaiting
approval).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from approvals.models import ApprovalStep, RequestState, StepState
from governance.models import Cause
from measures.fiscal import add_months
from measures.models import (
    DoI,
    Effort,
    FinancialEntry,
    Kpi,
    Measure,
    MeasurePotential,
    Milestone,
    StatusReport,
)
from measures.models.financials import Line, PotentialStatus, Scenario
from measures.models.milestones import ImplementationStatus
from measures.services.capacity import overallocations
from measures.services.kpis import with_latest

LIVE_EXCLUDED = (DoI.CLOSED, DoI.CANCELLED)
COST_LINES = (Line.ONE_TIME_COST, Line.RECURRING_COST)


@dataclass(frozen=True)
class Found:
    """A cause holding on one measure: its slip in days (dates), the amount at stake, and what
    was found, in JSON-ready form."""

    slip_days: int = 0
    amount: Decimal = Decimal(0)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Moment:
    today: dt.date
    now: dt.datetime

    @property
    def month(self) -> dt.date:
        return self.today.replace(day=1)


Detector = Callable[[int, "set[int] | None", Moment], dict[int, Found]]
DETECTORS: dict[str, Detector] = {}


def detector(cause: str) -> Callable[[Detector], Detector]:
    def register(function: Detector) -> Detector:
        DETECTORS[cause] = function
        return function

    return register


def live_measures(organization_id: int, ids: Iterable[int] | None) -> QuerySet[Measure]:
    measures = Measure.objects.for_org(organization_id).filter(archived_at__isnull=True)
    measures = measures.exclude(doi__in=LIVE_EXCLUDED)
    return measures if ids is None else measures.filter(pk__in=list(ids))


def _of_live(queryset: QuerySet[Any], organization_id: int, ids: set[int] | None) -> Any:
    return queryset.filter(measure_id__in=live_measures(organization_id, ids).values("pk"))


@detector(Cause.MILESTONE_SLIP)
def milestone_slips(organization_id: int, ids: set[int] | None, moment: Moment) -> dict[int, Found]:
    """A milestone done, or expected (its due date, or today once that passed), later than its
    baseline due date. The slip is the largest of the measure's milestones."""
    rows = _of_live(
        Milestone.objects.for_org(organization_id).filter(baseline_due_date__isnull=False),
        organization_id,
        ids,
    ).values_list("measure_id", "title", "baseline_due_date", "due_date", "completed_on")
    found: dict[int, Found] = {}
    for measure_id, title, baseline, due, completed in rows:
        expected = completed or max(due, moment.today)
        slip = (expected - baseline).days
        if slip > 0 and slip > found.get(measure_id, Found()).slip_days:
            detail = {
                "milestone": title,
                "baseline": baseline.isoformat(),
                "expected": expected.isoformat(),
                "done": completed is not None,
            }
            found[measure_id] = Found(slip_days=slip, detail=detail)
    return found


@detector(Cause.STATUS_OFF_TRACK)
def status_off_track(
    organization_id: int, ids: set[int] | None, moment: Moment
) -> dict[int, Found]:
    """The latest monthly Implementation Status report says off track."""
    latest = StatusReport.objects.filter(
        organization_id=OuterRef("organization_id"), measure_id=OuterRef("pk")
    ).order_by("-period")
    rows = (
        live_measures(organization_id, ids)
        .annotate(
            latest_status=Subquery(latest.values("status")[:1]),
            latest_period=Subquery(latest.values("period")[:1]),
        )
        .filter(latest_status=ImplementationStatus.OFF_TRACK)
        .values_list("pk", "latest_period")
    )
    return {pk: Found(detail={"period": f"{period:%Y-%m}"}) for pk, period in rows}


@detector(Cause.VALUE_BELOW)
def value_below(organization_id: int, ids: set[int] | None, moment: Moment) -> dict[int, Found]:
    """The Potential Status of the latest month up to now is off track: the shortfall of
    cumulative forecast against the reference is at stake."""
    latest = MeasurePotential.objects.filter(
        organization_id=OuterRef("organization_id"),
        measure_id=OuterRef("pk"),
        period__lte=moment.month,
    ).order_by("-period")
    rows = (
        live_measures(organization_id, ids)
        .annotate(
            potential=Subquery(latest.values("status")[:1]),
            period=Subquery(latest.values("period")[:1]),
            forecast=Subquery(latest.values("forecast")[:1]),
            reference=Subquery(latest.values("reference")[:1]),
        )
        .filter(potential=PotentialStatus.OFF_TRACK)
        .values_list("pk", "period", "forecast", "reference")
    )
    return {
        pk: Found(
            amount=max(reference - forecast, Decimal(0)),
            detail={
                "period": f"{period:%Y-%m}",
                "forecast": str(forecast),
                "reference": str(reference),
            },
        )
        for pk, period, forecast, reference in rows
    }


def _costs_to_date(
    organization_id: int, ids: set[int] | None, scenario: str, month: dt.date
) -> dict[int, Decimal]:
    rows = (
        _of_live(FinancialEntry.objects.for_org(organization_id), organization_id, ids)
        .filter(scenario=scenario, line__in=COST_LINES, period__lte=month)
        .values("measure_id")
        .annotate(total=Sum("amount"))
        .values_list("measure_id", "total")
    )
    return {measure_id: total for measure_id, total in rows}


@detector(Cause.COST_OVER)
def cost_over(organization_id: int, ids: set[int] | None, moment: Moment) -> dict[int, Found]:
    """Actual cost up to this month above the baselined cost of the same months."""
    actual = _costs_to_date(organization_id, ids, Scenario.ACTUAL, moment.month)
    budget = _costs_to_date(organization_id, ids, Scenario.BASELINE, moment.month)
    return {
        pk: Found(
            amount=spent - budget[pk],
            detail={"actual": str(spent), "budget": str(budget[pk])},
        )
        for pk, spent in actual.items()
        if pk in budget and spent > budget[pk]
    }


@detector(Cause.CAPACITY_OVER)
def capacity_over(organization_id: int, ids: set[int] | None, moment: Moment) -> dict[int, Found]:
    """Hours planned on the measure for a person and month (this one and the next eleven) in
    which that person is planned beyond their availability."""
    last = add_months(moment.month, 11)
    over = overallocations(organization=organization_id, first=moment.month, last=last)
    if not over:
        return {}
    excess = {(row.person_id, row.period): row.planned - row.available for row in over}
    efforts = (
        _of_live(Effort.objects.for_org(organization_id), organization_id, ids)
        .filter(
            person_id__in={person for person, _ in excess},
            period__gte=moment.month,
            period__lte=last,
            planned_hours__gt=0,
        )
        .values_list("measure_id", "person_id", "period", "planned_hours")
    )
    found: dict[int, dict[str, Any]] = {}
    for measure_id, person_id, period, hours in efforts:
        if (person_id, period) not in excess:
            continue
        entry = found.setdefault(measure_id, {"months": []})
        entry["months"].append(
            {
                "person": person_id,
                "period": f"{period:%Y-%m}",
                "planned_here": str(hours),
                "over_by": str(excess[(person_id, period)]),
            }
        )
    for entry in found.values():
        entry["months"].sort(key=lambda row: (row["period"], row["person"]))
    return {pk: Found(detail=detail) for pk, detail in found.items()}


@detector(Cause.APPROVAL_OVERDUE)
def approval_overdue(
    organization_id: int, ids: set[int] | None, moment: Moment
) -> dict[int, Found]:
    """A pending request of the measure with a step past its due date."""
    rows = (
        ApprovalStep.objects.for_org(organization_id)
        .filter(
            state=StepState.ACTIVE,
            due_at__lt=moment.now,
            request__state=RequestState.PENDING,
            request__measure_id__in=live_measures(organization_id, ids).values("pk"),
        )
        .order_by("due_at")
        .values_list(
            "request__measure_id", "request_id", "request__kind", "request__amount", "due_at"
        )
    )
    found: dict[int, Found] = {}
    for measure_id, request_id, kind, amount, due in rows:
        if measure_id not in found:
            found[measure_id] = Found(
                amount=amount or Decimal(0),
                detail={"request": request_id, "kind": kind, "due": due.isoformat()},
            )
    return found


@detector(Cause.KPI_MISS)
def kpi_miss(organization_id: int, ids: set[int] | None, moment: Moment) -> dict[int, Found]:
    """A KPI of the measure whose latest actual misses its target in the KPI's direction."""
    kpis = with_latest(
        _of_live(Kpi.objects.for_org(organization_id), organization_id, ids).filter(
            target__isnull=False
        )
    ).order_by("measure_id", "id")
    found: dict[int, Found] = {}
    for kpi in kpis:
        if kpi.latest_actual is None or kpi.favourable(kpi.latest_actual) is not False:
            continue
        entry = found.setdefault(kpi.measure_id, Found(detail={"kpis": []}))
        entry.detail["kpis"].append(
            {
                "kpi": kpi.name,
                "target": str(kpi.target),
                "actual": str(kpi.latest_actual),
                "period": f"{kpi.latest_period:%Y-%m}",
            }
        )
    return found


def causes_of(
    organization_id: int, ids: set[int] | None, moment: Moment
) -> dict[tuple[int, str], Found]:
    """Every cause holding now on ``ids`` (``None``: the whole organization), by (measure,
    cause)."""
    found: dict[tuple[int, str], Found] = {}
    for cause, detect in DETECTORS.items():
        for measure_id, hit in detect(organization_id, ids, moment).items():
            found[(measure_id, cause)] = hit
    return found
