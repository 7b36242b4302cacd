"""Every write of the webhooks: endpoints (administered), emitting events, delivering them.

- Endpoints are the organization administrators' (``administer`` on the organization).
- ``webhook_emit`` runs in the caller's transaction: the deliveries exist exactly when the
  change that caused them commits, and a worker is asked to send each after that commit.
- ``delivery_attempt`` sends one delivery once, under a row lock held across the POST: a second
  worker running the same delivery skips it, and a delivered delivery is never sent again.
  A failed attempt is retried after ``BACKOFF``; the sweep (``deliveries_requeue``) sends what is
  due, so a lost message delays a delivery but never loses it.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import time
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from governance.access import require
from governance.audit import audit_record, field_changes
from governance.errors import Conflict, StaleVersion, ValidationError
from governance.models import (
    DeliveryState,
    Organization,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.rls import tenant_scope
from governance.webhooks import network
from governance.webhooks.registry import PING, is_event
from governance.webhooks.signing import secret_new, signature

# Waits before the 2nd … 6th attempt; after the 6th failure the delivery is failed for good.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 5.0
MAX_DESCRIPTION = 200
MAX_ERROR = 300
SWEEP_BATCH = 500
USER_AGENT = "Throughline-Webhooks/1"


# --- endpoints ----------------------------------------------------------------------------------


def _clean(url: Any, events: Any, description: Any) -> tuple[str, list[str], str]:
    """The endpoint's values checked, or one ``ValidationError`` listing every problem."""
    errors: dict[str, list[str]] = {}
    url = str(url or "").strip()
    description = str(description or "").strip()
    try:
        network.destination_check(url)
    except network.DestinationRefused as refused:
        errors["url"] = [str(refused)]
    if not isinstance(events, list | tuple) or not all(isinstance(e, str) for e in events):
        errors["events"] = ["Choose the events as a list of names."]
        events = []
    chosen = list(dict.fromkeys(events))
    unknown = [name for name in chosen if not is_event(name)]
    if unknown:
        errors["events"] = [f"Unknown event: {', '.join(sorted(unknown))}."]
    elif not chosen and "events" not in errors:
        errors["events"] = ["Choose at least one event."]
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"Keep the description to {MAX_DESCRIPTION} characters."]
    if "\x00" in description:
        errors["description"] = ["The description contains a character that is not text."]
    if errors:
        raise ValidationError(errors)
    return url, sorted(chosen), description


