"""Celery entry points of reporting: thin, idempotent, taking ids."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from governance.tasks import TenantTask

# Seconds before the retries of a failed report run: 3 s, then 12 s.
RETRY_BASE_SECONDS = 3


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
    failure is recorded even though the attempt fails; a failed run is retried with backoff."""
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
        countdown = RETRY_BASE_SECONDS * 4 ** (failure.run.attempts - 1)
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
