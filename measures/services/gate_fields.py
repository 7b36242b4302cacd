"""The gate criteria about a measure's own fields, and an organization's tightening of them.

Defaults (every organization): → Identified needs an owner, a business reason, an expected
outcome and a category; → Detailed needs a sponsor, a controller, a business unit, a function and
written evidence requirements. An org admin can require more fields before any forward stage
(``gate_settings_update``); the defaults cannot be relaxed.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from governance.access import require
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import Organization
from measures.gates import Item, criterion
from measures.models.settings import GateSettings
from measures.models.stages import DOI_ORDER, DoI

DEFAULT_REQUIRED: dict[str, tuple[str, ...]] = {
    DoI.IDENTIFIED: ("owner", "business_reason", "expected_outcome", "category"),
    DoI.DETAILED: ("sponsor", "controller", "business_unit", "function", "evidence_requirements"),
}

# What an organization may add to a gate, with the checklist label and the unmet message.
FIELD_TEXT: dict[str, tuple[str, str]] = {
    "owner": ("Owner named", "Name the owner."),
    "sponsor": ("Sponsor named", "Name the sponsor."),
    "controller": ("Controller named", "Name the controller who will validate the benefit."),
    "business_unit": ("Business unit chosen", "Choose the business unit."),
    "function": ("Function chosen", "Choose the function."),
    "legal_entity": ("Legal entity chosen", "Choose the legal entity."),
    "category": ("Category chosen", "Choose the category."),
    "impact_type": ("Impact type chosen", "Choose the impact type."),
    "business_reason": ("Business reason written", "Write the business reason."),
    "expected_outcome": ("Expected outcome written", "Write the expected outcome."),
    "evidence_requirements": (
        "Evidence requirements written",
        "Write the evidence requirements.",
    ),
    "closure_criteria": ("Closure criteria written", "Write the closure criteria."),
    "description": ("Description written", "Write the description."),
    "start_date": ("Start date set", "Set the start date."),
    "end_date": ("End date set", "Set the end date."),
    "target_value": ("Target value set", "Set the target value."),
    "budget": ("Budget set", "Set the budget."),
}
# Forward stages a gate guards (Defined is where a measure starts).
GATED_STAGES: tuple[str, ...] = DOI_ORDER[1:]


def gate_settings_of(measure: Any) -> GateSettings | None:
    """The organization's gate settings, read once per loaded measure."""
    if "_gate_settings" not in measure.__dict__:
        measure.__dict__["_gate_settings"] = GateSettings.objects.for_org(
            measure.organization_id
        ).first()
    settings: GateSettings | None = measure.__dict__["_gate_settings"]
    return settings


def _filled(measure: Any, name: str) -> bool:
    field = measure._meta.get_field(name)
    value = getattr(measure, field.attname)
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def required_fields(measure: Any, stage: str) -> list[Item]:
    """One checklist item per field required before ``stage``: defaults, then the org's extras."""
    settings = gate_settings_of(measure)
    defaults = DEFAULT_REQUIRED.get(stage, ())
    extras = [
        name
        for name in (settings.required(stage) if settings else [])
        if name in FIELD_TEXT and name not in defaults
    ]
    items = []
    for name in (*defaults, *extras):
        label, message = FIELD_TEXT[name]
        if name in extras:
            label = f"{label} (your organization's rule)"
        items.append(
            Item(key=name, label=label, problem=None if _filled(measure, name) else message)
        )
    return items


def _register(stage: str) -> None:
    @criterion(stage, key="required_fields", label="Required fields")
    def check(measure: Any) -> list[Item]:
        return required_fields(measure, stage)


for _stage in GATED_STAGES:
    _register(_stage)


def gate_settings_update(
    *, organization: Organization, by: Any, extra_fields: dict[str, Any]
) -> GateSettings:
    """Set the fields an organization requires on top of the defaults, per stage."""
    errors: list[str] = []
    cleaned: dict[str, list[str]] = {}
    if not isinstance(extra_fields, dict):
        raise ValidationError({"extra_fields": ["Give the fields per stage."]})
    for stage, names in extra_fields.items():
        if stage not in GATED_STAGES:
            errors.append(f"{stage} is not a stage a gate guards.")
            continue
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            errors.append(f"Give the fields of {stage} as a list of names.")
            continue
        unknown = sorted(set(names) - set(FIELD_TEXT))
        if unknown:
            errors.append(f"A gate cannot require {', '.join(unknown)}.")
            continue
        wanted = [
            name for name in dict.fromkeys(names) if name not in DEFAULT_REQUIRED.get(stage, ())
        ]
        if wanted:
            cleaned[stage] = wanted
    if errors:
        raise ValidationError({"extra_fields": errors})
    with transaction.atomic():
        require(by, "administer", organization)
        settings, _ = GateSettings.objects.select_for_update().get_or_create(
            organization=organization
        )
        before = settings.extra_fields
        if before == cleaned:
            return settings
        settings.extra_fields = cleaned
        settings.version += 1
        settings.save()
        audit_record(
            actor=by,
            action="gates.tightened",
            obj=settings,
            changes={"extra_fields": [before, cleaned]},
        )
    return settings
