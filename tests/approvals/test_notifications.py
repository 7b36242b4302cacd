"""Notifications of approvals: who hears that a request awaits them, who hears its outcome,
reminders before the SLA runs out, and e-mail only once the decision commits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from approvals.models import ApprovalRequest, ApprovalStep, Approver, StepState
from approvals.selectors import approvers_of_step
from approvals.services.approvers import may_fill
from approvals.services.reminders import approval_reminders_send
from approvals.services.requests import (
    request_approve,
    request_reject,
    request_submit,
    requests_expire,
)
from governance.models import Notification, Role
from governance.services.grants import assign_role
from tests.approvals.helpers import at_detailed
from tests.approvals.test_requests import DECIDED, policy

pytestmark = pytest.mark.django_db


def told(org, kind):
    """Usernames told ``kind`` in ``org``."""
    return set(
        Notification.objects.for_org(org)
        .filter(kind=kind)
        .values_list("recipient__username", flat=True)
    )


def test_submission_tells_the_approvers_of_the_active_step_not_the_requester(personas):
    measure = at_detailed(personas)
    request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    # The sponsor step: the named sponsor (executive) and whoever holds ``decide`` above.
    assert told(personas.org, "approval.awaiting") == {"acme-executive", "acme-lead", "acme-admin"}


def test_approvers_selector_matches_may_fill_for_everyone(personas):
    policy(
        personas.org,
        "spend",
        (1, Approver.CONTROLLER, "", None, 3, 1),
        (1, Approver.ROLE, Role.LEAD, None, 3, 1),
        (1, Approver.SPONSOR, "", None, 3, 1),
    )
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind="spend", by=personas.lead, amount="5")
    people = [
        personas.admin,
        personas.executive,
        personas.lead,
        personas.owner,
        personas.controller,
        personas.contributor,
        personas.viewer,
        personas.outsider,
    ]
    for step in ApprovalStep.objects.for_org(personas.org).filter(request=request):
        found = set(approvers_of_step(step, request, measure))
        expected = {
            person
            for person in people
            if may_fill(step, measure, person) and person.pk != request.requested_by_id
        }
        assert found == expected, step.approver


def test_selector_takes_one_query_per_step(personas, django_assert_num_queries):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    step = ApprovalStep.objects.for_org(personas.org).get(request=request)
    with django_assert_num_queries(1):
        list(approvers_of_step(step, request, measure))


def test_the_owner_is_never_told_to_validate_their_own_benefit(personas):
    assign_role(personas.owner, Role.CONTROLLER, personas.org)
    policy(personas.org, "validation", (1, Approver.CONTROLLER, "", None, 3, 1))
    measure = at_detailed(personas)
    request_submit(measure=measure, kind="validation", by=personas.lead)
    recipients = told(personas.org, "approval.awaiting")
    assert "acme-owner" not in recipients and "acme-controller" in recipients


def test_a_sequential_step_tells_its_approvers_when_it_becomes_active(personas):
    policy(
        personas.org,
        DECIDED,
        (1, Approver.ROLE, Role.LEAD, None, 3, 1),
        (2, Approver.ROLE, Role.EXECUTIVE, None, 5, 1),
    )
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    assert told(personas.org, "approval.awaiting") == {"acme-lead"}
    request_approve(request=request, by=personas.lead)
    awaiting = Notification.objects.for_org(personas.org).filter(kind="approval.awaiting")
    assert [n.recipient.username for n in awaiting.order_by("id")] == [
        "acme-lead",
        "acme-executive",
    ]


@pytest.mark.parametrize("outcome", ["approved", "rejected", "expired"])
def test_the_requester_hears_the_outcome(personas, outcome):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    if outcome == "approved":
        request_approve(request=request, by=personas.executive)
    elif outcome == "rejected":
        request_reject(request=request, by=personas.executive, comment="Numbers missing.")
    else:
        requests_expire(now=timezone.now() + dt.timedelta(days=11))
    note = Notification.objects.for_org(personas.org).get(kind=f"approval.{outcome}")
    assert note.recipient == personas.owner
    assert note.link == f"/o/acme/approvals/{request.pk}/"
    if outcome == "rejected":
        assert "Numbers missing." in note.body


def test_the_actor_is_never_told_of_their_own_action(personas):
    # The lead holds ``decide`` and requests: never told their own request awaits them.
    measure = at_detailed(personas)
    request_submit(measure=measure, kind=DECIDED, by=personas.lead)
    assert told(personas.org, "approval.awaiting") == {"acme-executive", "acme-admin"}


def test_mail_leaves_only_after_commit(personas, mailoutbox, django_capture_on_commit_callbacks):
    measure = at_detailed(personas)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request_submit(measure=measure, kind=DECIDED, by=personas.owner)
        assert mailoutbox == []
    assert len(callbacks) == 1
    assert sorted(mail.to[0] for mail in mailoutbox) == [
        "acme-admin@example.com",
        "acme-executive@example.com",
        "acme-lead@example.com",
    ]
    assert "awaits your approval" in mailoutbox[0].subject
    assert "http://127.0.0.1:8000/o/acme/approvals/" in mailoutbox[0].body


def test_a_rolled_back_decision_sends_nothing(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    measure = at_detailed(personas)
    with django_capture_on_commit_callbacks(execute=True):
        request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    mailoutbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        request_reject(request=request, by=personas.executive, comment="No.")
        raise RuntimeError("the view failed after the service")
    assert callbacks == [] and mailoutbox == []
    assert not Notification.objects.for_org(personas.org).filter(kind="approval.rejected").exists()


def test_no_address_no_mail_but_the_inbox_row(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    type(personas.lead).objects.filter(pk=personas.lead.pk).update(email="")
    measure = at_detailed(personas)
    with django_capture_on_commit_callbacks(execute=True):
        request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    assert "acme-lead" in told(personas.org, "approval.awaiting")
    assert "acme-lead@example.com" not in [mail.to[0] for mail in mailoutbox]
    assert len(mailoutbox) == 2


def test_the_email_task_sends_once(personas, mailoutbox):
    from governance.tasks import notifications_email_task

    measure = at_detailed(personas)
    request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    ids = list(Notification.objects.for_org(personas.org).values_list("pk", flat=True))
    kwargs = {"organization_id": personas.org.pk, "notification_ids": ids}
    assert notifications_email_task.apply(kwargs=kwargs).get() == 3
    assert notifications_email_task.apply(kwargs=kwargs).get() == 0
    assert len(mailoutbox) == 3


# --- reminders ---


def test_reminders_go_once_to_the_approvers_of_steps_due_soon(personas, settings):
    settings.APPROVAL_REMINDER_HOURS = 24
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    now = timezone.now()
    assert approval_reminders_send(now=now) == 0  # due in 10 days
    soon = now + dt.timedelta(days=9, hours=12)
    assert approval_reminders_send(now=soon) == 1
    assert approval_reminders_send(now=soon) == 0
    assert approval_reminders_send(now=soon + dt.timedelta(hours=1)) == 0
    assert told(personas.org, "approval.reminder") == {"acme-executive", "acme-lead", "acme-admin"}
    step = ApprovalStep.objects.for_org(personas.org).get(request=request)
    assert step.reminded_at == soon


def test_no_reminder_for_overdue_or_decided_steps(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    assert approval_reminders_send(now=timezone.now() + dt.timedelta(days=11)) == 0
    request_reject(request=request, by=personas.executive, comment="No.")
    assert approval_reminders_send(now=timezone.now() + dt.timedelta(days=9, hours=12)) == 0


def test_the_reminder_task_is_scoped_to_its_organization(personas):
    from approvals.tasks import reminders_send_task

    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    ApprovalStep.objects.for_org(personas.org).filter(request=request).update(
        due_at=timezone.now() + dt.timedelta(hours=2)
    )
    other = {"organization_id": personas.other_org.pk}
    assert reminders_send_task.apply(kwargs=other).get() == 0
    mine = {"organization_id": personas.org.pk}
    assert reminders_send_task.apply(kwargs=mine).get() == 1
    assert reminders_send_task.apply(kwargs=mine).get() == 0


def test_editing_the_policy_never_changes_a_request_under_way(personas):
    from approvals.services.policies import policy_for, policy_update

    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    current = policy_for(personas.org, DECIDED)
    assert current is not None
    policy_update(
        policy=current,
        by=personas.admin,
        steps=[{"order": 1, "approver": "role", "role": "lead", "sla_days": 1}],
    )
    step = ApprovalStep.objects.for_org(personas.org).get(request=request)
    assert (step.approver, step.sla_days, step.state) == (Approver.SPONSOR, 10, StepState.ACTIVE)
    request_approve(request=request, by=personas.executive)
    assert ApprovalRequest.objects.for_org(personas.org).get(pk=request.pk).state == "approved"
