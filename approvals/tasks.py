"""Celery entry points of the approvals app: thin, idempotent, taking ids.

``approvals.sweep`` is what beat runs (see ``schedule_sync``): it finds the organizations with
pending requests and enqueues, for each, the expiry and the reminders, which run in that
organization's tenant scope.
"""

from __future__ import annotations

from celery import shared_task

from approvals.models import ApprovalRequest, RequestState
from approvals.services.reminders import approval_reminders_send
from approvals.services.requests import requests_expire
from governance.tasks import TenantTask


@shared_task(
    name="approvals.requests_expire", base=TenantTask, acks_late=True, reject_on_worker_lost=True
)
def requests_expire_task(*, organization_id: int) -> int:
    """Expire the organization's requests with a step past its SLA; safe to run twice."""
    return requests_expire(organization=organization_id)


@shared_task(
    name="approvals.reminders_send", base=TenantTask, acks_late=True, reject_on_worker_lost=True
)
def reminders_send_task(*, organization_id: int) -> int:
    """Remind the approvers of the organization's steps due soon; each step once."""
    return approval_reminders_send(organization=organization_id)


@shared_task(name="approvals.sweep", acks_late=True, reject_on_worker_lost=True)
def sweep_task() -> list[int]:
    """Fan out: one expiry and one reminder task per organization with pending requests.

    Platform code (no tenant): it reads only which organizations have pending requests.
    """
    organizations = sorted(
        set(
            ApprovalRequest.objects.unscoped()
            .filter(state=RequestState.PENDING)
            .values_list("organization_id", flat=True)
            .distinct()
        )
    )
    for organization_id in organizations:
        requests_expire_task.delay(organization_id=organization_id)
        reminders_send_task.delay(organization_id=organization_id)
    return organizations
