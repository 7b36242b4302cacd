"""Asking for a change to a measure's baseline: the change request and its approval request.

A change request is made by who may change the measure (and see its financials, when the diff
touches them), after Decided only. The diff is read against the current baseline, its impact
computed, and the ``baseline_change`` approval request submitted under the organization's policy
with the absolute net value shift as its amount — all in one transaction, or nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from approvals.changes.apply import KIND
from approvals.changes.diff import impact_of, parse_changes, request_amount
from approvals.changes.models import ChangeRequest
from approvals.changes.selectors import baseline_snapshot, current_version
from approvals.services.requests import MAX_TEXT, request_submit
from governance.access import can, require
from governance.audit import audit_record
from governance.errors import AccessDenied, Conflict, ValidationError
from measures.models import Measure
from measures.services.stages import label


def _rationale(value: Any, errors: dict[str, list[str]]) -> str:
    text = "" if value is None else str(value)
    if "\x00" in text:
        errors["rationale"] = ["The text contains a character that is not text."]
    elif len(text) > MAX_TEXT:
        errors["rationale"] = [f"Keep it to {MAX_TEXT:,} characters."]
    elif not text.strip():
        errors["rationale"] = ["Say why the baseline should change."]
    return text.strip()


def baseline_refusal(measure: Measure) -> str | None:
    """Why no change request can be made on ``measure`` now, or None."""
    if measure.is_archived:
        return "The measure is archived: restore it first."
    if not measure.is_baselined:
        return (
            f"The measure is {label(measure.doi)}: it has no baseline before Decided. Change "
            "the plan, dates and targets directly."
        )
    return None


def change_preview(
    *, measure: Measure, by: Any, changes: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """The diff, impact and errors ``changes`` would make now, writing nothing."""
    require(by, "change", measure)
    diff, errors = parse_changes(changes, measure.organization, baseline_snapshot(measure))
    return diff, impact_of(diff), errors


def change_request_submit(
    *, measure: Measure, by: Any, changes: Any, rationale: Any
) -> ChangeRequest:
    """Ask for ``changes`` (see ``approvals.changes.diff``) to the baseline of ``measure``:
    ``Conflict`` before Decided, ``ValidationError`` with every bad field, else the change
    request with its pending approval request."""
    errors: dict[str, list[str]] = {}
    text = _rationale(rationale, errors)
    with transaction.atomic():
        measure = (
            Measure.objects.for_org(measure.organization_id)
            .select_for_update()
            .select_related("organization")
            .get(pk=measure.pk)
        )
        require(by, "change", measure)
        refusal = baseline_refusal(measure)
        if refusal:
            raise Conflict(refusal)
        current = baseline_snapshot(measure)
        diff, diff_errors = parse_changes(changes, measure.organization, current)
        errors.update(diff_errors)
        if errors:
            raise ValidationError(errors)
        if any(key.startswith("financial.") for key in diff) and not can(
            by, "view_financials", measure
        ):
            raise AccessDenied("Your role may not see the financials of this measure.")
        impact = impact_of(diff)
        request = request_submit(
            measure=measure,
            kind=KIND,
            by=by,
            evidence=text,
            amount=request_amount(impact),
            proposed_change={"fields": sorted(diff)},
        )
        change = ChangeRequest.objects.create(
            organization_id=measure.organization_id,
            request=request,
            measure=measure,
            rationale=text,
            diff=diff,
            impact=impact,
            base_version=current_version(measure),
        )
        audit_record(
            actor=by,
            action="measure.change_requested",
            obj=measure,
            changes={"request": request.pk, "fields": sorted(diff)},
        )
    return change
