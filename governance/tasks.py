"""Celery entry points of the governance app: thin, idempotent, taking ids."""

from __future__ import annotations

import inspect
from typing import Any

from celery import Task, shared_task
from django.apps import apps

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
