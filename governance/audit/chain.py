"""The hash chain of an organization's audit events: how an event is hashed, and how the next
position in the chain is claimed.

An event's hash is the SHA-256 of a canonical JSON text of its content and the previous event's
hash, so every event vouches for all events before it. The text is a JSON array (keys of
``changes`` sorted, no whitespace, UTF-8) of: organization id, seq, actor id (or null), action,
object type, object id, object representation, changes, the creation time in UTC in ISO format
with microseconds, and the previous hash.

Appending is serialized per organization, not globally: on PostgreSQL the writer takes a
transaction-scoped advisory lock keyed by the organization before it reads the chain's tail, so
two writers of one organization queue while writers of different organizations never wait for
each other. The lock is held until the writer's transaction ends, which is what keeps the read
tail current until the new event is committed. On SQLite the database's single write lock
serializes writers anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import connections

from governance.models import AuditEvent
from governance.models.audit import GENESIS_HASH

__all__ = ["AUDIT_LOCK_CLASS", "GENESIS_HASH", "canonical_text", "chain_tail", "event_hash"]

# The first key of the advisory lock: the namespace of "audit chain of organization N" locks.
AUDIT_LOCK_CLASS = 0x41554454  # "AUDT"
_INT4 = 2**31 - 1


def utc_iso(moment: dt.datetime) -> str:
    """``moment`` in UTC, ISO 8601 with microseconds: the timestamp as the hash reads it."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_text(
    *,
    organization_id: int,
    seq: int,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int,
    object_repr: str,
    changes: Any,
    created_at: dt.datetime,
    prev_hash: str,
) -> str:
    """The text an event's hash is taken of."""
    return json.dumps(
        [
            organization_id,
            seq,
            actor_id,
            action,
            object_type,
            object_id,
            object_repr,
            changes,
            utc_iso(created_at),
            prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def event_hash(**content: Any) -> str:
    """The SHA-256 (hex) of ``canonical_text(**content)``."""
    return hashlib.sha256(canonical_text(**content).encode()).hexdigest()


def hash_of(event: AuditEvent) -> str:
    """What ``event``'s hash must be, recomputed from its stored content."""
    return event_hash(
        organization_id=event.organization_id,
        seq=event.seq,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_repr=event.object_repr,
        changes=event.changes,
        created_at=event.created_at,
        prev_hash=event.prev_hash,
    )


def chain_tail(organization_id: int, *, using: str = "default") -> tuple[int, str]:
    """``(seq, hash)`` of the organization's last event (``(0, GENESIS_HASH)`` for none), after
    taking the organization's append lock. Call inside the transaction that appends."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Two int4 keys: ids past int4 share a lock with a smaller one, which only means
        # those two organizations queue behind each other.
        key = organization_id % _INT4 if organization_id > _INT4 else organization_id
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [AUDIT_LOCK_CLASS, key])
    last = (
        AuditEvent.objects.using(using)
        .for_org(organization_id)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return last if last is not None else (0, GENESIS_HASH)
