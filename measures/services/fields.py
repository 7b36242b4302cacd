"""Rules about a measure's own fields, and the categories an organization offers.

The generic hierarchy services (``governance.services.hierarchy``) create and edit measures; the
rules only a measure has are registered here as a level rule.
"""

from __future__ import annotations

from typing import Any

from governance.models import Organization
from governance.services.hierarchy import level_rule
from measures.models.settings import DEFAULT_CATEGORIES, ImpactType, MeasureCategory

TEXT_LIMIT = 10_000
TEXT_FIELDS = ("business_reason", "expected_outcome", "evidence_requirements", "closure_criteria")


def category_seed_defaults(*, organization: Organization | int) -> None:
    """Give an organization the default categories once; idempotent and safe to race."""
    org_id = organization if isinstance(organization, int) else organization.pk
    if MeasureCategory.objects.for_org(org_id).exists():
        return
    MeasureCategory.objects.bulk_create(
        [
            MeasureCategory(organization_id=org_id, code=code, name=name)
            for code, name in DEFAULT_CATEGORIES
        ],
        ignore_conflicts=True,
    )


@level_rule("measure")
def measure_field_rules(values: dict[str, Any], organization_id: int) -> dict[str, list[str]]:
    """A measure's controller is never its owner; impact type and texts are sane."""
    errors: dict[str, list[str]] = {}
    owner, controller = values.get("owner"), values.get("controller")
    if owner is not None and controller is not None and owner.pk == controller.pk:
        errors["controller"] = [
            "The controller validates the owner's benefit: choose someone other than the owner."
        ]
    impact = values.get("impact_type")
    if impact and impact not in ImpactType.values:
        errors["impact_type"] = [f"Choose one of: {', '.join(ImpactType.labels)}."]
    for name in TEXT_FIELDS:
        text = values.get(name)
        if isinstance(text, str) and len(text) > TEXT_LIMIT:
            errors[name] = [f"Keep this to {TEXT_LIMIT:,} characters."]
    return errors
