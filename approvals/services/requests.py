"""Approval requests: submit, approve, reject, withdraw, expire.

A request copies the steps of its policy that apply to it (by amount) at submission. Steps of
the lowest order are active at once (in parallel); the next order becomes active when each step
of the current one has its approvals. When the last step approves, the action itself is carried
out **in the same transaction** (a gate request moves the measure through
``measures.services.stages.advance_by_approval``); if it can no longer be carried out, nothing
is written and the approver is told why.

Segregation of duties, checked on every decision: nobody approves their own request; the owner
of a measure never validates its benefit (``gate:closed``, ``validation``); one person fills at
most one step of a request. Every decision locks the request row first, so of two approvers
acting on the last step at the same moment exactly one carries the action out.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals.models import (
    ApprovalAction,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    RequestState,
    StepState,
    kind_label,
)
from approvals.services.actions import executor_for, gate_target
from approvals.services.approvers import step_to_fill
from approvals.services.notices import notify_requester, notify_steps_active
from approvals.services.policies import known_kind, policy_for
from governance.access import can, require
from governance.audit import audit_record
from governance.decisions import Decided, decision_record
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import DecisionKind, Organization, Venue
from governance.ripple.outbox import ripple_mark
from measures import gates
from measures.models import Measure
from measures.services.financials import parse_amount
from measures.services.stages import (
    APPROVAL_TARGETS,
    label,
    next_stage,
)

MAX_TEXT = 5000
MAX_CHANGE_KEYS = 50


# --- input --------------------------------------------------------------------------------------


def _text(value: Any, name: str, errors: dict[str, list[str]], required: str = "") -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        errors[name] = ["The text contains a character that is not text."]
    elif len(text) > MAX_TEXT:
        errors[name] = [f"Keep it to {MAX_TEXT:,} characters."]
    elif required and not text.strip():
        errors[name] = [required]
    return text.strip()


def _amount(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = parse_amount(value)
    except ValueError as exc:
        errors["amount"] = [str(exc)]
        return None
    if amount < 0:
        errors["amount"] = ["The amount of a request is not negative."]
        return None
    return amount


# --- submit -------------------------------------------------------------------------------------


def _due_dates(orders: list[int], sla_of: dict[int, int], start: dt.datetime) -> dict[int, Any]:
    """Each order's due date: sequential steps add up, parallel ones share the longest SLA."""
    due: dict[int, dt.datetime] = {}
    moment = start
    for order in orders:
        moment = moment + dt.timedelta(days=sla_of[order])
        due[order] = moment
    return due


def _locked_measure(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).select_for_update().get(pk=measure.pk)


