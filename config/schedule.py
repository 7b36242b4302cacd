"""What Celery beat runs, and how often. ``manage.py schedule_sync`` writes it to the database
scheduler (django-celery-beat), idempotently; beat then reads it from there."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Periodic:
    name: str  # the PeriodicTask's unique name
    task: str  # the registered Celery task
    every_minutes: int  # 0 when ``crontab`` says when instead
    description: str
    # At set times instead of every so often: "minute hour day-of-month month day-of-week",
    # in UTC (e.g. "0 5 * * 1": Mondays at 05:00).
    crontab: str = ""


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
            name="exceptions: sweep the ripple outbox",
            task="governance.ripple_sweep",
            every_minutes=settings.RIPPLE_SWEEP_MINUTES,
            description=(
                "Recompute the exception cases of measures marked dirty whose message was lost "
                "(a broker restart, a killed worker)."
            ),
        ),
        Periodic(
            name="exceptions: escalate cases past their SLA",
            task="governance.cases_escalate_sweep",
            every_minutes=settings.RIPPLE_SWEEP_MINUTES,
            description="Move open cases past their forum's SLA one forum up, and tell them.",
        ),
        Periodic(
            name="exceptions: nightly full recompute",
            task="governance.ripple_nightly",
            every_minutes=24 * 60,
            description=(
                "Recompute every organization's exception cases from scratch: time-based causes "
                "(a due date passing) appear here."
            ),
        ),
        Periodic(
            name="webhooks: send due deliveries",
            task="governance.webhook_sweep",
            every_minutes=1,
            description="Retries of failed webhook deliveries, and any whose message was lost.",
        ),
        Periodic(
            name="snapshots: weekly",
            task="reporting.snapshots_weekly",
            every_minutes=0,
            crontab="0 5 * * 1",
            description="Every organization's weekly snapshot of its measures (Mondays 05:00 UTC).",
        ),
        Periodic(
            name="snapshots: period close",
            task="reporting.snapshots_period_close",
            every_minutes=0,
            crontab="0 4 1 * *",
            description=(
                "Every organization's snapshot of the month just ended (the 1st, 04:00 UTC)."
            ),
        ),
    ]
