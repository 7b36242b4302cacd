"""The dashboards' read model: the organization's benefit by month summed from the measures'
monthly figures (one grouped query), and a snapshot of every measure of the tenant.

The snapshot is taken for a fixed day; the one taken by the previous request is deleted before
every request, outside the timed part, so each request writes the whole snapshot again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from governance.access import restrict
from governance.rls import tenant_scope
from measures.models import MeasureMonth
from reporting.models import Snapshot
from reporting.services.snapshots import snapshot_take
from tests.bench.scenarios import BenchTenant, scenario

# A day no scheduled snapshot stands for.
SNAPSHOT_DAY = dt.date(2001, 1, 1)


def _benefit_by_month(tenant: BenchTenant) -> Any:
    org = tenant.organization
    with tenant_scope(org.pk):
        rows = restrict(
            MeasureMonth.objects.all(), tenant.admin, "view_financials", organization=org
        )
        return list(
            rows.values("period")
            .annotate(
                plan=Sum("benefit_plan"),
                forecast=Sum("benefit_forecast"),
                actual=Sum("benefit_actual"),
                validated=Sum("benefit_validated"),
            )
            .order_by("period")
        )


scenario("Selector: organization benefit by month from MeasureMonth", call=_benefit_by_month)(
    lambda tenant: "measure months grouped by period (plan, forecast, actual, validated)"
)


def _snapshot_clear(tenant: BenchTenant) -> None:
    org = tenant.organization
    with tenant_scope(org.pk):
        Snapshot.objects.for_org(org).filter(kind="manual", period=SNAPSHOT_DAY).delete()


def _snapshot(tenant: BenchTenant) -> Any:
    org = tenant.organization
    with tenant_scope(org.pk):
        return snapshot_take(organization=org, kind="manual", period=SNAPSHOT_DAY).measure_count


scenario("Service: snapshot of the whole tenant", call=_snapshot, prepare=_snapshot_clear)(
    lambda tenant: "reporting.services.snapshots.snapshot_take (every live measure)"
)
