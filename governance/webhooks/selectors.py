"""Reads of the webhooks pages and API: endpoints with their latest news, and delivery logs."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from governance.access import restrict
from governance.models import DeliveryState, Organization, WebhookDelivery, WebhookEndpoint


def endpoints_administered(user: Any, organization: Organization) -> QuerySet[WebhookEndpoint]:
    """The organization's endpoints, for who administers it (no rows for anyone else)."""
    return restrict(
        WebhookEndpoint.objects.all(), user, "administer", organization=organization
    ).order_by("-created_at", "-pk")


def endpoints_with_counts(user: Any, organization: Organization) -> QuerySet[WebhookEndpoint]:
    """Endpoints with how many deliveries are pending and failed, and when the last was made."""
    return endpoints_administered(user, organization).annotate(
        pending_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED)),
        last_delivery_at=Max("deliveries__created_at"),
    )


def deliveries_of(endpoint: WebhookEndpoint, *, state: str = "") -> QuerySet[WebhookDelivery]:
    """The delivery log of one endpoint, newest first, optionally of one state."""
    rows = WebhookDelivery.objects.for_org(endpoint.organization_id).filter(endpoint=endpoint)
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-id")
