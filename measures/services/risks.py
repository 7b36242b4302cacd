"""Writes to a measure's risks, and the owner's statement that it carries no material risk.

Who may change the measure records, edits and removes its risks. Every bad value is reported per
field and nothing is written. Gate: before Detailed, the risks are assessed — at least one risk
recorded, or "no material risk" stated (which is refused while open risks exist).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance.access import require
from governance.audit import audit_record, field_changes
from governance.errors import ValidationError
from governance.models import Membership
from governance.services.hierarchy import check_version
from measures import gates
from measures.models import ACTIVE_RISK, DoI, Measure, Risk, RiskStatus
from measures.tabs import tab

TEXT_LIMIT = 10_000
FIELDS = ("title", "description", "probability", "impact", "owner", "mitigation", "status")

tab("risks", "Risks", "measure-risks")


def _scale(value: Any, name: str) -> int:
    """A rating 1-5 from user input, or ``ValueError`` in words."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"Rate the {name} from 1 to 5.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"Rate the {name} with a whole number from 1 to 5.") from None
    if isinstance(value, float) and value != number:
        raise ValueError(f"Rate the {name} with a whole number from 1 to 5.")
    if not 1 <= number <= 5:
        raise ValueError(f"Rate the {name} from 1 to 5 (not {number}).")
    return number


def _owner(value: Any, organization_id: int) -> Any:
    if value in (None, ""):
        return None
    user_model = get_user_model()
    pk = value.pk if isinstance(value, user_model) else value
    try:
        pk = int(str(pk))
    except ValueError:
        raise ValueError("Choose a member of this organization.") from None
    member = (
        user_model.objects.filter(
            pk=pk, pk__in=Membership.objects.for_org(organization_id).values("user_id")
        ).first()
        if 0 < pk < 2**63
        else None
    )
    if member is None:
        raise ValueError("Choose a member of this organization.")
    return member


