"""Celery entry points of the approvals app: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from approvals.services.requests import requests_expire
from governance.tasks import TenantTask


@shared_task(
    name="approvals.requests_expire", base=TenantTask, acks_late=True, reject_on_worker_lost=True
)
def requests_expire_task(*, organization_id: int) -> int:
    """Expire the organization's requests with a step past its SLA; safe to run twice."""
    return requests_expire(organization=organization_id)
