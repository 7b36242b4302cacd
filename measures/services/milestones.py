"""Milestones of a measure: writes, the gate criteria they answer, the baseline and overdue checks.

Who may write: ``contribute`` on the measure (its owner, contributors, leads and admins above it).
Every write locks the measure, validates every field (each bad one reported by name), writes one
audit event and bumps the measure's version (milestones are part of its plan, so the API's
``ETag`` moves with them). A milestone that requires evidence cannot be marked done before a file
is attached (``measures.services.evidence``).

Gates: → Detailed needs at least one milestone; → Implemented needs every milestone done, each
with the evidence it requires. Entering Decided freezes due dates and the measure's start and end
dates into their baseline fields.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone

from governance.access import require
from governance.audit import audit_record, field_changes
from governance.errors import ValidationError
from governance.models import Membership
from governance.ripple.outbox import ripple_mark
from measures import gates
from measures.attention import SETTLED, attention
from measures.models import DoI, Measure, Milestone, MilestoneEvidence
from measures.tabs import tab

tab("milestones", "Milestones", "measure-milestones")

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
MAX_TITLE = 200
MAX_TEXT = 5000
MAX_ORDER = 10_000
FIELDS = (
    "title",
    "due_date",
    "completed_on",
    "evidence_required",
    "evidence_description",
    "owner",
    "order",
)


def parse_date(value: Any, *, required: bool = True) -> dt.date | None:
    """A date from user input (``YYYY-MM-DD`` or a date), between 1900 and 2200, or
    ``ValueError`` with the reason in words."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("Give a date.")
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text[:20]!r} is not a date (use YYYY-MM-DD).") from None
    if not isinstance(value, dt.date):
        raise ValueError("Give the date as YYYY-MM-DD.")
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError("Give a date between 1900 and 2200.")
    return value


def _text(value: Any, limit: int, *, required: bool, what: str) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"Give the {what} as text.")
    if "\x00" in value:
        raise ValueError(f"The {what} contains a character that is not text.")
    value = value.strip()
    if required and not value:
        raise ValueError(f"Give the {what}.")
    if len(value) > limit:
        raise ValueError(f"Keep the {what} to {limit} characters.")
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, "", "0", "false", "False", "off", "no"):
        return False
    if value in ("1", "true", "True", "on", "yes"):
        return True
    raise ValueError("Answer yes or no.")


def _owner(value: Any, measure: Measure) -> Any:
    if value in (None, ""):
        return None
    if hasattr(value, "pk"):
        value = value.pk
    try:
        user_id = int(value)
    except (TypeError, ValueError):
        raise ValueError("Choose a member of the organization.") from None
    if not (
        0 < user_id < 2**63
        and Membership.objects.for_org(measure.organization_id).filter(user_id=user_id).exists()
    ):
        raise ValueError(f"User {user_id} is not a member of this organization.")
    return get_user_model().objects.get(pk=user_id)


def _order(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("Give the order as a whole number.")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError("Give the order as a whole number.") from None
    if not 0 <= number <= MAX_ORDER:
        raise ValueError(f"Give an order between 0 and {MAX_ORDER}.")
    return number


def clean(
    values: dict[str, Any], measure: Measure, current: Milestone | None = None
) -> dict[str, Any]:
    """Every field of ``values`` validated against the measure (and the milestone being
    changed), or ``ValidationError`` naming each bad field."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    checks: dict[str, Any] = {
        "title": lambda v: _text(v, MAX_TITLE, required=True, what="title"),
        "due_date": lambda v: parse_date(v),
        "completed_on": lambda v: parse_date(v, required=False),
        "evidence_required": _bool,
        "evidence_description": lambda v: _text(
            v, MAX_TEXT, required=False, what="evidence description"
        ),
        "owner": lambda v: _owner(v, measure),
        "order": _order,
    }
    for name, value in values.items():
        if name not in checks:
            raise TypeError(f"A milestone has no field {name}.")
        try:
            cleaned[name] = checks[name](value)
        except ValueError as exc:
            errors[name] = [str(exc)]

    def final(name: str) -> Any:
        return cleaned[name] if name in cleaned else getattr(current, name, None)

    due, done = final("due_date"), final("completed_on")
    # Checked when the due date is given: a later change of the measure's start must not block
    # editing other fields of a milestone.
    if (
        "due_date" in cleaned
        and due is not None
        and measure.start_date
        and due < measure.start_date
    ):
        errors["due_date"] = [
            f"The due date is before the measure starts ({measure.start_date:%Y-%m-%d})."
        ]
    if "completed_on" not in errors and done is not None and "completed_on" in cleaned:
        created = timezone.localdate(current.created_at) if current else timezone.localdate()
        if done > timezone.localdate():
            errors["completed_on"] = ["A milestone cannot be completed in the future."]
        elif done < created:
            errors["completed_on"] = [
                f"The completion date is before the milestone was created ({created:%Y-%m-%d})."
            ]
    if (
        "evidence_required" not in errors
        and "evidence_description" not in errors
        and final("evidence_required")
        and not (final("evidence_description") or "").strip()
    ):
        errors["evidence_description"] = ["Say what evidence proves this milestone."]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _evidence_missing(milestone: Milestone) -> bool:
    return (
        milestone.evidence_required
        and not MilestoneEvidence.objects.for_org(milestone.organization_id)
        .filter(milestone_id=milestone.pk)
        .exists()
    )


def _locked(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).select_for_update().get(pk=measure.pk)


def _plan_changed(measure: Measure) -> None:
    Measure.objects.for_org(measure.organization_id).filter(pk=measure.pk).update(
        version=F("version") + 1
    )


def milestone_create(*, measure: Measure, by: Any, **values: Any) -> Milestone:
    """Add a milestone (``title`` and ``due_date`` required); it goes last unless ``order``."""
    with transaction.atomic():
        measure = _locked(measure)
        require(by, "contribute", measure)
        values = {"title": "", "due_date": None, **values}
        cleaned = clean(values, measure)
        if cleaned.get("completed_on") and cleaned.get("evidence_required"):
            raise ValidationError(
                {"completed_on": ["Attach the required evidence before marking it done."]}
            )
        if "order" not in cleaned:
            last = (
                Milestone.objects.for_org(measure.organization_id)
                .filter(measure_id=measure.pk)
                .aggregate(last=Max("order"))["last"]
            )
            cleaned["order"] = min(MAX_ORDER, 0 if last is None else last + 1)
        milestone = Milestone.objects.create(
            organization_id=measure.organization_id, measure=measure, **cleaned
        )
        _plan_changed(measure)
        audit_record(
            actor=by,
            action="milestone.created",
            obj=milestone,
            changes=field_changes({}, {name: getattr(milestone, name) for name in FIELDS}),
        )
        ripple_mark(organization=milestone.organization_id, measure_ids=[milestone.measure_id])
    return milestone


def milestone_update(*, milestone: Milestone, by: Any, **values: Any) -> Milestone:
    """Change fields of a milestone. Setting ``completed_on`` marks it done (refused while the
    evidence it requires is missing); clearing it reopens the milestone."""
    with transaction.atomic():
        measure = _locked(milestone.measure)
        require(by, "contribute", measure)
        milestone = (
            Milestone.objects.for_org(measure.organization_id)
            .select_for_update()
            .get(pk=milestone.pk)
        )
        cleaned = clean(values, measure, milestone)
        before = {name: getattr(milestone, name) for name in FIELDS}
        for name, value in cleaned.items():
            setattr(milestone, name, value)
        if milestone.completed_on and _evidence_missing(milestone):
            raise ValidationError(
                {
                    "completed_on": [
                        "This milestone requires evidence "
                        f"({milestone.evidence_description}): attach it before marking it done."
                    ]
                }
            )
        changes = field_changes(before, {name: getattr(milestone, name) for name in FIELDS})
        if not changes:
            return milestone
        milestone.save()
        _plan_changed(measure)
        audit_record(actor=by, action="milestone.changed", obj=milestone, changes=changes)
        ripple_mark(organization=milestone.organization_id, measure_ids=[milestone.measure_id])
    return milestone


def milestone_complete(*, milestone: Milestone, by: Any, completed_on: Any = None) -> Milestone:
    """Mark a milestone done (today unless ``completed_on``)."""
    return milestone_update(
        milestone=milestone, by=by, completed_on=completed_on or timezone.localdate()
    )


def milestone_delete(*, milestone: Milestone, by: Any) -> None:
    """Remove a milestone with its evidence rows (the files stay in storage for the audit)."""
    with transaction.atomic():
        measure = _locked(milestone.measure)
        require(by, "contribute", measure)
        audit_record(
            actor=by,
            action="milestone.deleted",
            obj=milestone,
            changes={"title": milestone.title, "due_date": milestone.due_date.isoformat()},
        )
        ripple_mark(organization=milestone.organization_id, measure_ids=[milestone.measure_id])
        Milestone.objects.for_org(measure.organization_id).filter(pk=milestone.pk).delete()
        _plan_changed(measure)


# --- Gates and the baseline -------------------------------------------------------------------


@gates.criterion(DoI.DETAILED, key="milestones", label="At least one milestone")
def at_least_one_milestone(measure: Measure) -> str | None:
    if Milestone.objects.for_org(measure.organization_id).filter(measure_id=measure.pk).exists():
        return None
    return "Plan at least one milestone."


@gates.criterion(
    DoI.IMPLEMENTED,
    key="milestones_done",
    label="Every milestone done, each with the evidence it requires",
)
def every_milestone_done(measure: Measure) -> str | None:
    rows = (
        Milestone.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk)
        .annotate(files=Count("evidence"))
        .values_list("title", "completed_on", "evidence_required", "files")
    )
    problems = []
    for title, completed_on, evidence_required, files in rows:
        if completed_on is None:
            problems.append(f"“{title}” is not done")
        elif evidence_required and not files:
            problems.append(f"“{title}” lacks its evidence")
    if problems:
        return "Finish every milestone with its evidence: " + "; ".join(problems) + "."
    return None


@gates.on_enter(DoI.DECIDED)
def milestone_baseline_freeze(measure: Measure, by: Any) -> None:
    """Entering Decided copies each due date into its baseline, and the measure's start and end
    dates into the measure's baseline dates (replacing any earlier baseline)."""
    organization_id = measure.organization_id
    frozen = (
        Milestone.objects.for_org(organization_id)
        .filter(measure_id=measure.pk)
        .update(baseline_due_date=F("due_date"))
    )
    Measure.objects.for_org(organization_id).filter(pk=measure.pk).update(
        baseline_start_date=F("start_date"), baseline_end_date=F("end_date")
    )
    measure.baseline_start_date, measure.baseline_end_date = measure.start_date, measure.end_date
    audit_record(
        actor=by,
        action="measure.dates_baselined",
        obj=measure,
        changes={
            "milestones": frozen,
            "baseline_start_date": measure.start_date.isoformat() if measure.start_date else None,
            "baseline_end_date": measure.end_date.isoformat() if measure.end_date else None,
        },
    )


# --- What needs the owner's attention ---------------------------------------------------------


@attention
def overdue_milestones(measures: Sequence[Any], today: dt.date) -> dict[int, list[str]]:
    """Open milestones past their due date: one grouped query for every measure of the page."""
    open_measures = [measure for measure in measures if measure.doi not in SETTLED]
    if not open_measures:
        return {}
    organization_id = open_measures[0].organization_id
    counts: dict[int, int] = defaultdict(int)
    for measure_id, overdue in (
        Milestone.objects.for_org(organization_id)
        .filter(
            measure_id__in=[measure.pk for measure in open_measures],
            completed_on__isnull=True,
            due_date__lt=today,
        )
        .values_list("measure_id")
        .annotate(overdue=Count("id"))
        .order_by()
    ):
        counts[measure_id] = overdue
    return {
        measure_id: [f"{count} milestone{'s' if count != 1 else ''} overdue"]
        for measure_id, count in counts.items()
    }
