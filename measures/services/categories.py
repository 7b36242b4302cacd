"""An organization's measure categories: added, renamed, archived and restored by its admins.

Archiving keeps the category on the measures that have it but stops offering it on the form;
restoring offers it again. Names are unique per organization, whatever their case.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from governance.access import require
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import Organization
from measures.models.settings import MeasureCategory
from measures.services.fields import category_seed_defaults

NAME_LIMIT = 100


def _clean_name(organization_id: int, name: Any, exclude: int | None = None) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationError({"name": ["Give the category a name."]})
    if len(text) > NAME_LIMIT:
        raise ValidationError({"name": [f"Keep the name within {NAME_LIMIT} characters."]})
    taken = MeasureCategory.objects.for_org(organization_id).filter(name__iexact=text)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": [f"There is already a category named {text!r}."]})
    return text


def _code_for(organization_id: int, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:24] or "category"
    codes = set(
        MeasureCategory.objects.for_org(organization_id)
        .filter(code__startswith=base)
        .values_list("code", flat=True)
    )
    code, suffix = base, 2
    while code in codes:
        code, suffix = f"{base}_{suffix}", suffix + 1
    return code


def category_create(*, organization: Organization, by: Any, name: Any) -> MeasureCategory:
    """Add a category; its code is made from the name."""
    with transaction.atomic():
        require(by, "administer", organization)
        category_seed_defaults(organization=organization)
        text = _clean_name(organization.pk, name)
        category = MeasureCategory.objects.create(
            organization=organization, code=_code_for(organization.pk, text), name=text
        )
        audit_record(
            actor=by, action="category.created", obj=category, changes={"name": [None, text]}
        )
    return category


def category_rename(*, category: MeasureCategory, by: Any, name: Any) -> MeasureCategory:
    """Rename a category; measures keep it under the new name."""
    with transaction.atomic():
        category = (
            MeasureCategory.objects.for_org(category.organization_id)
            .select_for_update()
            .get(pk=category.pk)
        )
        require(by, "administer", category.organization)
        text = _clean_name(category.organization_id, name, exclude=category.pk)
        if text == category.name:
            return category
        before, category.name = category.name, text
        category.save(update_fields=["name"])
        audit_record(
            actor=by, action="category.renamed", obj=category, changes={"name": [before, text]}
        )
    return category


def category_set_archived(*, category: MeasureCategory, by: Any, archived: bool) -> MeasureCategory:
    """Archive (no longer offered) or restore a category."""
    with transaction.atomic():
        category = (
            MeasureCategory.objects.for_org(category.organization_id)
            .select_for_update()
            .get(pk=category.pk)
        )
        require(by, "administer", category.organization)
        if category.archived == archived:
            return category
        if archived and not (
            MeasureCategory.objects.for_org(category.organization_id)
            .filter(archived=False)
            .exclude(pk=category.pk)
            .exists()
        ):
            raise ValidationError({"category": ["Keep at least one category offered."]})
        category.archived = archived
        category.save(update_fields=["archived"])
        audit_record(
            actor=by,
            action="category.archived" if archived else "category.restored",
            obj=category,
            changes={"archived": [not archived, archived]},
        )
    return category


__all__ = ["category_create", "category_rename", "category_set_archived"]
