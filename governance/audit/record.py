"""Writing the audit trail. Every service calls ``audit_record`` (or ``audit_record_many`` for a
batch) inside its transaction; nothing else writes ``AuditEvent`` rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from governance.audit.chain import chain_tail, event_hash
from governance.models import AuditEvent, Organization


def json_ready(value: Any) -> Any:
    """``value`` as JSON can hold it: a row as its id, a date as ISO 8601, an amount as its
    exact string, lists and dicts item by item."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    return value


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs, in JSON-ready form."""
    return {
        name: [json_ready(before.get(name)), json_ready(after[name])]
        for name in after
        if json_ready(before.get(name)) != json_ready(after[name])
    }


@dataclass(frozen=True)
class AuditEntry:
    """One event to append: what happened to which object."""

    action: str
    object_type: str
    object_id: int
    object_repr: str
    changes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls, *, action: str, obj: models.Model, changes: dict[str, Any] | None = None
    ) -> AuditEntry:
        """The entry for a loaded object."""
        return cls(
            action=action,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            object_repr=str(obj)[:250],
            changes=changes or {},
        )


def _stored_form(changes: dict[str, Any]) -> Any:
    # What the JSON column gives back (keys as strings, tuples as lists): the hash is taken of
    # that, so a verification of the stored row recomputes the same text.
    return json.loads(json.dumps(changes or {}))


def audit_record_many(
    *,
    actor: Any,
    organization_id: int,
    entries: Sequence[AuditEntry],
    batch_size: int = 2_000,
) -> list[AuditEvent]:
    """Append ``entries`` to the organization's chain in order: one lock, one read of the tail,
    one bulk insert. Runs in (and holds the chain until the end of) the caller's transaction."""
    if not entries:
        return []
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    with transaction.atomic():
        seq, prev_hash = chain_tail(organization_id)
        created_at = timezone.now()
        events: list[AuditEvent] = []
        for entry in entries:
            seq += 1
            changes = _stored_form(entry.changes)
            object_repr = entry.object_repr[:250]
            digest = event_hash(
                organization_id=organization_id,
                seq=seq,
                actor_id=actor_id,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                object_repr=object_repr,
                changes=changes,
                created_at=created_at,
                prev_hash=prev_hash,
            )
            events.append(
                AuditEvent(
                    organization_id=organization_id,
                    seq=seq,
                    actor_id=actor_id,
                    action=entry.action,
                    object_type=entry.object_type,
                    object_id=entry.object_id,
                    object_repr=object_repr,
                    changes=changes,
                    created_at=created_at,
                    prev_hash=prev_hash,
                    hash=digest,
                )
            )
            prev_hash = digest
        return AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def audit_record(
    *, actor: Any, action: str, obj: models.Model, changes: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one audit event for ``obj`` (which must carry ``organization_id``)."""
    organization_id = obj.pk if isinstance(obj, Organization) else obj.organization_id  # type: ignore[attr-defined]
    [event] = audit_record_many(
        actor=actor,
        organization_id=organization_id,
        entries=[AuditEntry.of(action=action, obj=obj, changes=changes)],
    )
    return event