def request_submit(
    *,
    measure: Measure,
    kind: str,
    by: Any,
    evidence: str = "",
    amount: Any = None,
    proposed_change: Any = None,
    previous: ApprovalRequest | None = None,
    now: dt.datetime | None = None,
) -> ApprovalRequest:
    """Ask for the approval of ``kind`` on ``measure``; the steps come from the policy.
    ``now``: when it was asked (a submission recorded after the fact): the request, its first
    action and its steps' due dates all date from it."""
    dated = now is not None
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    kind = "" if kind is None else str(kind)
    if not known_kind(kind):
        errors["kind"] = ["Choose a kind of approval your organization has."]
    evidence = _text(evidence, "evidence", errors)
    value = _amount(amount, errors)
    target = gate_target(kind)
    if target is not None and known_kind(kind) and target not in APPROVAL_TARGETS:
        errors["kind"] = [f"Moving to {label(target)} needs no approval: advance the measure."]
    if proposed_change is None:
        proposed_change = {}
    if not isinstance(proposed_change, dict) or len(proposed_change) > MAX_CHANGE_KEYS:
        errors["proposed_change"] = ["Give the proposed change as an object of fields."]
    with transaction.atomic():
        measure = _locked_measure(measure)
        require(by, "change", measure)
        if previous is not None and (
            previous.organization_id != measure.organization_id
            or previous.measure_id != measure.pk
            or previous.kind != kind
        ):
            errors["previous"] = ["Resubmit a request of the same measure and kind."]
        if errors:
            raise ValidationError(errors)
        if previous is not None and previous.state == RequestState.PENDING:
            raise Conflict("The earlier request is still pending: it cannot be resubmitted yet.")
        if target is not None:
            proposed_change = {"doi": [measure.doi, target]}
            if measure.is_archived:
                raise Conflict("The measure is archived: restore it first.")
            if next_stage(measure) != target:
                raise Conflict(
                    f"A {label(measure.doi)} measure does not move to {label(target)} next."
                )
            problems = gates.unmet(measure, target)
            if problems:
                raise Conflict(
                    f"Meet every criterion of {label(target)} before asking for the approval.",
                    problems,
                    key="criteria",
                )
        policy = policy_for(measure.organization_id, kind)
        if policy is None:
            raise Conflict(f"Your organization has no approval policy for {kind_label(kind)}.")
        applicable = [
            step
            for step in policy.steps.all()
            if step.amount_above is None or (value is not None and value > step.amount_above)
        ]
        if not applicable:
            raise Conflict(
                f"The policy for {kind_label(kind)} has no step for this amount: ask an admin."
            )
        orders = sorted({step.order for step in applicable})
        sla_of = {
            order: max(step.sla_days for step in applicable if step.order == order)
            for order in orders
        }
        due = _due_dates(orders, sla_of, now)
        try:
            with transaction.atomic():
                request = ApprovalRequest.objects.create(
                    organization_id=measure.organization_id,
                    kind=kind,
                    measure=measure,
                    requested_by=by,
                    proposed_change=proposed_change,
                    evidence=evidence,
                    amount=value,
                    previous=previous,
                )
        except IntegrityError:
            raise Conflict(
                f"A request for {kind_label(kind)} on this measure is pending already."
            ) from None
        created = ApprovalStep.objects.bulk_create(
            ApprovalStep(
                organization_id=measure.organization_id,
                request=request,
                order=step.order,
                approver=step.approver,
                role=step.role,
                approvals_required=max(step.approvals_required, 1),
                sla_days=step.sla_days,
                due_at=due[step.order],
                state=StepState.ACTIVE if step.order == orders[0] else StepState.WAITING,
            )
            for step in applicable
        )
        submitted = ApprovalAction.objects.create(
            organization_id=measure.organization_id,
            request=request,
            actor=by,
            decision=Decision.SUBMIT,
            comment=evidence,
        )
        if dated:
            # ``created_at`` is set on insert; a dated submission carries its own moment.
            for model, row in ((ApprovalRequest, request), (ApprovalAction, submitted)):
                model.objects.for_org(measure.organization_id).filter(pk=row.pk).update(
                    created_at=now
                )
                row.created_at = now
        audit_record(
            actor=by,
            action="approval.submitted",
            obj=request,
            changes={
                "kind": kind,
                "measure": measure.pk,
                "steps": len(applicable),
                "previous": previous.pk if previous else None,
            },
        )
        notify_steps_active(
            request, measure, [s for s in created if s.state == StepState.ACTIVE], by=by
        )
    return request


# --- decide -------------------------------------------------------------------------------------


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    return (
        ApprovalRequest.objects.for_org(request.organization_id)
        .select_for_update()
        .get(pk=request.pk)
    )


def _steps(request: ApprovalRequest) -> list[ApprovalStep]:
    return list(ApprovalStep.objects.for_org(request.organization_id).filter(request_id=request.pk))


def _pending(request: ApprovalRequest) -> None:
    if request.state != RequestState.PENDING:
        raise Conflict(f"This request is {request.get_state_display().lower()} already.")


def _measure_of(request: ApprovalRequest, by: Any) -> Measure:
    measure = Measure.objects.for_org(request.organization_id).get(pk=request.measure_id)
    require(by, "view", measure)
    return measure


