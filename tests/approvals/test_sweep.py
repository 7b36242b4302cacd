"""Beat's approvals sweep: registered idempotently, and through a live worker it expires an
overdue request and reminds the approvers of a step due soon."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from approvals.models import ApprovalRequest, ApprovalStep, RequestState
from approvals.services.requests import request_submit
from approvals.tasks import sweep_task
from governance.models import Notification
from tests.approvals.helpers import at_detailed
from tests.personas import make_personas


@pytest.mark.django_db
def test_schedule_sync_registers_the_sweep_once(settings):
    settings.APPROVAL_SWEEP_MINUTES = 15
    call_command("schedule_sync")
    call_command("schedule_sync")
    task = PeriodicTask.objects.get(task="approvals.sweep")
    assert PeriodicTask.objects.filter(task="approvals.sweep").count() == 1
    assert (task.interval.every, task.interval.period, task.enabled) == (15, "minutes", True)
    settings.APPROVAL_SWEEP_MINUTES = 5
    call_command("schedule_sync")
    assert PeriodicTask.objects.get(task="approvals.sweep").interval.every == 5


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_expires_and_reminds_through_a_live_worker(celery_worker):
    personas = make_personas()
    overdue = request_submit(measure=at_detailed(personas), kind="gate:decided", by=personas.owner)
    due_soon = request_submit(measure=at_detailed(personas), kind="gate:decided", by=personas.owner)
    steps = ApprovalStep.objects.for_org(personas.org)
    steps.filter(request=overdue).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    steps.filter(request=due_soon).update(due_at=timezone.now() + dt.timedelta(hours=2))

    assert sweep_task.apply_async().get(timeout=30) == [personas.org.pk]

    requests = ApprovalRequest.objects.for_org(personas.org)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        expired = requests.get(pk=overdue.pk).state == RequestState.EXPIRED
        reminded = steps.get(request=due_soon).reminded_at is not None
        if expired and reminded:
            break
        time.sleep(0.2)
    assert requests.get(pk=overdue.pk).state == RequestState.EXPIRED
    assert requests.get(pk=due_soon.pk).state == RequestState.PENDING
    assert steps.get(request=due_soon).reminded_at is not None
    notes = Notification.objects.for_org(personas.org)
    assert notes.filter(kind="approval.expired", recipient=personas.owner).count() == 1
    assert set(
        notes.filter(kind="approval.reminder").values_list("recipient__username", flat=True)
    ) == {"acme-admin", "acme-executive", "acme-lead"}
