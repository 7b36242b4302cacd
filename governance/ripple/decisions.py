"""Trade-off decisions on exception cases, and escalation.

A case closes only with a decision by a member of its forum or of a forum above it (a case with
no forum: who may ``decide`` on its root measure). The options:

- **accept** the impact; **mitigate** (an action with an owner and a due date, tracked);
- **re-plan** the affected measures (a change request on each chosen measure, under the
  organization's change-control policy);
- **escalate** to the next forum (its parent, else the organization's own forum); the case stays
  open there with a fresh SLA;
- **sacrifice** another objective: pause or cancel a chosen measure, its value shown, so the cost
  of the choice is explicit.

Every decision goes into the decision log (venue: the forum). ``cases_escalate_overdue`` moves
open cases past their forum's SLA one level up (the beat runs it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.access import can
from governance.audit import audit_record, json_ready
from governance.decisions import Decided, decision_record
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import (
    CaseState,
    DecisionForum,
    DecisionKind,
    ExceptionCase,
    ForumMember,
    MitigationAction,
    Organization,
    TradeOff,
    Venue,
)
from governance.ripple.notices import case_notify

MAX_TEXT = 5000


def forum_chain(forum: DecisionForum | None) -> list[DecisionForum]:
    """The forum and every forum above it, lowest first."""
    chain: list[DecisionForum] = []
    while forum is not None and forum not in chain:
        chain.append(forum)
        forum = forum.parent
    return chain


def may_decide_case(case: ExceptionCase, user: Any) -> bool:
    """A member of the case's forum or of one above it; with no forum, who holds the decision
    over the root measure (a sponsor's role above it)."""
    if not getattr(user, "pk", None):
        return False
    chain = forum_chain(case.forum)
    if not chain:
        return can(user, "decide", case.root)
    return (
        ForumMember.objects.for_org(case.organization_id)
        .filter(forum__in=chain, user_id=user.pk)
        .exists()
    )


def next_forum(case: ExceptionCase) -> DecisionForum | None:
    """Where an escalation goes: the forum's parent, else the organization's own forum."""
    if case.forum is not None and case.forum.parent is not None:
        return case.forum.parent
    top = (
        DecisionForum.objects.for_org(case.organization_id)
        .filter(portfolio__isnull=True, program__isnull=True, project__isnull=True)
        .order_by("id")
        .first()
    )
    return top if top is not None and top != case.forum else None


def _locked(case: ExceptionCase) -> ExceptionCase:
    return (
        ExceptionCase.objects.for_org(case.organization_id)
        .select_for_update(of=("self",))
        .select_related("forum", "root")
        .get(pk=case.pk)
    )


def _text(value: Any, name: str, errors: dict[str, list[str]], required: str = "") -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        errors[name] = ["The text contains a character that is not text."]
    elif len(text) > MAX_TEXT:
        errors[name] = [f"Keep it to {MAX_TEXT:,} characters."]
    elif required and not text.strip():
        errors[name] = [required]
    return text.strip()


def _record(case: ExceptionCase, option: str, by: Any, rationale: str, **details: Any) -> None:
    summary = f"{case.get_cause_display()} at {case.root.code}: {TradeOff(option).label.lower()}."
    decision_record(
        Decided(
            kind=DecisionKind.TRADE_OFF,
            venue=Venue.FORUM,
            subject=case,
            summary=summary,
            by=by,
            rationale=rationale,
            measure_id=case.root_id,
            forum=case.forum,
            details={"option": option, "value_at_risk": str(case.value_at_risk), **details},
        )
    )


def _close(case: ExceptionCase, option: str, by: Any, now: dt.datetime) -> None:
    case.state = CaseState.DECIDED
    case.decision = option
    case.decided_by = by
    case.closed_at = case.updated_at = now
    case.save(update_fields=["state", "decision", "decided_by", "closed_at", "updated_at"])


def _escalate(case: ExceptionCase, by: Any, now: dt.datetime, reason: str) -> DecisionForum:
    higher = next_forum(case)
    if higher is None:
        raise Conflict("There is no forum above this one: decide the case here.")
    before = case.forum
    case.forum = higher
    case.escalations += 1
    case.due_at = now + dt.timedelta(days=higher.sla_days)
    case.updated_at = now
    case.save(update_fields=["forum", "escalations", "due_at", "updated_at"])
    audit_record(
        actor=by,
        action="case.escalated",
        obj=case,
        changes={"forum": [before.pk if before else None, higher.pk], "reason": reason},
    )
    case_notify(case, "case.escalated", actor=by)
    return higher


def case_decide(
    *,
    case: ExceptionCase,
    option: str,
    by: Any,
    rationale: str = "",
    mitigation: dict[str, Any] | None = None,
    sacrifice: dict[str, Any] | None = None,
    replan: list[int] | None = None,
    now: dt.datetime | None = None,
) -> ExceptionCase:
    """Record ``by``'s trade-off on an open case and carry out what it implies."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if option not in TradeOff.values:
        errors["option"] = ["Choose accept, replan, mitigate, escalate or sacrifice."]
    rationale = _text(rationale, "rationale", errors, required="Say why you decide this.")
    with transaction.atomic():
        case = _locked(case)
        if case.state != CaseState.OPEN:
            raise Conflict(f"This case is {case.get_state_display().lower()} already.")
        if not may_decide_case(case, by):
            raise AccessDenied("Only a member of the case's forum, or of one above it, decides.")
        details = _option_details(case, option, mitigation, sacrifice, replan, errors)
        if errors:
            raise ValidationError(errors)
        if option == TradeOff.ESCALATE:
            higher = _escalate(case, by, now, rationale)
            _record(case, option, by, rationale, to_forum=higher.name)
            return case
        _carry_out(case, option, by, rationale, details, now)
        _record(case, option, by, rationale, **json_ready(details))
        _close(case, option, by, now)
        audit_record(actor=by, action="case.decided", obj=case, changes={"decision": option})
        case_notify(case, "case.decided", actor=by)
    return case


def _option_details(
    case: ExceptionCase,
    option: str,
    mitigation: dict[str, Any] | None,
    sacrifice: dict[str, Any] | None,
    replan: list[int] | None,
    errors: dict[str, list[str]],
) -> dict[str, Any]:
    """Check what the option needs; the checks of each option's part in one place."""
    from governance.ripple.options import check_mitigation, check_replan, check_sacrifice

    if option == TradeOff.MITIGATE:
        return check_mitigation(case, mitigation or {}, errors)
    if option == TradeOff.SACRIFICE:
        return check_sacrifice(case, sacrifice or {}, errors)
    if option == TradeOff.REPLAN:
        return check_replan(case, replan, errors)
    return {}


def _carry_out(
    case: ExceptionCase,
    option: str,
    by: Any,
    rationale: str,
    details: dict[str, Any],
    now: dt.datetime,
) -> None:
    from governance.ripple.options import carry_out_replan, carry_out_sacrifice

    if option == TradeOff.MITIGATE:
        MitigationAction.objects.create(
            organization_id=case.organization_id,
            case=case,
            title=details["title"],
            owner=details["owner"],
            due_date=details["due_date"],
            created_by=by,
        )
    elif option == TradeOff.SACRIFICE:
        carry_out_sacrifice(case, details, by, rationale)
    elif option == TradeOff.REPLAN:
        carry_out_replan(case, details, by, rationale)


def cases_escalate_overdue(
    *, organization: Organization | int, now: dt.datetime | None = None
) -> int:
    """Move every open case past its due date one forum up; returns how many moved."""
    now = now or timezone.now()
    overdue = list(
        ExceptionCase.objects.for_org(organization)
        .filter(state=CaseState.OPEN, due_at__lt=now)
        .values_list("pk", flat=True)
    )
    moved = 0
    for pk in overdue:
        with transaction.atomic():
            case = _locked(ExceptionCase(pk=pk, organization_id=_org_id(organization)))
            if case.state != CaseState.OPEN or case.due_at is None or case.due_at >= now:
                continue
            try:
                _escalate(case, None, now, "Past the forum's SLA.")
            except Conflict:
                continue  # already at the top: it stays there, overdue
            moved += 1
    return moved


def _org_id(organization: Organization | int) -> int:
    return organization if isinstance(organization, int) else organization.pk
