"""My measures' attention checks: missing actuals and blocked gates, batched over the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from measures.attention import blocked_gate, missing_actuals, needs_attention
from measures.models import DoI, FinancialEntry, GateSettings, Measure
from tests.factories import MeasureFactory, MeasurePackageFactory
from tests.measures.helpers import detailed_ready, identified_ready

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def entry(measure, scenario: str, period: dt.date = LAST_MONTH, line: str = "benefit") -> None:
    FinancialEntry.objects.create(
        organization_id=measure.organization_id,
        measure=measure,
        period=period,
        line=line,
        scenario=scenario,
        amount=Decimal("1000"),
    )


def delivering(personas, doi: str = DoI.DECIDED, **extra) -> Measure:
    """A measure past Decided that meets every field requirement up to Implemented."""
    measure = detailed_ready(personas.org, personas.owner, personas.lead, personas.controller)
    # Each test lays out the series it talks about, nothing else.
    FinancialEntry.objects.for_org(personas.org).filter(measure=measure).delete()
    Measure.objects.for_org(personas.org).filter(pk=measure.pk).update(doi=doi, **extra)
    return Measure.objects.for_org(personas.org).get(pk=measure.pk)


def test_missing_actuals_flags_delivering_measures_without_last_months_actual(personas):
    planned = delivering(personas)
    entry(planned, "baseline")
    entry(planned, "plan")
    reported = delivering(personas, DoI.IMPLEMENTED)
    entry(reported, "plan")
    entry(reported, "actual")
    unplanned = delivering(personas)  # no benefit expected last month
    entry(unplanned, "plan", period=TODAY.replace(day=1))
    cost_only = delivering(personas)
    entry(cost_only, "plan", line="one_time_cost")
    too_early = identified_ready(personas.org, personas.owner)  # Defined: no actuals expected
    entry(too_early, "plan")
    found = missing_actuals([planned, reported, unplanned, cost_only, too_early], TODAY)
    assert found == {planned.pk: [f"Enter the actual benefit of {LAST_MONTH:%Y-%m}"]}


def test_blocked_gate_names_the_fields_the_next_gate_asks_for(personas):
    bare = MeasureFactory(
        package=MeasurePackageFactory(project__program__portfolio__organization=personas.org),
        owner=personas.owner,
    )
    ready = identified_ready(personas.org, personas.owner)
    identified = identified_ready(personas.org, personas.owner)
    Measure.objects.for_org(personas.org).filter(pk=identified.pk).update(doi=DoI.IDENTIFIED)
    identified.refresh_from_db()
    decided = delivering(personas)
    found = blocked_gate([bare, ready, identified, decided], TODAY)
    assert set(found) == {bare.pk, identified.pk}
    assert found[bare.pk][0].startswith("Before Identified:")
    assert "Write the business reason." in found[bare.pk][0]
    assert "Name the sponsor." in found[identified.pk][0]
    # The organization tightens the Implemented gate: the Decided measure now waits on a budget.
    GateSettings.objects.create(organization=personas.org, extra_fields={"implemented": ["budget"]})
    decided = Measure.objects.for_org(personas.org).get(pk=decided.pk)
    Measure.objects.for_org(personas.org).filter(pk=decided.pk).update(budget=None)
    decided.refresh_from_db()
    found = blocked_gate([decided], TODAY)
    assert found == {decided.pk: ["Before Implemented: Set the budget."]}


def test_settled_and_paused_measures_need_nothing(personas):
    closed = delivering(personas, DoI.CLOSED)
    paused = delivering(personas, DoI.ON_HOLD)
    for measure in (closed, paused):
        entry(measure, "plan")
    assert missing_actuals([closed, paused], TODAY) == {}
    assert blocked_gate([closed, paused], TODAY) == {}


def _world(personas, count: int) -> None:
    """``count`` measures of each kind: delivering with and without actuals, not ready for the
    next gate, and ready for it."""
    for _ in range(count):
        missing = delivering(personas)
        entry(missing, "baseline")
        done = delivering(personas, DoI.IMPLEMENTED)
        entry(done, "plan")
        entry(done, "actual")
        MeasureFactory(
            package=MeasurePackageFactory(project__program__portfolio__organization=personas.org),
            owner=personas.owner,
        )
        identified_ready(personas.org, personas.owner)
    GateSettings.objects.get_or_create(
        organization=personas.org, defaults={"extra_fields": {"decided": ["budget"]}}
    )


def test_the_checks_cost_the_same_queries_for_few_and_many_measures(personas):
    _world(personas, 2)
    few = list(Measure.objects.for_org(personas.org))
    with CaptureQueriesContext(connection) as small:
        found_few = needs_attention(few, TODAY)
    _world(personas, 10)
    many = list(Measure.objects.for_org(personas.org))
    with CaptureQueriesContext(connection) as large:
        found_many = needs_attention(many, TODAY)
    # One query per check that reads the database: actuals, gate settings, overdue milestones.
    assert len(small.captured_queries) == len(large.captured_queries) == 3
    assert len(found_many) > len(found_few) > 0


@pytest.mark.parametrize("count", [2, 12])
def test_my_measures_shows_them_in_constant_queries(
    client, personas, django_assert_num_queries, count
):
    _world(personas, count)
    client.force_login(personas.owner)
    client.get("/o/acme/my/measures/")  # the session's first request fills caches
    # + one each for the actuals, the gate settings, the overdue milestones and the unread
    # notifications in the navigation
    with django_assert_num_queries(16):
        response = client.get("/o/acme/my/measures/")
    page = response.content.decode()
    assert page.count("Enter the actual benefit") == count
    assert page.count("Before Identified:") >= count
