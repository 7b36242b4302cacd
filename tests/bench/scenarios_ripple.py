"""Management by exception at scale: one slip recomputed incrementally against a full
recompute of the tenant, both through a live Celery worker.

The graph is seeded here, once per tenant, by PostgreSQL itself: two finish-to-start edges per
measure (to the next one and to the seventh next, in blocks of 500 measures), so 50,000
measures carry about 99,000 edges and no measure reaches more than 499 others (under 1 % of
the graph). One measure in fifty has a milestone slipping 1 to 60 days past its baseline: the
full recompute has a thousand ripples to follow at 50k.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
from typing import Any

from django.db import connection
from django.utils import timezone

from governance.models import RippleDirty
from governance.rls import tenant_scope
from governance.tasks import ripple_full_task, ripple_process_task
from measures.models import Measure, MeasureDependency
from tests.bench.scenarios import BenchTenant, scenario

BLOCK = 500
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

EDGES_SQL = """
WITH ranked AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
    FROM measures_measure WHERE organization_id = %s
)
INSERT INTO measures_measuredependency
    (organization_id, predecessor_id, successor_id, type, lag_days, note, created_at)
SELECT %s, a.id, b.id, 'fs', (a.n %% 5)::smallint, '', now()
FROM ranked a
CROSS JOIN (VALUES (1), (7)) AS d(step)
JOIN ranked b ON b.n = a.n + d.step AND b.n / %s = a.n / %s
"""

MILESTONES_SQL = """
WITH ranked AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
    FROM measures_measure WHERE organization_id = %s
)
INSERT INTO measures_milestone
    (organization_id, measure_id, title, due_date, baseline_due_date, evidence_required,
     evidence_description, "order", created_at, updated_at)
SELECT %s, r.id, 'Go-live', %s::date + (1 + r.n %% 60)::int, %s::date, false, '', 0, now(), now()
FROM ranked r WHERE r.n %% 50 = 25
"""

_worker: dict[str, Any] = {}
_roots: dict[int, int] = {}


def _graph_seed(tenant: BenchTenant) -> None:
    org = tenant.organization.pk
    with tenant_scope(org):
        if MeasureDependency.objects.for_org(org).exists():
            return
        baseline = timezone.localdate() + dt.timedelta(days=30)
        with connection.cursor() as cursor:
            cursor.execute(EDGES_SQL, [org, org, BLOCK, BLOCK])
            cursor.execute(MILESTONES_SQL, [org, org, baseline, baseline])
            cursor.execute("ANALYZE measures_measuredependency; ANALYZE measures_milestone")
    # The cases as they stand, so the timed runs measure the steady state.
    _full(tenant)


def _live_worker() -> None:
    """One worker process for the whole run, on its own Redis database."""
    if _worker:
        return
    from tests.conftest import ARTIFACTS
    from tests.worker import start_worker, stop_worker, use_broker

    broker = use_broker(REDIS_URL)
    next(broker)
    worker = start_worker(REDIS_URL, ARTIFACTS, name="bench-worker")
    _worker["worker"] = worker
    atexit.register(stop_worker, worker)


def _full(tenant: BenchTenant) -> Any:
    _live_worker()
    return ripple_full_task.apply_async(kwargs={"organization_id": tenant.organization.pk}).get(
        timeout=600
    )


def _root(tenant: BenchTenant) -> int:
    """The slipping measure of the middle block (its 26th): 474 measures downstream, 25
    upstream."""
    org = tenant.organization.pk
    if org not in _roots:
        with tenant_scope(org):
            ids = list(Measure.objects.for_org(org).order_by("id").values_list("id", flat=True))
        middle = (len(ids) // BLOCK // 2) * BLOCK + 25
        _roots[org] = ids[min(middle, len(ids) - 1)]
    return _roots[org]


def _one_slip(tenant: BenchTenant) -> Any:
    _live_worker()
    _graph_seed(tenant)
    org = tenant.organization.pk
    with tenant_scope(org):
        RippleDirty.objects.create(
            organization_id=org, measure_id=_root(tenant), marked_at=timezone.now()
        )
    return ripple_process_task.apply_async(kwargs={"organization_id": org}).get(timeout=600)


def _full_recompute(tenant: BenchTenant) -> Any:
    _graph_seed(tenant)
    return _full(tenant)


scenario("Worker: ripple of one slip (incremental, < 1 % downstream)", call=_one_slip, worker=True)(
    lambda tenant: "governance.ripple_process (one slipping measure, 474 downstream)"
)
scenario(
    "Worker: full recompute of the tenant's exception cases", call=_full_recompute, worker=True
)(lambda tenant: "governance.ripple_full (every cause, every ripple)")
