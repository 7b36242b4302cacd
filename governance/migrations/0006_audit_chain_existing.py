"""Chain the audit events written before the chain existed: per organization, in id order."""

from typing import Any

from django.db import migrations

CHUNK = 2_000


def chain_existing(apps: Any, schema_editor: Any) -> None:
    from governance.audit.chain import GENESIS_HASH, event_hash

    AuditEvent = apps.get_model("governance", "AuditEvent")
    events = AuditEvent.objects.using(schema_editor.connection.alias)
    organizations = events.order_by().values_list("organization_id", flat=True).distinct()
    for organization_id in list(organizations):
        seq, prev_hash, last_id = 0, GENESIS_HASH, 0
        while True:
            chunk = list(
                events.filter(organization_id=organization_id, id__gt=last_id).order_by("id")[
                    :CHUNK
                ]
            )
            if not chunk:
                break
            for event in chunk:
                seq += 1
                event.seq, event.prev_hash = seq, prev_hash
                event.hash = prev_hash = event_hash(
                    organization_id=organization_id,
                    seq=seq,
                    actor_id=event.actor_id,
                    action=event.action,
                    object_type=event.object_type,
                    object_id=event.object_id,
                    object_repr=event.object_repr,
                    changes=event.changes,
                    created_at=event.created_at,
                    prev_hash=event.prev_hash,
                )
            events.bulk_update(chunk, ["seq", "prev_hash", "hash"])
            last_id = chunk[-1].id


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_audit_chain_fields")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
