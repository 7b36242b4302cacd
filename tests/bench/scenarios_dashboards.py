"""Dashboard pages and a widget's CSV, computed from the read models with one grouped query per
widget.

The tenant is given a quarter of history first (once, outside the timed part): twelve weekly
snapshots, the trend's span, and 0.5 % of its measures moved on a stage since the latest one, so
the funnel's movements and the trend read what a tenant in use has.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from governance.models import Portfolio, Program, Project
from governance.rls import tenant_scope
from measures.models import DoI, Measure, MeasureMonth, ProgramMonth, ProgramTally
from measures.services.figures import (
    analyze_figures,
    measure_months_refresh,
    program_tallies_refresh,
)
from reporting.models import Snapshot, SnapshotKind, SnapshotMeasure, SnapshotProgram
from reporting.services.snapshots import snapshot_period, snapshot_take
from tests.bench.scenarios import BenchTenant, scenario

WEEKS = 12
MOVED_SHARE = 200  # one measure in 200 moved on since the latest snapshot


def dashboard_history(tenant: BenchTenant) -> None:
    """Twelve weekly snapshots up to this week, then a few stage changes: idempotent."""
    org = tenant.organization
    with tenant_scope(org.pk):
        monday = snapshot_period(SnapshotKind.WEEKLY, timezone.localdate())
        weeks = [monday - dt.timedelta(weeks=week) for week in range(WEEKS - 1, -1, -1)]
        taken = set(
            Snapshot.objects.for_org(org)
            .filter(kind=SnapshotKind.WEEKLY, period__in=weeks)
            .values_list("period", flat=True)
        )
        for week in weeks:
            if week not in taken:
                snapshot_take(organization=org, kind=SnapshotKind.WEEKLY, period=week)
        latest = Snapshot.objects.for_org(org).aggregate(at=Max("taken_at"))["at"]
        measures = Measure.objects.for_org(org).filter(archived_at__isnull=True)
        if len(taken) == WEEKS and measures.filter(stage_entered_at__gt=latest).exists():
            return
        moved = list(
            measures.filter(doi=DoI.IDENTIFIED)
            .order_by("pk")
            .values_list("pk", flat=True)[: tenant.measures // MOVED_SHARE]
        )
        measures.filter(pk__in=moved).update(doi=DoI.DETAILED, stage_entered_at=timezone.now())
        measure_months_refresh(organization_id=org.pk, measure_ids=moved)
        program_tallies_refresh(
            organization_id=org.pk, programs=measures.filter(pk__in=moved).values("program_id")
        )
        # Fresh planner statistics, as after the seeding.
        analyze_figures(
            Measure, MeasureMonth, ProgramMonth, ProgramTally, SnapshotMeasure, SnapshotProgram
        )


@scenario("UI: organization dashboard", prepare=dashboard_history)
def ui_organization_dashboard(tenant: BenchTenant) -> str:
    return reverse("dashboard", kwargs={"org_slug": tenant.slug})


@scenario("UI: program dashboard", prepare=dashboard_history)
def ui_program_dashboard(tenant: BenchTenant) -> str:
    return reverse(
        "program-dashboard", kwargs={"org_slug": tenant.slug, "pk": tenant.first(Program).pk}
    )


@scenario("UI: portfolio dashboard", prepare=dashboard_history)
def ui_portfolio_dashboard(tenant: BenchTenant) -> str:
    return reverse(
        "portfolio-dashboard", kwargs={"org_slug": tenant.slug, "pk": tenant.first(Portfolio).pk}
    )


@scenario("UI: project dashboard", prepare=dashboard_history)
def ui_project_dashboard(tenant: BenchTenant) -> str:
    return reverse(
        "project-dashboard", kwargs={"org_slug": tenant.slug, "pk": tenant.first(Project).pk}
    )


@scenario("UI: my work dashboard (the busiest owner)", user="owner", prepare=dashboard_history)
def ui_my_dashboard(tenant: BenchTenant) -> str:
    return reverse("my-dashboard", kwargs={"org_slug": tenant.slug})


@scenario("UI: dashboard widget CSV")
def ui_dashboard_widget_csv(tenant: BenchTenant) -> str:
    url = reverse("dashboard-widget", kwargs={"org_slug": tenant.slug, "key": "value_bridge"})
    return f"{url}?program={tenant.first(Program).pk}"