def request_approve(*, request: ApprovalRequest, by: Any, comment: str = "") -> ApprovalRequest:
    """``by`` approves the step of ``request`` they may fill; the last approval carries the
    action out, or raises ``Conflict`` saying why it cannot be (nothing is then written)."""
    errors: dict[str, list[str]] = {}
    comment = _text(comment, "comment", errors)
    with transaction.atomic():
        request = _locked(request)
        measure = _measure_of(request, by)
        _pending(request)
        steps = _steps(request)
        step, approvals = step_to_fill(request, steps, measure, by)
        if errors:
            raise ValidationError(errors)
        executor = executor_for(request.kind)
        executor.check(request, measure)
        now = timezone.now()
        ApprovalAction.objects.create(
            organization_id=request.organization_id,
            request=request,
            step=step,
            actor=by,
            decision=Decision.APPROVE,
            comment=comment,
        )
        audit_record(
            actor=by,
            action="approval.step_approved",
            obj=request,
            changes={"step": step.pk, "order": step.order, "comment": comment},
        )
        if len(approvals) + 1 >= step.approvals_required:
            step.state, step.decided_at = StepState.APPROVED, now
            step.save(update_fields=["state", "decided_at"])
        if any(s.state == StepState.ACTIVE for s in steps if s.order == step.order):
            return request
        waiting = sorted({s.order for s in steps if s.state == StepState.WAITING})
        if waiting:
            ApprovalStep.objects.for_org(request.organization_id).filter(
                request_id=request.pk, order=waiting[0]
            ).update(state=StepState.ACTIVE)
            notify_steps_active(
                request, measure, [s for s in steps if s.order == waiting[0]], by=by
            )
            return request
        # Every step approved: carry the action out, here, or fail as a whole.
        approvers = [by, *(a.actor for a in _approvals_of(request) if a.actor_id != by.pk)]
        try:
            with transaction.atomic():
                executor.execute(request, measure, approvers)
        except (Conflict, AccessDenied, ValidationError) as refused:
            reason = getattr(refused, "message", None) or " ".join(refused.messages)  # type: ignore[union-attr]
            raise Conflict(
                f"The approval cannot be carried out: {reason} Nothing was changed.",
                getattr(refused, "problems", None),
                key="criteria",
            ) from None
        request.approve()
        request.decided_by, request.decided_at, request.decision_comment = by, now, comment
        request.save()
        _log_decision(request, measure, Decision.APPROVE, by=by, comment=comment, now=now)
        ripple_mark(organization=request.organization_id, measure_ids=[request.measure_id])
        audit_record(
            actor=by,
            action="approval.approved",
            obj=request,
            changes={"state": [RequestState.PENDING, RequestState.APPROVED]},
        )
        notify_requester(request, Decision.APPROVE, by=by)
    return request


def _approvals_of(request: ApprovalRequest) -> list[ApprovalAction]:
    return list(
        ApprovalAction.objects.for_org(request.organization_id)
        .filter(request_id=request.pk, decision=Decision.APPROVE)
        .select_related("actor")
        .order_by("-id")
    )


def _close_open_steps(request: ApprovalRequest, now: dt.datetime, state: str = "") -> None:
    ApprovalStep.objects.for_org(request.organization_id).filter(
        request_id=request.pk, state__in=[StepState.ACTIVE, StepState.WAITING]
    ).update(state=state or StepState.CLOSED, decided_at=now)


def request_reject(*, request: ApprovalRequest, by: Any, comment: str) -> ApprovalRequest:
    """``by`` (an approver of the awaited step) rejects ``request``, saying why: it goes back to
    the requester, who may revise and resubmit."""
    errors: dict[str, list[str]] = {}
    comment = _text(comment, "comment", errors, required="Say why you reject the request.")
    with transaction.atomic():
        request = _locked(request)
        measure = _measure_of(request, by)
        _pending(request)
        step, _ = step_to_fill(request, _steps(request), measure, by)
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        step.state, step.decided_at = StepState.REJECTED, now
        step.save(update_fields=["state", "decided_at"])
        _conclude(request, Decision.REJECT, by=by, now=now, comment=comment, step=step)
    return request


# How a pending request ends without being carried out: its transition and audit action.
ENDINGS: dict[str, tuple[str, str, str]] = {
    Decision.REJECT: ("reject", RequestState.REJECTED, "approval.rejected"),
    Decision.WITHDRAW: ("withdraw", RequestState.WITHDRAWN, "approval.withdrawn"),
    Decision.EXPIRE: ("expire", RequestState.EXPIRED, "approval.expired"),
}


