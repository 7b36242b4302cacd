"""The migrations that add the measure months, the current statuses and the program-month
roll-up fill them for the data already there, as the services would have."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from measures.models import Measure, MeasureMonth, MeasurePotential, StatusReport
from tests.factories import MeasureFactory, MeasurePackageFactory, OrganizationFactory
from tests.measures.test_measure_months import (
    brute_force,
    program_brute_force,
    program_stored,
    series,
    stored,
)

BEFORE = [("measures", "0010_financial_pending_index")]


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    """Migrate to ``targets``; without, forward to the latest of every app."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_series_and_statuses_are_filled_by_the_migrations():
    orgs = [OrganizationFactory(), OrganizationFactory()]
    measures = {}
    for index, org in enumerate(orgs):
        package = MeasurePackageFactory(project__program__portfolio__organization=org)
        measures[org.pk] = [MeasureFactory(package=package) for _ in range(4)]
        series(org, measures[org.pk], seed=index)
    first = measures[orgs[0].pk][0]
    month = dt.date.today().replace(day=1)
    for period, status in ((month, "at_risk"), (month.replace(year=month.year - 1), "off_track")):
        StatusReport.objects.create(
            organization=orgs[0],
            measure=first,
            period=period,
            status=status,
            reported_at=timezone.now(),
        )
        MeasurePotential.objects.create(
            organization=orgs[0],
            measure=first,
            period=period,
            status=status,
            forecast=1,
            reference=1,
            reference_scenario="plan",
        )
    migrate(BEFORE)
    migrate()
    for org in orgs:
        assert MeasureMonth.objects.for_org(org).exists()
        assert stored(org) == brute_force(org)
        assert program_stored(org)
        assert program_stored(org) == program_brute_force(org)
    filled = Measure.objects.for_org(orgs[0]).get(pk=first.pk)
    assert (filled.implementation_status, filled.potential_status) == ("at_risk", "at_risk")
    other = Measure.objects.for_org(orgs[0]).get(pk=measures[orgs[0].pk][1].pk)
    assert (other.implementation_status, other.potential_status) == ("", "")