def endpoint_create(
    *,
    organization: Organization,
    url: str,
    events: list[str],
    description: str = "",
    is_active: bool = True,
    by: Any,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is shown only now."""
    require(by, "administer", organization)
    url, events, description = _clean(url, events, description)
    secret = secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            description=description,
            secret=secret,
            events=events,
            is_active=bool(is_active),
            created_by=by if getattr(by, "pk", None) else None,
        )
        audit_record(
            actor=by,
            action="webhook.created",
            obj=endpoint,
            changes={"url": url, "events": events, "is_active": endpoint.is_active},
        )
    return endpoint, secret


def _locked(endpoint: WebhookEndpoint, by: Any, expected_version: int | None) -> WebhookEndpoint:
    current = (
        WebhookEndpoint.objects.for_org(endpoint.organization_id)
        .select_for_update()
        .filter(pk=endpoint.pk)
        .first()
    )
    if current is None:
        raise WebhookEndpoint.DoesNotExist(f"No webhook {endpoint.pk}.")
    require(by, "administer", current)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current.version)
    return current


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    by: Any,
    expected_version: int | None = None,
    **changes: Any,
) -> WebhookEndpoint:
    """Change an endpoint's URL, description, events or whether it is active (PATCH-like)."""
    allowed = {"url", "description", "events", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    with transaction.atomic():
        current = _locked(endpoint, by, expected_version)
        before = {name: getattr(current, name) for name in allowed}
        merged = {**before, **changes}
        url, events, description = _clean(merged["url"], merged["events"], merged["description"])
        after = {
            "url": url,
            "description": description,
            "events": events,
            "is_active": bool(merged["is_active"]),
        }
        diff = field_changes(before, after)
        if diff:
            for name, value in after.items():
                setattr(current, name, value)
            current.version += 1
            current.save()
            audit_record(actor=by, action="webhook.changed", obj=current, changes=diff)
    return current


def endpoint_delete(
    *, endpoint: WebhookEndpoint, by: Any, expected_version: int | None = None
) -> None:
    """Remove an endpoint with its delivery log; nothing is sent to it any more."""
    with transaction.atomic():
        current = _locked(endpoint, by, expected_version)
        audit_record(actor=by, action="webhook.deleted", obj=current, changes={"url": current.url})
        current.delete()


# --- emitting -----------------------------------------------------------------------------------


def _enqueue(organization_id: int, delivery_id: int) -> None:
    from governance.tasks import webhook_deliver_task

    webhook_deliver_task.delay(organization_id=organization_id, delivery_id=delivery_id)


def _jsonable(payload: Any) -> Any:
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def _deliver(endpoint: WebhookEndpoint, event: str, payload: Any, **extra: Any) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        organization_id=endpoint.organization_id,
        endpoint=endpoint,
        event=event,
        payload=payload,
        next_attempt_at=timezone.now(),
        **extra,
    )
    transaction.on_commit(partial(_enqueue, endpoint.organization_id, delivery.pk))
    return delivery


def webhook_emit(
    *, organization: Organization | int, event: str, payload: dict[str, Any]
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of the organization subscribed to it.

    Call it inside the transaction of the change it reports: the deliveries commit (and are
    sent) with that change, or not at all. ``payload`` becomes the ``data`` of the body.
    """
    if not is_event(event):
        raise ValueError(f"{event!r} is not a registered webhook event.")
    org_id = organization if isinstance(organization, int) else organization.pk
    data = _jsonable(payload)
    with transaction.atomic():
        # Few endpoints per organization; filtering the list here works on every database.
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.for_org(org_id).filter(is_active=True)
            if event in endpoint.events
        ]
        return [_deliver(endpoint, event, data) for endpoint in endpoints]


def endpoint_ping(*, endpoint: WebhookEndpoint, by: Any) -> WebhookDelivery:
    """Send a ``ping`` event to one endpoint, to check it receives and verifies webhooks."""
    with transaction.atomic():
        current = _locked(endpoint, by, None)
        delivery = _deliver(
            current,
            PING,
            {"webhook": current.pk, "message": "A test from Throughline.", "by": by.pk},
        )
        audit_record(actor=by, action="webhook.pinged", obj=current)
    return delivery


def delivery_redeliver(*, delivery: WebhookDelivery, by: Any) -> WebhookDelivery:
    """Send a delivered or failed delivery's event again, as a new delivery with a new id."""
    with transaction.atomic():
        current = _locked(delivery.endpoint, by, None)
        if delivery.state == DeliveryState.PENDING:
            raise Conflict("The delivery is still being tried: wait for it to end first.")
        again = _deliver(current, delivery.event, delivery.payload, redelivery_of=delivery)
        audit_record(
            actor=by,
            action="webhook.redelivered",
            obj=current,
            changes={"delivery": str(delivery.event_id), "new_delivery": str(again.event_id)},
        )
    return again


# --- delivering ---------------------------------------------------------------------------------


def envelope(delivery: WebhookDelivery, organization_slug: str) -> bytes:
    """The body of a delivery: the same bytes on every attempt."""
    document = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "organization": organization_slug,
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def _send(delivery: WebhookDelivery, body: bytes) -> tuple[int | None, str, str]:
    """``(status, response excerpt, error)`` of one POST."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Throughline-Event": delivery.event,
        "X-Throughline-Delivery": str(delivery.event_id),
        "X-Throughline-Signature": signature(delivery.endpoint.secret, body, int(time.time())),
    }
    try:
        answer = network.post(delivery.endpoint.url, body, headers, timeout=TIMEOUT_SECONDS)
    except network.DestinationRefused as refused:
        return None, "", str(refused)
    except TimeoutError:
        return None, "", f"No answer within {TIMEOUT_SECONDS:g} seconds."
    except (OSError, http.client.HTTPException) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"
    error = "" if 200 <= answer.status < 300 else f"The endpoint answered HTTP {answer.status}."
    return answer.status, answer.excerpt, error


def delivery_attempt(*, organization_id: int, delivery_id: int) -> str:
    """Send one delivery if it is pending and due; returns its state afterwards (or "skipped").

    The row stays locked across the POST: a worker that picks up the same delivery meanwhile
    skips it. Holding a transaction for up to ``TIMEOUT_SECONDS`` is the price of that, and of
    a crash mid-POST leaving the delivery pending for the sweep rather than lost.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.for_org(organization_id)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "skipped"  # gone with its endpoint, or being sent right now
        now = timezone.now()
        if delivery.state != DeliveryState.PENDING:
            return str(delivery.state)
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return "skipped"  # an early duplicate: the sweep sends it when due
        if not delivery.endpoint.is_active and delivery.event != PING:
            delivery.state = DeliveryState.FAILED
            delivery.last_error = "The webhook was turned off before the event could be sent."
            delivery.next_attempt_at = None
            delivery.save()
            return str(delivery.state)
        slug = Organization.objects.values_list("slug", flat=True).get(pk=organization_id)
        status, excerpt, error = _send(delivery, envelope(delivery, slug))
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.last_status_code = status
        delivery.response_excerpt = excerpt
        delivery.last_error = error[:MAX_ERROR]
        if not error:
            delivery.state = DeliveryState.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        delivery.save()
        return str(delivery.state)


def deliveries_requeue(*, now: dt.datetime | None = None) -> int:
    """Ask a worker to send every pending delivery that is due, in every organization.

    One scoped query per organization: under row-level security a worker sees one
    organization's rows at a time.
    """
    now = now or timezone.now()
    due: list[tuple[int, int]] = []
    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        with tenant_scope(organization_id):
            ids = (
                WebhookDelivery.objects.for_org(organization_id)
                .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:SWEEP_BATCH]
            )
            due += [(organization_id, pk) for pk in ids]
    for organization_id, pk in due:
        _enqueue(organization_id, pk)
    return len(due)


__all__ = [
    "BACKOFF",
    "MAX_ATTEMPTS",
    "deliveries_requeue",
    "delivery_attempt",
    "delivery_redeliver",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_ping",
    "endpoint_update",
    "envelope",
    "webhook_emit",
]