def _conclude(
    request: ApprovalRequest,
    decision: str,
    *,
    by: Any,
    now: dt.datetime,
    comment: str = "",
    note: str = "",
    step: ApprovalStep | None = None,
) -> None:
    """End a pending request (row locked) by rejection, withdrawal or expiry: close its open
    steps, record the action, move the state, audit. ``note`` is the action's comment when
    nobody wrote one (expiry)."""
    method, state, action = ENDINGS[decision]
    _close_open_steps(request, now)
    ApprovalAction.objects.create(
        organization_id=request.organization_id,
        request=request,
        step=step,
        actor=by,
        decision=decision,
        comment=comment or note,
    )
    getattr(request, method)()
    request.decided_by, request.decided_at, request.decision_comment = by, now, comment
    request.save()
    if decision != Decision.WITHDRAW:
        _log_decision(request, None, decision, by=by, comment=comment or note, now=now)
    # An ended request is no longer overdue: its exception case may clear.
    ripple_mark(organization=request.organization_id, measure_ids=[request.measure_id])
    changes: dict[str, Any] = {"state": [RequestState.PENDING, state]}
    if by is not None:
        changes["comment"] = comment
    audit_record(actor=by, action=action, obj=request, changes=changes)
    notify_requester(request, decision, by=by, comment=comment)


# What each ending of a request is in the decision log; a withdrawal decides nothing.
LOGGED: dict[str, str] = {
    Decision.APPROVE: DecisionKind.APPROVED,
    Decision.REJECT: DecisionKind.REJECTED,
    Decision.EXPIRE: DecisionKind.EXPIRED,
}
CHANGE_LOGGED: dict[str, str] = {
    Decision.APPROVE: DecisionKind.CHANGE_APPROVED,
    Decision.REJECT: DecisionKind.CHANGE_REJECTED,
}


def _log_decision(
    request: ApprovalRequest,
    measure: Measure | None,
    decision: str,
    *,
    by: Any,
    comment: str,
    now: dt.datetime,
) -> None:
    """Record the request's outcome in the decision log (same transaction)."""
    change = request.kind == "baseline_change"
    kind = (CHANGE_LOGGED if change else LOGGED).get(decision, LOGGED[decision])
    code = measure.code if measure is not None else f"measure #{request.measure_id}"
    decision_record(
        Decided(
            kind=kind,
            venue=Venue.CHANGE_CONTROL if change else Venue.APPROVAL,
            subject=request,
            summary=f"{kind_label(request.kind)} for {code}: {DecisionKind(kind).label.lower()}.",
            by=by,
            rationale=comment,
            measure_id=request.measure_id,
            details={"request": request.pk, "kind": request.kind, **request.proposed_change},
        ),
        at=now,
    )


def may_withdraw(request: ApprovalRequest, measure: Measure, user: Any) -> bool:
    return request.requested_by_id == user.pk or can(user, "change", measure)


def request_withdraw(*, request: ApprovalRequest, by: Any, comment: str = "") -> ApprovalRequest:
    """The requester (or who may change the measure) takes a pending request back."""
    errors: dict[str, list[str]] = {}
    comment = _text(comment, "comment", errors)
    with transaction.atomic():
        request = _locked(request)
        measure = _measure_of(request, by)
        if not may_withdraw(request, measure, by):
            raise AccessDenied("Only the requester or who may change the measure withdraws.")
        if errors:
            raise ValidationError(errors)
        _pending(request)
        _conclude(request, Decision.WITHDRAW, by=by, now=timezone.now(), comment=comment)
    return request


def requests_expire(
    *, now: dt.datetime | None = None, organization: Organization | int | None = None
) -> int:
    """Expire every pending request with an active step past its due date; returns how many.
    Without ``organization``, across all tenants (the periodic job)."""
    now = now or timezone.now()
    steps = ApprovalStep.objects.all()
    steps = steps.for_org(organization) if organization is not None else steps.unscoped()
    overdue = list(
        steps.filter(
            state=StepState.ACTIVE, due_at__lt=now, request__state=RequestState.PENDING
        ).values_list("organization_id", "request_id")
    )
    expired = 0
    for org_id, request_id in sorted(set(overdue)):
        with transaction.atomic():
            request = ApprovalRequest.objects.for_org(org_id).select_for_update().get(pk=request_id)
            if request.state != RequestState.PENDING:
                continue  # decided meanwhile
            _conclude(request, Decision.EXPIRE, by=None, now=now, note="A step ran past its SLA.")
            expired += 1
    return expired


def may_decide(request: ApprovalRequest, measure: Measure, user: Any) -> bool:
    """Whether ``user`` may approve or reject ``request`` now (duties included)."""
    if request.state != RequestState.PENDING:
        return False
    try:
        step_to_fill(request, _steps(request), measure, user)
    except AccessDenied:
        return False
    return True
