"""What the approvals tell people, through ``governance.notifications.notify``.

Called by the request services inside their transactions at the moments that matter: a step
becomes active (its approvers are told it awaits them), a request is approved, rejected or
expired (its requester is told). The messages leave only when the decision commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse

from approvals.models import ApprovalRequest, ApprovalStep, Decision
from approvals.selectors import approvers_of_step
from governance.models import Organization
from governance.notifications import notify
from measures.models import Measure

AWAITING = "approval.awaiting"
REMINDER = "approval.reminder"
OUTCOMES: dict[str, tuple[str, str]] = {
    Decision.APPROVE: ("approval.approved", "approved"),
    Decision.REJECT: ("approval.rejected", "rejected"),
    Decision.EXPIRE: ("approval.expired", "expired"),
}


def request_link(request: ApprovalRequest) -> str:
    slug = Organization.objects.only("slug").get(pk=request.organization_id).slug
    return reverse("approval-detail", kwargs={"org_slug": slug, "pk": request.pk})


def step_approvers(
    request: ApprovalRequest, measure: Measure, steps: Iterable[ApprovalStep]
) -> list[Any]:
    """Everyone who may fill one of ``steps`` now (one query per step)."""
    people: dict[int, Any] = {}
    for step in steps:
        for person in approvers_of_step(step, request, measure):
            people.setdefault(person.pk, person)
    return list(people.values())


def notify_steps_active(
    request: ApprovalRequest, measure: Measure, steps: Iterable[ApprovalStep], *, by: Any
) -> None:
    """Tell the approvers of steps that just became active that the request awaits them."""
    steps = list(steps)
    if not steps:
        return
    due = min(step.due_at for step in steps)
    notify(
        recipients=step_approvers(request, measure, steps),
        kind=AWAITING,
        subject=f"{request.kind_label} of {measure.code} awaits your approval",
        body=(
            f"{request.kind_label} of {measure.code} {measure.title} awaits your approval, "
            f"due by {due:%Y-%m-%d %H:%M} UTC."
        ),
        link=request_link(request),
        obj=request,
        actor=by,
    )


def notify_reminder(request: ApprovalRequest, measure: Measure, step: ApprovalStep) -> int:
    """Remind the approvers of ``step`` that it is due soon; returns how many were told."""
    rows = notify(
        recipients=approvers_of_step(step, request, measure),
        kind=REMINDER,
        subject=f"Reminder: {request.kind_label} of {measure.code} is due soon",
        body=(
            f"{request.kind_label} of {measure.code} {measure.title} still awaits your approval "
            f"and is due by {step.due_at:%Y-%m-%d %H:%M} UTC; past it, the request expires."
        ),
        link=request_link(request),
        obj=request,
    )
    return len(rows)


def notify_requester(
    request: ApprovalRequest, decision: str, *, by: Any, comment: str = ""
) -> None:
    """Tell the requester their request was approved, rejected (with the reason) or expired."""
    if decision not in OUTCOMES:
        return
    kind, verb = OUTCOMES[decision]
    measure = (
        Measure.objects.for_org(request.organization_id)
        .only("code", "title")
        .get(pk=request.measure_id)
    )
    body = f"Your request for {request.kind_label} of {measure.code} {measure.title} was {verb}."
    if decision == Decision.REJECT and comment:
        body += f"\n\nThe reason: {comment}"
    if decision == Decision.EXPIRE:
        body += " A step ran past its SLA: revise it and submit it again if it still stands."
    notify(
        recipients=[request.requested_by],
        kind=kind,
        subject=f"Your request for {request.kind_label} of {measure.code} was {verb}",
        body=body,
        link=request_link(request),
        obj=request,
        actor=by,
    )
