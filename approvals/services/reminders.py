"""Reminders before a step's SLA runs out.

An active step due within ``APPROVAL_REMINDER_HOURS`` (and not overdue: that one expires) has
its approvers reminded once: the step records ``reminded_at`` in the same transaction as the
notifications, so running the job twice, or two workers at once, reminds once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals.models import ApprovalRequest, ApprovalStep, RequestState, StepState
from approvals.services.notices import notify_reminder
from governance.models import Organization
from measures.models import Measure


def approval_reminders_send(
    *,
    now: dt.datetime | None = None,
    organization: Organization | int | None = None,
    hours: int | None = None,
) -> int:
    """Remind the approvers of every active step due within ``hours`` (default: the
    ``APPROVAL_REMINDER_HOURS`` setting) that was not reminded yet; returns how many steps.
    Without ``organization``, across all tenants (platform code)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(hours=hours or settings.APPROVAL_REMINDER_HOURS)
    steps = ApprovalStep.objects.all()
    steps = steps.for_org(organization) if organization is not None else steps.unscoped()
    due = list(
        steps.filter(
            state=StepState.ACTIVE,
            reminded_at__isnull=True,
            due_at__gte=now,
            due_at__lte=horizon,
            request__state=RequestState.PENDING,
        )
        .order_by("organization_id", "due_at", "id")
        .values_list("organization_id", "pk")
    )
    reminded = 0
    for org_id, step_id in due:
        with transaction.atomic():
            step = (
                ApprovalStep.objects.for_org(org_id)
                .select_for_update(skip_locked=True)
                .filter(pk=step_id, state=StepState.ACTIVE, reminded_at__isnull=True)
                .first()
            )
            if step is None:
                continue  # decided, or reminded by another run meanwhile
            request = ApprovalRequest.objects.for_org(org_id).get(pk=step.request_id)
            if request.state != RequestState.PENDING:
                continue
            measure = Measure.objects.for_org(org_id).get(pk=request.measure_id)
            step.reminded_at = now
            step.save(update_fields=["reminded_at"])
            notify_reminder(request, measure, step)
            reminded += 1
    return reminded
