"""Moving a measure through its Degree of Implementation.

Who may do what (the action is checked on the measure with ``governance.access``):

- forward to Identified, Detailed, Implemented; On hold; Resume: ``change`` (the owner, or a
  lead or admin above the measure);
- Cancel: ``archive`` (a lead or admin; an owner alone cannot stop a measure for good);
- forward to Decided: only ``advance_by_approval``, by the sponsor of the measure or a holder of
  ``decide`` (the sponsor's go decision);
- forward to Closed: only ``advance_by_approval``, by the measure's controller or a holder of
  ``validate``, never the owner (a controller's validation of the realised benefit).

Every transition locks the measure row, checks the gate criteria (``measures.gates``), moves the
protected ``doi`` field through the model's transition method, bumps the version, writes one audit
event and runs the entry hooks of the new stage, all in one transaction: of two concurrent
requests exactly one wins, the other gets a ``Conflict``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.access import can, require
from governance.audit import audit_record
from governance.errors import AccessDenied, Conflict, StaleVersion, ValidationError
from governance.models import HierarchyNode
from governance.ripple.outbox import ripple_mark
from governance.services.hierarchy import on_node_change
from governance.webhooks import webhook_emit
from measures import gates
from measures.models import DOI_ORDER, DoI, Measure, measures_below
from measures.services import gate_fields  # noqa: F401  (registers the field criteria)
from measures.services.figures import measure_months_stage

# Forward targets no one reaches by asking: an approval performs them.
APPROVAL_TARGETS: dict[str, str] = {
    DoI.DECIDED: "Moving to Decided needs the sponsor's go decision (an approval).",
    DoI.CLOSED: "Moving to Closed needs a controller's validation of the realised benefit "
    "(an approval).",
}
TERMINAL = (DoI.CLOSED, DoI.CANCELLED)
MAX_REASON = 2000


def label(stage: str) -> str:
    return str(DoI(stage).label)


def next_stage(measure: Measure) -> str | None:
    """The next forward stage of an open measure (None on hold, cancelled or closed)."""
    if measure.doi not in DOI_ORDER or measure.doi == DoI.CLOSED:
        return None
    return DOI_ORDER[DOI_ORDER.index(measure.doi) + 1]


def _locked(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).select_for_update().get(pk=measure.pk)


def _plan(measure: Measure, target: str, by: Any, reason: str) -> tuple[str, Any, tuple[Any, ...]]:
    """``(action needed, transition method, its arguments)`` for moving ``measure`` to
    ``target`` by request, or a ``Conflict`` / ``ValidationError`` saying why not."""
    current = measure.doi
    if measure.is_archived:
        raise Conflict("The measure is archived: restore it first.")
    if target not in DoI.values:
        raise ValidationError({"to": [f"{target} is not a stage."]})
    if current == target:
        raise Conflict(f"The measure is already {label(current)}.")
    if current in TERMINAL:
        raise Conflict(f"The measure is {label(current)}: it does not move any more.")
    if target == DoI.CANCELLED:
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": ["Say why the measure is cancelled."]})
        return "archive", measure.cancel, (reason,)
    if target == DoI.ON_HOLD:
        return "change", measure.hold, ()
    if current == DoI.ON_HOLD:
        back = measure.doi_before_hold or DoI.DEFINED
        if target != back:
            raise Conflict(
                f"The measure is on hold: it can only resume to {label(back)}, or be cancelled."
            )
        return "change", measure.resume, ()
    forward = next_stage(measure)
    if target != forward:
        raise Conflict(
            f"A {label(current)} measure moves on to {label(forward or current)}, "
            f"not to {label(target)}."
        )
    if target in APPROVAL_TARGETS:
        raise Conflict(APPROVAL_TARGETS[target])
    method: dict[str, Any] = {
        DoI.IDENTIFIED: measure.identify,
        DoI.DETAILED: measure.detail,
        DoI.IMPLEMENTED: measure.implement,
    }
    return "change", method[target], ()


def _apply(
    measure: Measure, target: str, by: Any, method: Any, args: tuple[Any, ...], reason: str
) -> Measure:
    """Check the gate, move, record: the common tail of every transition (row locked)."""
    source = measure.doi
    forward = target in DOI_ORDER and source in DOI_ORDER
    if forward:
        problems = gates.unmet(measure, target)
        if problems:
            raise Conflict(
                f"The measure cannot move to {label(target)} yet.", problems, key="criteria"
            )
    method(*args)
    measure.version += 1
    measure.stage_entered_at = timezone.now()
    measure.save()
    measure_months_stage(measure=measure)
    changes: dict[str, Any] = {"doi": [source, measure.doi]}
    if reason.strip():
        changes["reason"] = reason.strip()
    audit_record(actor=by, action="measure.stage_changed", obj=measure, changes=changes)
    ripple_mark(organization=measure.organization_id, measure_ids=[measure.pk])
    webhook_emit(
        organization=measure.organization_id,
        event="measure.stage_changed",
        payload={
            "measure_id": measure.pk,
            "code": measure.code,
            "title": measure.title,
            "from": source,
            "to": measure.doi,
            "by": getattr(by, "pk", None),
            "at": timezone.now(),
        },
    )
    if forward:
        gates.entered(measure, target, by)
    return measure


def transition(
    measure: Measure, target: str, by: Any, expected_version: int | None = None, reason: str = ""
) -> Measure:
    """Move ``measure`` to ``target`` on request of ``by``, or raise saying every reason why not:
    ``AccessDenied``, ``StaleVersion``, ``ValidationError`` (bad input) or ``Conflict`` (the
    state or the gate criteria refuse; ``problems`` lists each unmet criterion)."""
    target = str(target)
    reason = reason or ""
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [f"Keep the reason to {MAX_REASON} characters."]})
    if "\x00" in reason:
        raise ValidationError({"reason": ["The reason contains a character that is not text."]})
    with transaction.atomic():
        measure = _locked(measure)
        require(by, "change", measure)
        if expected_version is not None and measure.version != expected_version:
            raise StaleVersion(measure.version)
        action, method, args = _plan(measure, target, by, reason)
        require(by, action, measure)  # type: ignore[arg-type]
        return _apply(measure, target, by, method, args, reason)


def may_approve(measure: Measure, target: str, user: Any) -> bool:
    """Whether ``user`` may grant the approval that moves ``measure`` to ``target``."""
    if user is None or not getattr(user, "pk", None):
        return False
    if target == DoI.DECIDED:
        return measure.sponsor_id == user.pk or can(user, "decide", measure)
    if target == DoI.CLOSED:
        if measure.owner_id == user.pk:
            return False
        return measure.controller_id == user.pk or can(user, "validate", measure)
    return False


def advance_by_approval(measure: Measure, target: str, approved_by: Any) -> Measure:
    """The seam for the approvals workflow: a granted approval moves the measure to Decided
    (the sponsor's go) or Closed (a controller's validation). The gate criteria still apply."""
    target = str(target)
    with transaction.atomic():
        measure = _locked(measure)
        if target not in APPROVAL_TARGETS:
            raise ValidationError({"to": [f"{label(target)} is not reached by an approval."]})
        if next_stage(measure) != target:
            raise Conflict(
                f"A {label(measure.doi)} measure cannot move to {label(target)} by approval."
            )
        if not may_approve(measure, target, approved_by):
            raise AccessDenied(
                "Only the sponsor may decide this measure."
                if target == DoI.DECIDED
                else "Only a controller who does not own this measure may validate it."
            )
        method = measure.decide if target == DoI.DECIDED else measure.close
        return _apply(measure, target, approved_by, method, (), "")


def stop_by_decision(measure: Measure, target: str, decided_by: Any, reason: str) -> Measure:
    """The seam for a forum's trade-off: pause (On hold) or cancel a measure to free what it
    holds. The forum's authority stands in for the measure's own permissions; the stage rules
    (a reason to cancel, no move out of a final stage) still apply."""
    target = str(target)
    with transaction.atomic():
        measure = _locked(measure)
        if target not in (DoI.ON_HOLD, DoI.CANCELLED):
            raise ValidationError({"to": ["A trade-off pauses or cancels a measure."]})
        _, method, args = _plan(measure, target, decided_by, reason)
        return _apply(measure, target, decided_by, method, args, reason)


def options(measure: Measure, user: Any) -> dict[str, Any]:
    """What the gate panel offers ``user``: the next stage with its checklist and whether (or
    why not) they may advance, and the side exits they may take."""
    forward = next_stage(measure)
    checklist = gates.checklist(measure, forward) if forward else []
    may_change = can(user, "change", measure)
    blocked = ""
    if forward in APPROVAL_TARGETS:
        blocked = APPROVAL_TARGETS[forward]
    elif any(not item.met for item in checklist):
        blocked = "Meet every criterion of the checklist first."
    return {
        "next": forward,
        "next_label": label(forward) if forward else "",
        "checklist": checklist,
        "may_advance": may_change and forward is not None,
        # The approvals workflow asks for these gates (approvals' part of the gate panel).
        "needs_approval": forward in APPROVAL_TARGETS,
        "blocked": blocked,
        "may_hold": may_change and measure.doi in DOI_ORDER and measure.doi != DoI.CLOSED,
        "may_resume": may_change and measure.doi == DoI.ON_HOLD,
        "resume_to": measure.doi_before_hold or DoI.DEFINED,
        "resume_label": label(measure.doi_before_hold or DoI.DEFINED),
        "may_cancel": measure.doi not in TERMINAL and can(user, "archive", measure),
    }


@on_node_change
def stage_clock_restart(node: HierarchyNode, event: str) -> None:
    """Restored measures come back into their stage now: stage movements since a snapshot count
    them as entering it (one UPDATE)."""
    if event != "restored":
        return
    measures_below(node).filter(archived_at__isnull=True).update(stage_entered_at=timezone.now())
