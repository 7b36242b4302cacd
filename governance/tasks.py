"""Celery entry points of the governance app: thin, idempotent, taking ids."""

from __future__ import annotations

import inspect
from typing import Any

from celery import Task, shared_task
from django.apps import apps
from django.db import OperationalError

from governance.models import TenantModel
from governance.rls import enforced_by_database, tenant_scope


class TenantTask(Task):
    """Base of every task that touches tenant rows: ``@shared_task(base=TenantTask)``.

    The task takes ``organization_id`` (best as a keyword) and its body runs inside
    ``tenant_scope(organization_id)``: one transaction that, on PostgreSQL, reaches only that
    organization's rows. A task without one refuses to run rather than run unscoped.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = inspect.signature(self.run).bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self.name}: {error}") from None
        organization_id = bound.arguments.get("organization_id")
        if not isinstance(organization_id, int) or isinstance(organization_id, bool):
            raise TypeError(f"{self.name} needs organization_id, the id of an organization.")
        with tenant_scope(organization_id):
            return super().__call__(*args, **kwargs)


@shared_task(name="governance.health", bind=True, acks_late=True, reject_on_worker_lost=True)
def health(self: Any, nonce: str) -> dict[str, str]:
    """Round trip for monitoring: echoes the nonce with the name of the worker that ran it."""
    return {"nonce": nonce, "worker": str(self.request.hostname)}


@shared_task(
    name="governance.count_rows", base=TenantTask, acks_late=True, reject_on_worker_lost=True
)
def count_rows(*, organization_id: int, model_label: str) -> int:
    """How many rows of the tenant table ``model_label`` the organization has.

    Where the database enforces tenant isolation the count applies no filter of its own: it is
    what the worker's scope lets through, so it doubles as a probe that the wall holds there.
    """
    model = apps.get_model(model_label)
    if not issubclass(model, TenantModel):
        raise ValueError(f"{model_label} is not a tenant table.")
    rows = model.objects.all()
    rows = rows.unscoped() if enforced_by_database() else rows.for_org(organization_id)
    return rows.count()


# --- management by exception ------------------------------------------------------------------


@shared_task(
    name="governance.ripple_process",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def ripple_process_task(*, organization_id: int) -> int:
    """Recompute the exception cases of the organization's dirty measures; safe to run twice."""
    from governance.ripple.outbox import ripple_process

    summary = ripple_process(organization=organization_id)
    return 0 if summary is None else summary.roots


@shared_task(
    name="governance.ripple_full",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def ripple_full_task(*, organization_id: int) -> int:
    """Recompute every exception case of the organization (nightly; time-based causes such as
    a due date passing appear here)."""
    from governance.ripple.cases import cases_recompute

    return cases_recompute(organization=organization_id).roots


@shared_task(name="governance.ripple_sweep", acks_late=True, reject_on_worker_lost=True)
def ripple_sweep_task() -> int:
    """Enqueue the processing of every organization with marks waiting (a lost message or a
    killed worker left them): the guarantee that no recompute is lost."""
    from governance.ripple.outbox import organizations_dirty

    organizations = organizations_dirty()
    for organization_id in organizations:
        ripple_process_task.delay(organization_id=organization_id)
    return len(organizations)


@shared_task(name="governance.ripple_nightly", acks_late=True, reject_on_worker_lost=True)
def ripple_nightly_task() -> int:
    """Enqueue a full recompute of every organization."""
    from governance.models import Organization

    ids = list(Organization.objects.values_list("pk", flat=True))
    for organization_id in ids:
        ripple_full_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(
    name="governance.notifications_email",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def notifications_email_task(*, organization_id: int, notification_ids: list[int]) -> int:
    """Send the e-mails of notifications written by a committed transaction; safe twice."""
    from governance.notifications import notifications_email

    return notifications_email(organization_id=organization_id, notification_ids=notification_ids)


@shared_task(
    name="governance.cases_escalate",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def cases_escalate_task(*, organization_id: int) -> int:
    """Move the organization's open cases past their forum's SLA one level up."""
    from governance.ripple.decisions import cases_escalate_overdue

    return cases_escalate_overdue(organization=organization_id)


@shared_task(name="governance.cases_escalate_sweep", acks_late=True, reject_on_worker_lost=True)
def cases_escalate_sweep_task() -> int:
    """Enqueue the escalation of every organization with an open case past its due date."""
    from django.utils import timezone

    from governance.models import CaseState, ExceptionCase

    ids = sorted(
        set(
            ExceptionCase.objects.unscoped()
            .filter(state=CaseState.OPEN, due_at__lt=timezone.now())
            .values_list("organization_id", flat=True)
        )
    )
    for organization_id in ids:
        cases_escalate_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(
    name="governance.webhook_deliver",
    base=TenantTask,
    acks_late=True,
    reject_on_worker_lost=True,
)
def webhook_deliver_task(*, organization_id: int, delivery_id: int) -> str:
    """Send one webhook delivery if it is pending and due; safe to run twice."""
    from governance.webhooks.services import delivery_attempt

    return delivery_attempt(organization_id=organization_id, delivery_id=delivery_id)


@shared_task(name="governance.webhook_sweep", acks_late=True, reject_on_worker_lost=True)
def webhook_sweep_task() -> int:
    """Enqueue every pending webhook delivery that is due (retries, and lost messages)."""
    from governance.webhooks.services import deliveries_requeue

    return deliveries_requeue()
