"""Snapshots: taken once per period, equal to a brute-force sum, compared with the present,
scoped like their measures, and taken by beat through a live worker."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery import app
from governance.models import Role
from governance.rls import tenant_scope
from governance.services.grants import assign_role
from governance.services.hierarchy import node_move
from measures.fiscal import add_months, fiscal_year_start
from measures.models import FIGURES, DoI, FinancialEntry, Measure, Validation
from measures.services.figures import measure_months_rebuild
from measures.services.financials import financials_upsert
from measures.services.stages import transition
from reporting.models import Snapshot, SnapshotMeasure
from reporting.selectors.snapshots import snapshot_compare, snapshot_latest, stage_movements
from reporting.services.snapshots import snapshot_take
from reporting.tasks import snapshot_take_task
from reporting.widgets import Filters, Scope
from tests.factories import (
    MeasureFactory,
    MeasurePackageFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())


def year_start(org: Any) -> dt.date:
    return fiscal_year_start(TODAY, org.fiscal_year_start_month)


def seeded(org: Any, count: int = 6) -> list[Measure]:
    """Measures in two programs, each with series inside and outside the fiscal year."""
    packages = [
        MeasurePackageFactory(project__program__portfolio__organization=org) for _ in range(2)
    ]
    measures = [MeasureFactory(package=packages[index % 2]) for index in range(count)]
    start = year_start(org)
    rows = []
    for index, measure in enumerate(measures):
        for offset in (-2, 0, 5, 11, 12):
            for line, scenario in (
                ("benefit", "plan"),
                ("benefit", "forecast"),
                ("benefit", "actual"),
                ("recurring_cost", "actual"),
                ("one_time_cost", "baseline"),
            ):
                amount = Decimal(100 * (index + 1) + offset)
                validated = scenario == "actual" and offset % 2 == 0
                rows.append(
                    FinancialEntry(
                        organization=org,
                        measure=measure,
                        period=add_months(start, offset),
                        line=line,
                        scenario=scenario,
                        amount=amount,
                        validation=Validation.VALIDATED if validated else "",
                        validated_amount=amount - 1 if validated else None,
                    )
                )
    FinancialEntry.objects.bulk_create(rows)
    measure_months_rebuild(organization_id=org.pk)
    return measures


def brute_force(org: Any, fiscal_start: dt.date) -> dict[int, dict[str, Decimal]]:
    end = add_months(fiscal_start, 12)
    sums: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(FIGURES, Decimal(0)))
    for measure in Measure.objects.for_org(org).filter(archived_at__isnull=True):
        sums[measure.pk]  # every live measure has a row, with or without figures
    for entry in FinancialEntry.objects.for_org(org).filter(
        period__gte=fiscal_start, period__lt=end, measure__archived_at__isnull=True
    ):
        prefix = "benefit" if entry.line == "benefit" else "cost"
        sums[entry.measure_id][f"{prefix}_{entry.scenario}"] += entry.amount
        if prefix == "benefit" and entry.scenario == "actual" and entry.validation == "validated":
            sums[entry.measure_id]["benefit_validated"] += entry.validated_amount
    return dict(sums)


def snapshot_figures(snapshot: Snapshot) -> dict[int, dict[str, Decimal]]:
    return {
        row["measure_id"]: {name: row[name] for name in FIGURES}
        for row in SnapshotMeasure.objects.for_org(snapshot.organization_id)
        .filter(snapshot=snapshot)
        .values("measure_id", *FIGURES)
    }


def wait_until(condition: Any, what: str, timeout: float = 60.0) -> None:
    """Poll until the worker has done its part (a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        time.sleep(0.2)


def test_a_snapshot_holds_each_measures_fiscal_year_figures(personas):
    org = personas.org
    seeded(org)
    snapshot = snapshot_take(organization=org, kind="manual", period=TODAY)
    assert snapshot.fiscal_year_start == year_start(org)
    assert snapshot_figures(snapshot) == brute_force(org, year_start(org))
    assert snapshot.measure_count == 6
    row = SnapshotMeasure.objects.for_org(org).filter(snapshot=snapshot).first()
    measure = Measure.objects.for_org(org).get(pk=row.measure_id)
    assert (row.code, row.title, row.program_id, row.stage, row.owner_id) == (
        measure.code,
        measure.title,
        measure.program_id,
        measure.doi,
        measure.owner_id,
    )


def test_taking_the_same_snapshot_twice_changes_nothing(personas):
    org = personas.org
    seeded(org)
    first = snapshot_take(organization=org, kind="weekly", period=TODAY)
    assert first.period == MONDAY
    before = snapshot_figures(first)
    financials_upsert(
        measure=Measure.objects.for_org(org).first(),
        by=personas.admin,
        rows=[
            {
                "period": f"{year_start(org):%Y-%m}",
                "line": "benefit",
                "scenario": "forecast",
                "amount": "1",
            }
        ],
    )
    again = snapshot_take(organization=org, kind="weekly", period=MONDAY + dt.timedelta(days=3))
    assert again.pk == first.pk
    assert Snapshot.objects.for_org(org).count() == 1
    assert snapshot_figures(again) == before
    # Another kind or period is another snapshot.
    snapshot_take(organization=org, kind="period_close", period=TODAY)
    assert Snapshot.objects.for_org(org).count() == 2


def test_the_other_tenant_gets_nothing(personas):
    seeded(personas.org)
    seeded(personas.other_org, 2)
    snapshot_take(organization=personas.org, kind="manual", period=TODAY)
    assert not SnapshotMeasure.objects.for_org(personas.other_org).exists()


def test_as_reported_against_as_corrected(personas):
    org, admin = personas.org, personas.admin
    measures = seeded(org)
    snapshot = snapshot_take(organization=org, kind="manual", period=TODAY)
    late = measures[0]
    financials_upsert(
        measure=late,
        by=admin,
        rows=[
            {
                "period": f"{add_months(year_start(org), 5):%Y-%m}",
                "line": "benefit",
                "scenario": "forecast",
                "amount": "0",
            }
        ],
    )
    newcomer = MeasureFactory(package=late.package)
    financials_upsert(
        measure=newcomer,
        by=admin,
        rows=[
            {
                "period": f"{year_start(org):%Y-%m}",
                "line": "benefit",
                "scenario": "plan",
                "amount": "70",
            }
        ],
    )
    rows = {row.measure_id: row for row in snapshot_compare(Scope(org, admin), snapshot)}
    current = brute_force(org, year_start(org))
    reported = snapshot_figures(snapshot)
    assert set(rows) == set(current)
    for measure_id, row in rows.items():
        assert row.corrected == current[measure_id]
        assert row.reported == reported.get(measure_id, dict.fromkeys(FIGURES, Decimal(0)))
    assert rows[late.pk].delta["benefit_forecast"] == -(100 + 5)
    assert not rows[measures[1].pk].changed
    assert rows[newcomer.pk].in_snapshot is False
    assert rows[newcomer.pk].delta["benefit_plan"] == 70
    # Filters narrow it like the dashboards' filters.
    narrowed = snapshot_compare(Scope(org, admin, Filters(program=late.program_id)), snapshot)
    assert {row.measure_id for row in narrowed} == {
        m.pk for m in Measure.objects.for_org(org).filter(program_id=late.program_id)
    }


def test_stage_movements_count_what_entered_and_left(personas):
    org, admin = personas.org, personas.admin
    measures = seeded(org, 4)
    snapshot = snapshot_take(organization=org, kind="manual", period=TODAY)
    transition(measures[0], DoI.ON_HOLD, admin)
    transition(measures[1], DoI.CANCELLED, admin, reason="No longer needed.")
    MeasureFactory(package=measures[2].package)
    from governance.services.hierarchy import node_archive

    forecast = brute_force(org, year_start(org))
    node_archive(node=measures[3], by=admin)  # archived since: it left, and entered nothing
    moves = {move.stage: move for move in stage_movements(Scope(org, admin), snapshot)}
    assert (moves["defined"].count_then, moves["defined"].count_now) == (4, 2)
    assert (moves["defined"].left, moves["defined"].entered) == (3, 1)
    assert (moves["on_hold"].entered, moves["cancelled"].entered) == (1, 1)
    assert moves["defined"].value_then == sum(f["benefit_forecast"] for f in forecast.values())
    assert moves["on_hold"].value_now == forecast[measures[0].pk]["benefit_forecast"]


def test_a_scoped_user_sees_only_their_measures(personas, api_as):
    org = personas.org
    measures = seeded(org)
    lead, viewer = UserFactory(), UserFactory()
    MembershipFactory(organization=org, user=lead, role="")
    MembershipFactory(organization=org, user=viewer, role="")
    assign_role(lead, Role.LEAD, measures[0].program)
    assign_role(viewer, Role.VIEWER, measures[1].program)
    snapshot = snapshot_take(organization=org, kind="manual", period=TODAY)
    in_program = {m.pk for m in measures if m.program_id == measures[0].program_id}
    assert {row.measure_id for row in snapshot_compare(Scope(org, lead), snapshot)} == in_program
    assert snapshot_compare(Scope(org, personas.outsider), snapshot) == []
    # Moved since: the snapshot still answers by where the measure was when it was taken.
    node_move(node=measures[0], new_parent=measures[1].package, by=personas.admin)
    assert {
        row.measure_id
        for row in SnapshotMeasure.objects.for_org(org).filter(
            snapshot=snapshot, program_id=measures[0].program_id
        )
    } >= {measures[0].pk}

    base = f"/api/v1/orgs/{org.slug}/snapshots/"
    listing = api_as(lead).get(base)
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [snapshot.pk]
    rows = api_as(lead).get(f"{base}{snapshot.pk}/measures/").json()["results"]
    assert {row["measure"] for row in rows} == in_program
    assert all("benefit_plan" in row for row in rows)
    # A viewer's role does not include financials: the same rows come without figures.
    rows = api_as(viewer).get(f"{base}{snapshot.pk}/measures/").json()["results"]
    assert rows and all("benefit_plan" not in row for row in rows)
    filtered = api_as(personas.admin).get(
        f"{base}{snapshot.pk}/measures/", {"program": measures[1].program_id, "stage": "defined"}
    )
    assert {row["measure"] for row in filtered.json()["results"]} == {
        m.pk for m in measures if m.program_id == measures[1].program_id
    }
    assert (
        api_as(personas.admin).get(f"{base}{snapshot.pk}/measures/", {"stage": "x"}).status_code
        == 400
    )
    assert api_as(personas.outsider).get(f"{base}{snapshot.pk}/measures/").status_code == 404
    assert api_as(personas.admin).get(f"{base}{snapshot.pk + 999}/measures/").status_code == 404


@pytest.mark.parametrize("count", [5, 40])
def test_the_snapshot_list_and_measures_keep_their_query_count(
    personas, api_as, count, django_assert_max_num_queries
):
    org = personas.org
    seeded(org, count)
    snapshot = snapshot_take(organization=org, kind="manual", period=TODAY)
    client = api_as(personas.admin)
    with django_assert_max_num_queries(12):
        assert (
            client.get(f"/api/v1/orgs/{org.slug}/snapshots/{snapshot.pk}/measures/").status_code
            == 200
        )
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/v1/orgs/{org.slug}/snapshots/").status_code == 200


@pytest.mark.parametrize("count", [5, 40])
def test_taking_a_snapshot_is_a_handful_of_statements(
    personas, count, django_assert_max_num_queries
):
    seeded(personas.org, count)
    # the same at 5 and 40 measures: the rows' INSERT … SELECT, then their program sums'
    with django_assert_max_num_queries(9):
        snapshot_take(organization=personas.org, kind="manual", period=TODAY)


def test_snapshot_latest_and_the_command(personas):
    org = personas.org
    assert snapshot_latest(org) is None
    seeded(org, 2)
    call_command("snapshot_take", "--org", org.slug, "--kind", "manual", "--period", "2026-01-05")
    call_command("snapshot_take", "--org", org.slug)
    latest = snapshot_latest(org)
    assert latest is not None and latest.period == TODAY
    earlier = snapshot_latest(org, before=TODAY)
    assert earlier is not None and earlier.period == dt.date(2026, 1, 5)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_tasks_take_every_organizations_snapshots_through_a_live_worker(celery_worker):
    from tests.personas import make_personas

    personas = make_personas()
    with tenant_scope(personas.org.pk):
        seeded(personas.org, 3)
    # What beat sends: the tasks of the registered periodic entries, by name.
    call_command("schedule_sync", stdout=io.StringIO())
    weekly, close = (
        PeriodicTask.objects.get(name=name).task
        for name in ("snapshots: weekly", "snapshots: period close")
    )
    ids = app.send_task(weekly).get(timeout=60)
    assert set(ids) >= {personas.org.pk, personas.other_org.pk}
    period_close = app.send_task(close).get(timeout=60)
    assert set(period_close) == set(ids)

    def taken() -> list[Any]:
        with tenant_scope(personas.org.pk):
            return list(
                Snapshot.objects.for_org(personas.org)
                .order_by("kind")
                .values_list("kind", "period", "measure_count")
            )

    # Every organization's two, so that no task is still writing when the test ends.
    wait_until(
        lambda: Snapshot.objects.unscoped().count() == 2 * len(ids), "every organization's two"
    )
    month_closed = add_months(TODAY.replace(day=1), -1)
    assert taken() == [("period_close", month_closed, 3), ("weekly", MONDAY, 3)]
    # Delivered again (a redelivered message after a lost worker), nothing changes.
    ran = snapshot_take_task.delay(
        organization_id=personas.org.pk, kind="weekly", period=MONDAY.isoformat()
    ).get(timeout=60)
    with tenant_scope(personas.org.pk):
        weekly = Snapshot.objects.for_org(personas.org).get(kind="weekly")
    assert ran == weekly.pk
    assert taken() == [("period_close", month_closed, 3), ("weekly", MONDAY, 3)]


def test_schedule_sync_registers_the_snapshot_beats():
    call_command("schedule_sync", stdout=io.StringIO())
    call_command("schedule_sync", stdout=io.StringIO())
    weekly = PeriodicTask.objects.get(task="reporting.snapshots_weekly")
    close = PeriodicTask.objects.get(task="reporting.snapshots_period_close")
    assert weekly.interval is None and close.interval is None
    at = weekly.crontab
    assert (at.minute, at.hour, at.day_of_week, at.day_of_month, str(at.timezone)) == (
        "0",
        "5",
        "1",
        "*",
        "UTC",
    )
    at = close.crontab
    assert (at.minute, at.hour, at.day_of_week, at.day_of_month) == ("0", "4", "*", "1")
    assert PeriodicTask.objects.filter(task__startswith="reporting.snapshots").count() == 2


@pytest.mark.parametrize("count", [5, 40])
def test_the_comparisons_keep_their_query_count(personas, count, django_assert_max_num_queries):
    org = personas.org
    seeded(org, count)
    snapshot = snapshot_take(organization=org, kind="manual", period=TODAY)
    lead = UserFactory()
    MembershipFactory(organization=org, user=lead, role="")
    assign_role(lead, Role.LEAD, Measure.objects.for_org(org).first().program)
    for user in (personas.admin, lead):
        scope = Scope(org, user)
        with django_assert_max_num_queries(4):
            assert snapshot_compare(scope, snapshot)
        with django_assert_max_num_queries(8):
            assert stage_movements(scope, snapshot)
