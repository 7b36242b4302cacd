"""Writing the audit trail. Every service calls ``audit_record`` inside its transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from governance.models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs, in JSON-ready form."""
    return {
        name: [_jsonable(before.get(name)), _jsonable(after[name])]
        for name in after
        if _jsonable(before.get(name)) != _jsonable(after[name])
    }


def audit_record(
    *, actor: Any, action: str, obj: models.Model, changes: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one audit event for ``obj`` (which must carry ``organization_id``)."""
    return AuditEvent.objects.create(
        organization_id=obj.organization_id,  # type: ignore[attr-defined]
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:250],
        changes=changes or {},
    )
