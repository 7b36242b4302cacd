"""Celery entry points of the reporting app: thin, idempotent, taking ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from django.conf import settings
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


@shared_task(
    name="reporting.report_run",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # counted on the run itself (MAX_ATTEMPTS), across redeliveries too
)
def report_run_task(
    self: Any, *, organization_id: int, definition_id: int, run_id: int | None = None
) -> str:
    """Run a report definition: sent by beat (a new run per firing) and by "run now" (with the
    queued run). Not a ``TenantTask``: the service opens its own tenant scopes so that a
    failure is recorded even though the attempt fails; a failed run is retried with backoff:
    after ``REPORT_RETRY_BASE_SECONDS`` (3 s by default), then four times as long."""
    from reporting.models import ReportDefinition, Trigger
    from reporting.reports.runs import MAX_ATTEMPTS, ReportFailed, report_run

    if not isinstance(organization_id, int) or isinstance(organization_id, bool):
        raise TypeError(f"{self.name} needs organization_id, the id of an organization.")
    definition = ReportDefinition(pk=definition_id, organization_id=organization_id)
    run = None
    if run_id is not None:
        from reporting.models import ReportRun

        run = ReportRun(pk=run_id, organization_id=organization_id)
    try:
        done = report_run(
            definition=definition,
            triggered_by=Trigger.USER if run_id is not None else Trigger.BEAT,
            run=run,
            task_id=str(self.request.id or "") if run_id is None else "",
        )
    except ReportFailed as failure:
        if failure.run.attempts >= MAX_ATTEMPTS:
            return f"failed: {failure.reason}"
        countdown = settings.REPORT_RETRY_BASE_SECONDS * 4 ** (failure.run.attempts - 1)
        raise self.retry(
            kwargs={
                "organization_id": organization_id,
                "definition_id": definition_id,
                "run_id": failure.run.pk,
            },
            countdown=countdown,
            exc=failure,
        ) from failure
    return "nothing to do" if done is None else f"done: run {done.pk}"


@shared_task(
    name="reporting.report_email",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def report_email_task(*, organization_id: int, run_id: int) -> int:
    """E-mail the recipients of a done run their files; safe to run twice."""
    from reporting.reports.runs import report_email

    return report_email(organization_id=organization_id, run_id=run_id)
