"""Each trigger opens the right case (the ones not shown in test_ripple_cases): Implementation
Status off track, Potential Status off track, planned hours over capacity, an approval past its
SLA; and nothing is raised for a closed measure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals.models import ApprovalRequest, ApprovalStep
from governance.models import CaseState, Cause, ExceptionCase
from governance.ripple.cases import cases_recompute
from measures.models import (
    Availability,
    CapacityPerson,
    Effort,
    Measure,
    MeasurePotential,
    Milestone,
    StatusReport,
)
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)


def measure_of(personas, **fields):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org,
        owner=personas.owner,
        doi=fields.pop("doi", "decided"),
        **fields,
    )


def cases(org):
    return {
        (case.root_id, case.cause): case
        for case in ExceptionCase.objects.for_org(org).filter(state=CaseState.OPEN)
    }


def test_an_off_track_status_report_opens_a_case(personas):
    measure = measure_of(personas)
    StatusReport.objects.create(
        organization=personas.org,
        measure=measure,
        period=MONTH,
        status="off_track",
        suggested_status="at_risk",
        reported_at=timezone.now(),
    )
    cases_recompute(organization=personas.org)
    case = cases(personas.org)[(measure.pk, Cause.STATUS_OFF_TRACK)]
    assert case.detail == {"period": f"{MONTH:%Y-%m}"} and case.impacted_count == 1


def test_value_below_threshold_puts_the_shortfall_at_stake(personas):
    measure = measure_of(personas)
    MeasurePotential.objects.create(
        organization=personas.org,
        measure=measure,
        period=MONTH,
        status="off_track",
        forecast=Decimal(600),
        reference=Decimal(1000),
        reference_scenario="baseline",
    )
    cases_recompute(organization=personas.org)
    case = cases(personas.org)[(measure.pk, Cause.VALUE_BELOW)]
    assert case.value_at_risk == Decimal(400)


def test_hours_over_a_persons_capacity_open_a_case_on_each_measure_planning_them(personas):
    first, second, elsewhere = (measure_of(personas) for _ in range(3))
    person = CapacityPerson.objects.create(organization=personas.org, name="Ana")
    other = CapacityPerson.objects.create(organization=personas.org, name="Bo")
    for who, hours in ((person, 100), (other, 100)):
        Availability.objects.create(
            organization=personas.org, person=who, period=MONTH, hours=hours
        )
    for target, who, hours in ((first, person, 70), (second, person, 60), (elsewhere, other, 50)):
        Effort.objects.create(
            organization=personas.org, measure=target, person=who, period=MONTH, planned_hours=hours
        )
    cases_recompute(organization=personas.org)
    found = cases(personas.org)
    assert {root for root, cause in found if cause == Cause.CAPACITY_OVER} == {first.pk, second.pk}
    detail = found[(first.pk, Cause.CAPACITY_OVER)].detail["months"][0]
    assert detail["over_by"] == "30.00" and detail["planned_here"] == "70.00"


def test_an_approval_past_its_sla_opens_a_case_that_clears_when_decided(personas):
    measure = measure_of(personas, doi="detailed")
    request = ApprovalRequest.objects.create(
        organization=personas.org,
        kind="gate:decided",
        measure=measure,
        requested_by=personas.owner,
        amount=Decimal(5000),
    )
    step = ApprovalStep.objects.create(
        organization=personas.org,
        request=request,
        order=1,
        approver="sponsor",
        sla_days=5,
        due_at=timezone.now() - dt.timedelta(days=1),
        state="active",
    )
    cases_recompute(organization=personas.org)
    case = cases(personas.org)[(measure.pk, Cause.APPROVAL_OVERDUE)]
    assert case.value_at_risk == Decimal(5000) and case.detail["request"] == request.pk
    ApprovalStep.objects.for_org(personas.org).filter(pk=step.pk).update(state="approved")
    cases_recompute(organization=personas.org, measure_ids=[measure.pk])
    case.refresh_from_db()
    assert case.state == CaseState.CLEARED


def test_a_closed_or_cancelled_measure_raises_nothing(personas):
    measure = measure_of(personas)
    baseline = TODAY + dt.timedelta(days=10)
    Milestone.objects.create(
        organization=personas.org,
        measure=measure,
        title="Late",
        baseline_due_date=baseline,
        due_date=baseline + dt.timedelta(days=5),
    )
    cases_recompute(organization=personas.org)
    assert cases(personas.org)
    Measure.objects.for_org(personas.org).filter(pk=measure.pk).update(doi="cancelled")
    cases_recompute(organization=personas.org)
    assert cases(personas.org) == {}
