"""Who may fill a step of an approval request, and segregation of duties.

Nobody approves their own request; the owner of a measure never validates its benefit
(``gate:closed``, ``validation``); one person fills at most one step of a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group

from approvals.models import (
    GATE_PREFIX,
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Approver,
    Decision,
    StepState,
)
from governance.access import can
from governance.errors import AccessDenied
from governance.models import Organization
from governance.services.grants import role_group_name
from measures.models import Measure

# Kinds that validate the realised benefit of a measure: never by its owner.
VALIDATING_KINDS: tuple[str, ...] = (f"{GATE_PREFIX}closed", "validation")


@dataclass(frozen=True)
class _Node:
    """Enough of a hierarchy node to name its role groups without loading it."""

    LEVEL: str
    pk: int
    organization_id: int


def holds_role_above(user: Any, role: str, measure: Measure) -> bool:
    """Whether ``user`` holds ``role`` on the measure, one of its ancestors or the organization
    (one query)."""
    org_id = measure.organization_id
    nodes: list[Any] = [Organization(pk=org_id)]
    nodes += [
        _Node(level, getattr(measure, f"{level}_id"), org_id) for level in measure.ancestor_levels()
    ]
    nodes.append(measure)
    names = [role_group_name(node, role) for node in nodes]
    return Group.objects.filter(name__in=names, user=user).exists()


def may_fill(step: ApprovalStep, measure: Measure, user: Any) -> bool:
    """Whether ``user`` is an approver of ``step`` (segregation of duties aside)."""
    if step.approver == Approver.SPONSOR:
        return measure.sponsor_id == user.pk or can(user, "decide", measure)
    if step.approver == Approver.CONTROLLER:
        return measure.controller_id == user.pk or can(user, "validate", measure)
    if step.approver == Approver.ROLE:
        return bool(step.role) and holds_role_above(user, step.role, measure)
    return False


def _duties(request: ApprovalRequest, measure: Measure, user: Any, filled: set[int]) -> None:
    """Raise ``AccessDenied`` when deciding would break segregation of duties."""
    if request.requested_by_id == user.pk:
        raise AccessDenied("Nobody approves or rejects their own request.")
    if request.kind in VALIDATING_KINDS and measure.owner_id == user.pk:
        raise AccessDenied("The owner of a measure never validates its benefit.")
    if filled:
        raise AccessDenied(
            "You already approved a step of this request: another person fills the next."
        )


def step_to_fill(
    request: ApprovalRequest, steps: list[ApprovalStep], measure: Measure, user: Any
) -> tuple[ApprovalStep, list[ApprovalAction]]:
    """The active step ``user`` fills with a decision, and the approvals it already has."""
    approvals = [
        action
        for action in ApprovalAction.objects.for_org(request.organization_id).filter(
            request_id=request.pk, decision=Decision.APPROVE
        )
    ]
    filled = {action.step_id for action in approvals if action.actor_id == user.pk}
    _duties(request, measure, user, {step_id for step_id in filled if step_id is not None})
    for step in steps:
        if step.state == StepState.ACTIVE and may_fill(step, measure, user):
            return step, [action for action in approvals if action.step_id == step.pk]
    raise AccessDenied("You are not an approver of the step this request awaits.")
