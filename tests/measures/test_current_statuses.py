"""Each measure carries its current Implementation Status and Potential Status, and its
program's tally counts it under them."""

from __future__ import annotations

import datetime as dt

import pytest

from measures.models import ImplementationStatus, Measure, MeasurePotential, PotentialStatus
from measures.services.figures import measure_statuses_refresh
from measures.services.financials import financials_upsert
from measures.services.status import status_report_submit
from tests.factories import MeasureFactory, MeasurePackageFactory
from tests.measures.test_measure_months import tally_brute_force, tally_stored

pytestmark = pytest.mark.django_db

THIS_MONTH = dt.date.today().replace(day=1)


def month(offset: int) -> str:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def fresh(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


def a_measure(org):
    return MeasureFactory(
        package=MeasurePackageFactory(project__program__portfolio__organization=org)
    )


def test_the_latest_months_report_is_the_current_implementation_status(personas):
    measure = a_measure(personas.org)
    assert fresh(measure).implementation_status == ""
    status_report_submit(
        measure=measure, by=personas.admin, period=month(0), status=ImplementationStatus.ON_TRACK
    )
    assert fresh(measure).implementation_status == ImplementationStatus.ON_TRACK
    # A late report for an earlier month does not replace the current one.
    status_report_submit(
        measure=measure,
        by=personas.admin,
        period=month(-1),
        status=ImplementationStatus.OFF_TRACK,
        commentary="Supplier late.",
    )
    assert fresh(measure).implementation_status == ImplementationStatus.ON_TRACK
    status_report_submit(
        measure=measure,
        by=personas.admin,
        period=month(0),
        status=ImplementationStatus.AT_RISK,
        commentary="Pilot slipping.",
    )
    assert fresh(measure).implementation_status == ImplementationStatus.AT_RISK
    assert tally_stored(personas.org) == tally_brute_force(personas.org)


def test_the_latest_potential_is_the_current_potential_status(personas):
    measure, other = a_measure(personas.org), a_measure(personas.org)
    rows = [
        {"period": month(offset), "line": "benefit", "scenario": "plan", "amount": "100"}
        for offset in range(3)
    ]
    rows += [
        {"period": month(offset), "line": "benefit", "scenario": "forecast", "amount": "100"}
        for offset in range(3)
    ]
    financials_upsert(measure=measure, by=personas.admin, rows=rows)
    assert fresh(measure).potential_status == PotentialStatus.ON_TRACK
    financials_upsert(
        measure=measure,
        by=personas.admin,
        rows=[{"period": month(2), "line": "benefit", "scenario": "forecast", "amount": "-150"}],
    )
    latest = MeasurePotential.objects.for_org(personas.org).filter(measure=measure).last()
    assert latest is not None and latest.status == PotentialStatus.OFF_TRACK
    assert fresh(measure).potential_status == PotentialStatus.OFF_TRACK
    assert fresh(other).potential_status == ""
    assert tally_stored(personas.org) == tally_brute_force(personas.org)


def test_the_refresh_is_one_update_whatever_the_number(personas, django_assert_num_queries):
    measures = [a_measure(personas.org) for _ in range(5)]
    # the UPDATE; then the programs' tallies: savepoint, lock, delete, insert … select, release
    with django_assert_num_queries(6):
        measure_statuses_refresh(
            organization_id=personas.org.pk, measure_ids=[m.pk for m in measures]
        )
