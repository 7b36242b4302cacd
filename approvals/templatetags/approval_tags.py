"""The approval part of a measure's gate panel: ask for the decision, or see where it stands."""

from __future__ import annotations

from typing import Any

from django import template

from approvals.forms import RequestForm
from approvals.models import ApprovalRequest, RequestState, StepState
from approvals.services.actions import gate_kind
from approvals.services.requests import may_decide
from governance.access import can, levels_reached
from measures.models import DoI

register = template.Library()

BUTTONS = {DoI.DECIDED: "Request the decision", DoI.CLOSED: "Request validation"}


@register.inclusion_tag("approvals/_gate_panel.html", takes_context=True)
def approval_gate_panel(context: template.Context, measure: Any, gate: dict[str, Any]) -> dict:
    user = context["request"].user
    target = gate["next"]
    latest = (
        ApprovalRequest.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk, kind=gate_kind(target))
        .select_related("requested_by", "decided_by")
        .order_by("-id")
        .first()
    )
    pending = latest if latest is not None and latest.state == RequestState.PENDING else None
    awaited = (
        [step for step in pending.steps.all() if step.state == StepState.ACTIVE] if pending else []
    )
    may_request = pending is None and can(user, "change", measure)
    return {
        "current_org": context.get("current_org"),
        "csrf_token": context.get("csrf_token"),
        "node": measure,
        "gate": gate,
        "latest": latest,
        "pending": pending,
        "awaited": awaited,
        "may_request": may_request,
        "may_decide": pending is not None and may_decide(pending, measure, user),
        "checklist_met": all(item.met for item in gate["checklist"]),
        "button": BUTTONS.get(target, "Request the approval"),
        "form": context.get("approval_form")
        or RequestForm(initial={"evidence": latest.evidence if latest else ""}),
    }


@register.simple_tag(takes_context=True)
def may_validate(context: template.Context) -> bool:
    """Whether the user validates benefits anywhere in the current organization (the
    navigation shows the validation queue then), from the grants already read."""
    organization = context.get("current_org")
    request = context.get("request")
    if organization is None or request is None:
        return False
    return bool(levels_reached(request.user, "validate", organization))