def clean_risk(values: dict[str, Any], organization_id: int) -> dict[str, Any]:
    """Validated risk values (all of ``FIELDS`` that are given), or ``ValidationError``."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"A risk has no field(s): {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        try:
            if name == "title":
                text = (value or "").strip() if isinstance(value, str | type(None)) else None
                if text is None:
                    raise ValueError("Give the title as text.")
                if not text:
                    raise ValueError("Give the title.")
                if len(text) > 200:
                    raise ValueError("Keep the title to 200 characters.")
                cleaned[name] = text
            elif name in ("description", "mitigation"):
                if value is not None and not isinstance(value, str):
                    raise ValueError("Give text.")
                text = (value or "").strip()
                if len(text) > TEXT_LIMIT:
                    raise ValueError(f"Keep this to {TEXT_LIMIT:,} characters.")
                cleaned[name] = text
            elif name in ("probability", "impact"):
                cleaned[name] = _scale(value, name)
            elif name == "status":
                if value not in RiskStatus.values:
                    raise ValueError(f"Choose one of: {', '.join(RiskStatus.labels)}.")
                cleaned[name] = value
            elif name == "owner":
                cleaned[name] = _owner(value, organization_id)
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _locked_measure(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).select_for_update().get(pk=measure.pk)


def _bump(measure: Measure) -> None:
    # Risks are part of the measure's plan: its version (the API's ETag) moves with them.
    Measure.objects.for_org(measure.organization_id).filter(pk=measure.pk).update(
        version=F("version") + 1
    )


def _statement_withdrawn(measure: Measure, by: Any, reason: str) -> None:
    """A recorded open risk contradicts "no material risk": the statement is withdrawn."""
    Measure.objects.for_org(measure.organization_id).filter(pk=measure.pk).update(
        no_material_risk=False, version=F("version") + 1
    )
    measure.no_material_risk = False
    audit_record(
        actor=by,
        action="measure.no_material_risk_changed",
        obj=measure,
        changes={"no_material_risk": [True, False], "reason": reason},
    )


def risk_create(*, measure: Measure, by: Any, **values: Any) -> Risk:
    """Record a risk of the measure (title, probability and impact are required)."""
    with transaction.atomic():
        measure = _locked_measure(measure)
        require(by, "change", measure)
        missing = {name: None for name in ("title", "probability", "impact") if name not in values}
        cleaned = clean_risk({**missing, **values}, measure.organization_id)
        risk = Risk.objects.create(
            organization_id=measure.organization_id, measure=measure, **cleaned
        )
        _bump(measure)
        audit_record(actor=by, action="risk.created", obj=risk, changes=field_changes({}, cleaned))
        if measure.no_material_risk and risk.status in ACTIVE_RISK:
            _statement_withdrawn(measure, by, f"Risk recorded: {risk.title}")
    risk.refresh_from_db()
    return risk


def risk_update(*, risk: Risk, by: Any, expected_version: int | None = None, **values: Any) -> Risk:
    """Change some fields of a risk; ``expected_version`` is the measure's (``StaleVersion``
    when it moved on)."""
    with transaction.atomic():
        risk = Risk.objects.for_org(risk.organization_id).select_for_update().get(pk=risk.pk)
        measure = _locked_measure(risk.measure)
        require(by, "change", measure)
        check_version(measure, expected_version)
        cleaned = clean_risk(values, risk.organization_id)
        before = {name: getattr(risk, name) for name in cleaned}
        changes = field_changes(before, cleaned)
        if not changes:
            return risk
        for name, value in cleaned.items():
            setattr(risk, name, value)
        risk.save()
        _bump(measure)
        audit_record(actor=by, action="risk.changed", obj=risk, changes=changes)
        if measure.no_material_risk and risk.status in ACTIVE_RISK:
            _statement_withdrawn(measure, by, f"Risk open: {risk.title}")
    risk.refresh_from_db()
    return risk


def risk_delete(*, risk: Risk, by: Any, expected_version: int | None = None) -> None:
    """Remove a risk recorded by mistake (a risk that passed is closed, not removed);
    ``expected_version`` is the measure's."""
    with transaction.atomic():
        risk = Risk.objects.for_org(risk.organization_id).select_for_update().get(pk=risk.pk)
        measure = _locked_measure(risk.measure)
        require(by, "change", measure)
        check_version(measure, expected_version)
        audit_record(
            actor=by,
            action="risk.deleted",
            obj=risk,
            changes={"title": risk.title, "score": risk.score, "measure": risk.measure_id},
        )
        risk.delete()
        _bump(measure)


def no_material_risk_set(
    *, measure: Measure, value: bool, by: Any, expected_version: int | None = None
) -> Measure:
    """The owner's statement that the measure carries no material risk (or its withdrawal);
    refused while open or mitigating risks exist. The audit event records who and when."""
    with transaction.atomic():
        measure = _locked_measure(measure)
        require(by, "change", measure)
        check_version(measure, expected_version)
        value = bool(value)
        if value == measure.no_material_risk:
            return measure
        if value:
            active = list(
                Risk.objects.for_org(measure.organization_id)
                .filter(measure_id=measure.pk, status__in=ACTIVE_RISK)
                .values_list("title", flat=True)[:4]
            )
            if active:
                names = ", ".join(active[:3]) + (" …" if len(active) > 3 else "")
                raise ValidationError(
                    {
                        "no_material_risk": [
                            "The measure still has open risks "
                            f"({names}): close them before stating there is no material risk."
                        ]
                    }
                )
        measure.no_material_risk = value
        measure.version += 1
        Measure.objects.for_org(measure.organization_id).filter(pk=measure.pk).update(
            no_material_risk=value, version=F("version") + 1
        )
        audit_record(
            actor=by,
            action="measure.no_material_risk_changed",
            obj=measure,
            changes={
                "no_material_risk": [not value, value],
                "by": getattr(by, "pk", None),
                "at": timezone.now().isoformat(),
            },
        )
    return measure


@gates.criterion(DoI.DETAILED, key="risks_assessed", label="Risks assessed")
def risks_assessed(measure: Measure) -> str | None:
    # The query runs either way, so a gate panel costs the same whatever the statements say.
    recorded = Risk.objects.for_org(measure.organization_id).filter(measure_id=measure.pk).exists()
    if recorded or measure.no_material_risk:
        return None
    return "Assess the risks: record at least one risk, or state that there is no material risk."
