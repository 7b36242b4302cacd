"""The audit trail: one append-only event per write."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.models.tenant import TenantModel


class AuditEvent(TenantModel):
    """Who changed what, when: written by every service, never updated or deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60, help_text="app_label.model of the object.")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=250)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "object_type", "object_id"], name="audit_org_object_idx"
            ),
            models.Index(fields=["organization", "created_at"], name="audit_org_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
