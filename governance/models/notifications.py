"""In-app notifications: one row per recipient, also sent by e-mail after the write commits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from governance.models.tenant import TenantModel


class Notification(TenantModel):
    """Something a person should know or act on: a request awaiting them, a decision on theirs.

    Organization-wide like members (no ``ACCESS_VIA``): a person reads only their own, by
    ``recipient``. ``object_type`` / ``object_id`` name what it is about (``app.model`` label).
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=60)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set once the e-mail went out (or was skipped for want of an address): sent once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "recipient", "id"], name="notification_inbox_idx"),
            models.Index(
                fields=["organization", "recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject
