"""Celery entry points of the reporting app: thin, idempotent, taking ids."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from governance.tasks import TenantTask
from measures.fiscal import add_months


@shared_task(
    name="reporting.snapshot_take",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def snapshot_take_task(*, organization_id: int, kind: str, period: str) -> int:
    """Take the organization's snapshot of ``kind`` for ``period`` (ISO date); a snapshot
    already taken is left as it is, so running this twice is safe. Returns its id."""
    from governance.models import Organization
    from reporting.services.snapshots import snapshot_take

    organization = Organization.objects.get(pk=organization_id)
    snapshot = snapshot_take(
        organization=organization, kind=kind, period=dt.date.fromisoformat(period)
    )
    return snapshot.pk


def _fan_out(kind: str, period: dt.date) -> list[int]:
    """One snapshot task per organization. Platform code: it reads only the organizations."""
    from governance.models import Organization

    ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in ids:
        snapshot_take_task.delay(
            organization_id=organization_id, kind=kind, period=period.isoformat()
        )
    return ids


@shared_task(name="reporting.snapshots_weekly", acks_late=True, reject_on_worker_lost=True)
def snapshots_weekly_task() -> list[int]:
    """Every organization's weekly snapshot, for the week of today (beat: Mondays)."""
    return _fan_out("weekly", timezone.localdate())


@shared_task(name="reporting.snapshots_period_close", acks_late=True, reject_on_worker_lost=True)
def snapshots_period_close_task() -> list[int]:
    """Every organization's period-close snapshot of the month just ended (beat: the 1st)."""
    return _fan_out("period_close", add_months(timezone.localdate().replace(day=1), -1))
