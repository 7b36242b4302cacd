"""The trend across snapshots: each snapshot's figures as reported, within the user's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from governance.models import Role
from governance.services.grants import assign_role
from measures.models import FinancialEntry
from measures.services.figures import measure_months_refresh
from reporting.models import SnapshotMeasure, SnapshotProgram
from reporting.services.snapshots import snapshot_take
from reporting.widgets import Filters, Scope
from reporting.widgets.trend import value_trend
from tests.factories import MeasureFactory, MeasurePackageFactory, MembershipFactory, UserFactory
from tests.reporting.data import generate

pytestmark = pytest.mark.django_db


def _forecast(measure, amount):
    FinancialEntry.objects.for_org(measure.organization_id).update_or_create(
        organization_id=measure.organization_id,
        measure=measure,
        period=timezone.localdate().replace(day=1),
        line="benefit",
        scenario="forecast",
        defaults={"amount": Decimal(amount)},
    )
    measure_months_refresh(organization_id=measure.organization_id, measure_ids=[measure.pk])


def test_the_trend_lists_each_snapshot_as_reported_within_scope(personas):
    org = personas.org
    here = MeasurePackageFactory(project__program__portfolio__organization=org)
    there = MeasurePackageFactory(project__program__portfolio=here.portfolio)
    mine, theirs = MeasureFactory(package=here), MeasureFactory(package=there)
    _forecast(mine, 100)
    _forecast(theirs, 1000)
    today = timezone.localdate()
    snapshot_take(organization=org, kind="manual", period=today - dt.timedelta(days=7))
    _forecast(mine, 150)
    snapshot_take(organization=org, kind="manual", period=today)
    _forecast(mine, 999)  # after the last snapshot: not in the trend

    everything = value_trend(Scope(org, personas.executive, Filters()))
    assert [row["forecast"] for row in everything.rows] == [Decimal(1100), Decimal(1150)]
    assert everything.rows[0]["snapshot"].startswith(f"{today - dt.timedelta(days=7):%Y-%m-%d}")

    program_lead = UserFactory(username="program-lead")
    MembershipFactory(organization=org, user=program_lead, role="")
    assign_role(program_lead, Role.LEAD, here.program)
    lead = value_trend(Scope(org, program_lead, Filters()))
    assert [row["forecast"] for row in lead.rows] == [Decimal(100), Decimal(150)]
    narrowed = value_trend(Scope(org, personas.executive, Filters(program=there.program_id)))
    assert [row["forecast"] for row in narrowed.rows] == [Decimal(1000), Decimal(1000)]


def test_without_financial_access_the_trend_has_no_amounts(personas):
    table = value_trend(Scope(personas.org, personas.viewer, Filters()))
    assert [column.key for column in table.columns] == ["snapshot"] and not table.rows


def test_the_program_sums_are_the_snapshot_rows_summed(personas):
    """Written with the snapshot: per program, function, business unit, legal entity and
    stage, the snapshot's rows summed; a project filter reads the rows themselves."""
    world = generate(personas.org, 60, seed=5)
    snapshot = snapshot_take(organization=personas.org, kind="manual", period=timezone.localdate())
    keys = ("program_id", "function_id", "business_unit_id", "legal_entity_id", "stage")

    def summed(model):
        return {
            tuple(row[key] for key in keys): (row["n"], row["forecast"])
            for row in model.objects.for_org(personas.org)
            .filter(snapshot=snapshot)
            .values(*keys)
            .annotate(n=Count("pk") if model is SnapshotMeasure else Sum("measures"))
            .annotate(forecast=Sum("benefit_forecast"))
            .order_by()
        }

    assert summed(SnapshotProgram) == summed(SnapshotMeasure)
    project = world.measures[0].project_id
    table = value_trend(Scope(personas.org, personas.executive, Filters(project=project)))
    expected = (
        SnapshotMeasure.objects.for_org(personas.org)
        .filter(snapshot=snapshot, project_id=project)
        .aggregate(total=Sum("benefit_forecast"))["total"]
    )
    assert table.rows[-1]["forecast"] == expected
