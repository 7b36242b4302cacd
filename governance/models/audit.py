"""The audit trail: one append-only event per write, chained per organization.

Each organization's events are numbered 1, 2, 3 … (``seq``) and each carries the SHA-256 of its
own content and of the previous event's hash (``governance.audit.chain``): an event changed,
removed or slipped in afterwards breaks the chain, and ``manage.py audit_verify`` names where.
On PostgreSQL a trigger also refuses every UPDATE and DELETE of the table (migration
``0007_audit_chain_sealed``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.models.tenant import TenantModel

# The previous hash of an organization's first event.
GENESIS_HASH = "0" * 64


class AuditEvent(TenantModel):
    """Who changed what, when: written by every service, never updated or deleted."""

    seq = models.PositiveBigIntegerField(
        editable=False, help_text="Position in the organization's chain: 1, 2, 3 …"
    )
    # PROTECT: the actor's id is part of the event's hash; a user with a history is deactivated,
    # never deleted (SET_NULL would rewrite the events and break the chain).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, help_text="app_label.model of the object.")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=250)
    changes = models.JSONField(default=dict, blank=True)
    # Set in Python when the event is written (not by the database): it is part of the hash.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "seq"], name="audit_org_seq_uniq"),
        ]
        indexes = [
            models.Index(
                fields=["organization", "object_type", "object_id", "seq"],
                name="audit_org_object_seq_idx",
            ),
            models.Index(fields=["organization", "created_at"], name="audit_org_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
