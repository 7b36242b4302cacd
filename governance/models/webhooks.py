"""Outgoing webhooks: the endpoints an organization's integrators register, and every delivery.

An endpoint subscribes to event names (``governance.webhooks.registry``); each event emitted in the
organization becomes one ``WebhookDelivery`` per subscribed, active endpoint, sent by a worker,
retried with backoff and kept as the delivery log.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from governance.models.tenant import TenantModel


class WebhookEndpoint(TenantModel):
    """A URL that receives signed POSTs for the events it subscribes to."""

    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Kept as issued: the worker signs every body with it. Shown once, on creation.
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "is_active"], name="webhook_org_active_idx")
        ]

    def __str__(self) -> str:
        return self.description or self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(TenantModel):
    """One event for one endpoint: what was sent, how often, and how the endpoint answered."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=100)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    response_excerpt = models.TextField(blank=True)
    # A manual redelivery is a new delivery (a new id) of the same event and payload.
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event_id"], name="webhookdelivery_event_id_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "endpoint", "-id"], name="webhookdelivery_log_idx"
            ),
            models.Index(
                fields=["organization", "state", "next_attempt_at"],
                name="webhookdelivery_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id}"
