"""Verdicts from the controller's validation queue: one at a time, or many approved at once.

A single verdict is the measure's own rule, ``measures.services.financials.actuals_validate``
(access, reason, partial bounds, decision record, audit), asked to refuse an actual that is no
longer pending. A bulk approval applies the same verdict (``verdict_parse``/``verdict_apply``)
to up to ``MAX_BULK`` items in a constant number of statements, all or nothing: every item must
be a pending claimed benefit the approver may validate — never one of a measure they own — or
nothing is written and every bad item is named. Validating changes no forecast, plan or
baseline, so, as on the single path, the Potential Status needs no recompute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from approvals.selectors.validations import QUEUE_LINES
from governance.access import can, restrict
from governance.audit import AuditEntry, audit_record_many
from governance.decisions import decision_records
from governance.errors import ValidationError
from governance.models import Organization
from measures.models import FinancialEntry, Measure, Scenario, Validation
from measures.services.figures import measure_months_refresh
from measures.services.financials import (
    Verdict,
    actuals_validate,
    validation_decided,
    verdict_apply,
    verdict_parse,
)

# One request approves at most this many items (the page offers 50; the API more).
MAX_BULK = 1_000
MAX_COMMENT = 5_000
AMOUNT = "validated_amount"
VERDICT_FIELDS = [
    "validation",
    AMOUNT,
    "validated_by_id",
    "validated_at",
    "validation_note",
    "updated_at",
]
CLAIMED = object()  # the validated amount is the claimed one


def validation_decide(
    *,
    entry: FinancialEntry,
    decision: str,
    by: Any,
    amount: Any = None,
    reason: str = "",
) -> FinancialEntry:
    """A controller's verdict on one queue item (``validate``, ``partial`` with an amount and a
    reason, ``reject`` with a reason); ``Conflict`` when it was decided meanwhile."""
    measure = Measure.objects.for_org(entry.organization_id).get(pk=entry.measure_id)
    return actuals_validate(
        measure=measure,
        period=entry.period,
        line=entry.line,
        decision=decision,
        amount=amount,
        reason=reason,
        by=by,
        pending_only=True,
    )


def _ids(entry_ids: Any) -> list[int]:
    if not isinstance(entry_ids, list | tuple) or not entry_ids:
        raise ValidationError({"ids": ["Choose at least one item to approve."]})
    if any(type(pk) is not int or not 0 < pk < 2**63 for pk in entry_ids):
        raise ValidationError({"ids": ["Give the items as a list of ids."]})
    ids = list(dict.fromkeys(entry_ids))
    if len(ids) > MAX_BULK:
        raise ValidationError({"ids": [f"Approve at most {MAX_BULK:,} items at once."]})
    return ids


def _problem(entry: FinancialEntry | None, allowed: set[int], by: Any) -> str | None:
    """Why ``by`` may not approve ``entry`` in bulk, or ``None``. Items the approver may not see
    are not told apart from items that do not exist."""
    if entry is None or not can(by, "view_financials", entry):
        return "No such claim awaits your validation."
    measure = entry.measure
    if entry.scenario != Scenario.ACTUAL or entry.line not in QUEUE_LINES:
        return f"{measure.code}: not a claimed benefit."
    if measure.owner_id is not None and measure.owner_id == getattr(by, "pk", None):
        return f"{measure.code}: you own this measure, so someone else validates its benefit."
    if entry.pk not in allowed:
        return f"{measure.code}: your role does not validate this measure's benefits."
    if entry.validation != Validation.PENDING:
        return f"{measure.code} {entry.period:%Y-%m}: already {entry.get_validation_display()}."
    return None


def _verdicts_save(organization: Organization, entries: list[FinancialEntry]) -> None:
    """Write the verdicts ``verdict_apply`` set: one UPDATE per distinct outcome (a bulk
    approval has one: validated as claimed, by one person, at one moment). ``bulk_update``
    would send a CASE per field and row, and take seconds for a few hundred rows."""
    outcomes: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for entry in entries:
        counted = CLAIMED if entry.validated_amount == entry.amount else entry.validated_amount
        outcome = tuple(getattr(entry, name) for name in VERDICT_FIELDS if name != AMOUNT)
        outcomes[(counted, *outcome)].append(entry.pk)
    fields = [name for name in VERDICT_FIELDS if name != AMOUNT]
    for (counted, *values), ids in outcomes.items():
        FinancialEntry.objects.for_org(organization).filter(pk__in=ids).update(
            validated_amount=F("amount") if counted is CLAIMED else counted,
            **dict(zip(fields, values, strict=True)),
        )
    measure_months_refresh(
        organization_id=organization.pk,
        measure_ids={entry.measure_id for entry in entries},
        periods={entry.period for entry in entries},
    )


def _audit_verdicts(
    organization_id: int,
    by: Any,
    verdict: Verdict,
    changes: dict[int, dict[str, Any]],
    measures: dict[int, Measure],
) -> None:
    """One audit event per item, on its measure (as the single path writes it), in one insert."""
    audit_record_many(
        actor=by,
        organization_id=organization_id,
        entries=[
            AuditEntry.of(
                action=f"measure.actual_{verdict.decision}", obj=measures[entry_id], changes=item
            )
            for entry_id, item in changes.items()
        ],
    )


def validations_bulk_approve(
    *, organization: Organization, entry_ids: Sequence[int], by: Any, comment: str = ""
) -> int:
    """Validate many claimed benefits as claimed, all or nothing; returns how many. A
    ``ValidationError`` names every item that cannot be approved (``ids.<id>``)."""
    ids = _ids(entry_ids)
    if len(comment or "") > MAX_COMMENT:
        raise ValidationError({"comment": [f"Keep the comment under {MAX_COMMENT:,} characters."]})
    verdict = verdict_parse(decision="validate", reason=comment)
    with transaction.atomic():
        # Locks the items (not their measures), in one order so that two overlapping bulk
        # approvals cannot deadlock; a concurrent verdict waits, then sees them decided.
        found = {
            entry.pk: entry
            for entry in FinancialEntry.objects.for_org(organization)
            .filter(pk__in=ids)
            .select_related("measure")
            .order_by("pk")
            .select_for_update(of=("self",))
        }
        # Whom the items' measures allow to validate (an item's access is its measure's): one
        # query by measure id, which plans from the primary key rather than from every measure
        # the approver's grants reach.
        measures_allowed = set(
            restrict(Measure.objects.all(), by, "validate", organization=organization)
            .filter(pk__in={entry.measure_id for entry in found.values()})
            .order_by()
            .values_list("pk", flat=True)
        )
        allowed = {pk for pk, entry in found.items() if entry.measure_id in measures_allowed}
        errors = {
            f"ids.{pk}": [problem]
            for pk in ids
            if (problem := _problem(found.get(pk), allowed, by)) is not None
        }
        if errors:
            raise ValidationError(errors)
        entries = [found[pk] for pk in ids]
        now = timezone.now()
        changes = {}
        for entry in entries:
            changes[entry.pk] = verdict_apply(entry, verdict, by=by, at=now)
            entry.updated_at = now
        _verdicts_save(organization, entries)
        decision_records(
            (
                validation_decided(entry.measure, entry, "validate", by, verdict.reason)
                for entry in entries
            ),
            at=now,
        )
        measures = {entry.pk: entry.measure for entry in entries}
        _audit_verdicts(organization.pk, by, verdict, changes, measures)
    return len(entries)
