"""What Celery beat runs, and how often. ``manage.py schedule_sync`` writes it to the database
scheduler (django-celery-beat), idempotently; beat then reads it from there."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Periodic:
    name: str  # the PeriodicTask's unique name
    task: str  # the registered Celery task
    every_minutes: int
    description: str


def periodic_tasks() -> list[Periodic]:
    return [
        Periodic(
            name="approvals: expiry and reminders",
            task="approvals.sweep",
            every_minutes=settings.APPROVAL_SWEEP_MINUTES,
            description=(
                "For each organization with pending approval requests: expire the requests past "
                "a step's SLA and remind the approvers of steps due soon."
            ),
        ),
        Periodic(
            name="webhooks: send due deliveries",
            task="governance.webhook_sweep",
            every_minutes=1,
            description="Retries of failed webhook deliveries, and any whose message was lost.",
        ),
    ]
