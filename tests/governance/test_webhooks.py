"""Webhooks end to end: a stage change reaches a real local HTTP server, signed as the README
says; failures are retried with backoff and logged; nothing is sent twice; private networks are
refused unless allowed; only subscribed endpoints of the event's organization receive it."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone

from governance.errors import Conflict, ValidationError
from governance.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from governance.tasks import webhook_deliver_task, webhook_sweep_task
from governance.webhooks import event, events, webhook_emit
from governance.webhooks.services import (
    BACKOFF,
    MAX_ATTEMPTS,
    delivery_redeliver,
    endpoint_create,
    endpoint_ping,
    endpoint_update,
)
from measures.models import DoI
from measures.services.stages import transition
from tests.factories import MeasureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]
README = Path(__file__).resolve().parents[2] / "README.md"


def documented_verify():
    """The ``verify`` function of README, "Verifying the signature", exactly as printed there."""
    text = README.read_text()
    section = text.split("#### Verifying the signature", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict = {}
    exec(code.group(1), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def subscribe(personas, url, events_=("measure.stage_changed",), organization=None, **extra):
    organization = organization or personas.org
    admin = personas.admin if organization == personas.org else personas.outsider
    return endpoint_create(
        organization=organization, url=url, events=list(events_), by=admin, **extra
    )


def measure_of(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )


def fresh(delivery: WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery.objects.for_org(delivery.organization_id).get(pk=delivery.pk)


def due_now(delivery: WebhookDelivery) -> None:
    """Let the backoff pass: the delivery's next attempt is now."""
    WebhookDelivery.objects.for_org(delivery.organization_id).filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_stage_change_reaches_a_subscribed_endpoint_signed(
    personas, receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = subscribe(personas, receiver.url)
    measure = measure_of(personas)
    with django_capture_on_commit_callbacks(execute=True):
        transition(measure, DoI.ON_HOLD, by=personas.owner)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = json.loads(request.body)
    delivery = WebhookDelivery.objects.for_org(personas.org).get(endpoint=endpoint)
    assert request.path == "/hooks/throughline"
    assert request.headers["X-Throughline-Event"] == "measure.stage_changed"
    assert request.headers["X-Throughline-Delivery"] == str(delivery.event_id) == body["id"]
    assert request.headers["Content-Type"] == "application/json"
    assert body["event"] == "measure.stage_changed"
    assert body["organization"] == "acme"
    data = body["data"]
    assert (data["measure_id"], data["code"], data["title"]) == (
        measure.pk,
        measure.code,
        measure.title,
    )
    assert (data["from"], data["to"], data["by"]) == ("defined", "on_hold", personas.owner.pk)
    assert dt.datetime.fromisoformat(data["at"])
    verify = documented_verify()
    signature = request.headers["X-Throughline-Signature"]
    assert verify(secret, request.body, signature)
    assert not verify(secret, request.body + b" ", signature)
    assert not verify("whsec_wrong", request.body, signature)
    assert delivery.state == DeliveryState.DELIVERED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (1, 200, "")
    assert delivery.response_excerpt == '{"ok": true}'
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_an_old_signature_is_refused_by_the_documented_recipe(personas):
    from governance.webhooks.signing import signature

    verify = documented_verify()
    old = int(timezone.now().timestamp()) - 3600
    assert not verify("whsec_x", b"{}", signature("whsec_x", b"{}", old))
    assert verify("whsec_x", b"{}", signature("whsec_x", b"{}", old + 3590))


def test_a_failed_attempt_is_retried_after_the_backoff_and_logged(
    personas, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    endpoint, _ = subscribe(personas, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        transition(measure_of(personas), DoI.ON_HOLD, by=personas.owner)
    delivery = WebhookDelivery.objects.for_org(personas.org).get(endpoint=endpoint)
    assert delivery.state == DeliveryState.PENDING
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error == "The endpoint answered HTTP 500."
    assert delivery.response_excerpt == "receiver says no"
    assert delivery.next_attempt_at == delivery.last_attempt_at + dt.timedelta(minutes=1)
    # Not due yet: the sweep leaves it alone, and an early message does not send it.
    assert webhook_sweep_task.delay().get() == 0
    early = webhook_deliver_task.delay(organization_id=personas.org.pk, delivery_id=delivery.pk)
    assert early.get() == "skipped"
    assert len(receiver.requests) == 1
    due_now(delivery)
    assert webhook_sweep_task.delay().get() == 1
    delivery = fresh(delivery)
    assert delivery.state == DeliveryState.DELIVERED
    assert (delivery.attempts, delivery.last_status_code, delivery.last_error) == (2, 200, "")
    assert len(receiver.requests) == 2
    # The same delivery, the same body and id on the retry.
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_delivery_fails_for_good_after_six_attempts_with_growing_pauses(
    personas, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [503] * 10
    endpoint, _ = subscribe(personas, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_emit(organization=personas.org, event="measure.stage_changed", payload={"x": 1})
    delivery = WebhookDelivery.objects.for_org(personas.org).get(endpoint=endpoint)
    pauses = []
    while fresh(delivery).state == DeliveryState.PENDING:
        current = fresh(delivery)
        pauses.append(current.next_attempt_at - current.last_attempt_at)
        due_now(delivery)
        webhook_sweep_task.delay().get()
    delivery = fresh(delivery)
    assert pauses == list(BACKOFF)
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 6
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 6
    assert webhook_sweep_task.delay().get() == 0


def test_a_delivered_delivery_is_never_sent_again(
    personas, receiver, django_capture_on_commit_callbacks
):
    subscribe(personas, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_emit(
            organization=personas.org, event="measure.stage_changed", payload={}
        )
    assert fresh(delivery).state == DeliveryState.DELIVERED
    due_now(delivery)  # even with a next attempt time that passed
    for _ in range(2):
        result = webhook_deliver_task.delay(
            organization_id=personas.org.pk, delivery_id=delivery.pk
        ).get()
        assert result == "delivered"
    assert webhook_sweep_task.delay().get() == 0
    assert len(receiver.requests) == 1
    assert fresh(delivery).attempts == 1


def test_a_lost_message_is_sent_by_the_sweep(personas, receiver):
    subscribe(personas, receiver.url)
    # No on-commit callbacks run here: as if the message to the worker was lost.
    (delivery,) = webhook_emit(organization=personas.org, event="measure.stage_changed", payload={})
    assert receiver.requests == []
    assert webhook_sweep_task.delay().get() == 1
    assert fresh(delivery).state == DeliveryState.DELIVERED
    assert len(receiver.requests) == 1


def test_only_active_subscribed_endpoints_of_the_organization_receive_the_event(
    personas, receiver, django_capture_on_commit_callbacks
):
    wanted, _ = subscribe(personas, receiver.url + "?to=wanted")
    subscribe(personas, receiver.url + "?to=off", is_active=False)
    subscribe(personas, receiver.url + "?to=other-event", events_=["case.opened"])
    subscribe(personas, receiver.url + "?to=globex", organization=personas.other_org)
    with django_capture_on_commit_callbacks(execute=True):
        transition(measure_of(personas), DoI.ON_HOLD, by=personas.owner)
    assert [request.path for request in receiver.requests] == ["/hooks/throughline?to=wanted"]
    assert list(
        WebhookDelivery.objects.for_org(personas.org).values_list("endpoint_id", flat=True)
    ) == [wanted.pk]
    assert not WebhookDelivery.objects.for_org(personas.other_org).exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_network_urls_are_refused_unless_allowed(personas, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(ValidationError) as refused:
        subscribe(personas, url)
    assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.for_org(personas.org).exists()
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    endpoint, _ = subscribe(personas, url)
    assert endpoint.url == url


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/hook", "file:///etc/passwd", "https://user:pw@example.com/", "example.com"],
)
def test_only_plain_http_and_https_urls_are_accepted(personas, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    with pytest.raises(ValidationError) as refused:
        subscribe(personas, url)
    assert "url" in refused.value.message_dict


def test_a_private_address_is_refused_again_at_delivery(
    personas, receiver, settings, django_capture_on_commit_callbacks
):
    subscribe(personas, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_emit(
            organization=personas.org, event="measure.stage_changed", payload={}
        )
    delivery = fresh(delivery)
    assert receiver.requests == []
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert "private" in delivery.last_error and delivery.last_status_code is None


def test_a_turned_off_endpoint_gets_no_waiting_delivery(personas, receiver):
    endpoint, _ = subscribe(personas, receiver.url)
    (delivery,) = webhook_emit(organization=personas.org, event="measure.stage_changed", payload={})
    endpoint_update(endpoint=endpoint, by=personas.admin, is_active=False)
    assert webhook_sweep_task.delay().get() == 1
    assert fresh(delivery).state == DeliveryState.FAILED
    assert receiver.requests == []


def test_ping_and_redelivery(personas, receiver, django_capture_on_commit_callbacks):
    endpoint, _ = subscribe(personas, receiver.url, events_=["case.decided"])
    with django_capture_on_commit_callbacks(execute=True):
        ping = endpoint_ping(endpoint=endpoint, by=personas.admin)
    assert fresh(ping).state == DeliveryState.DELIVERED
    assert receiver.requests[0].headers["X-Throughline-Event"] == "ping"
    with django_capture_on_commit_callbacks(execute=True):
        again = delivery_redeliver(delivery=fresh(ping), by=personas.admin)
    again = fresh(again)
    assert again.redelivery_of_id == ping.pk and again.event_id != ping.event_id
    assert again.state == DeliveryState.DELIVERED and len(receiver.requests) == 2
    pending = WebhookDelivery.objects.create(
        organization=personas.org, endpoint=endpoint, event="case.decided", payload={}
    )
    with pytest.raises(Conflict):
        delivery_redeliver(delivery=pending, by=personas.admin)


def test_only_administrators_manage_endpoints(personas):
    from governance.errors import AccessDenied

    with pytest.raises(AccessDenied):
        endpoint_create(
            organization=personas.org,
            url="https://hooks.example.com/",
            events=["case.opened"],
            by=personas.lead,
        )


def test_events_are_checked_against_the_registry(personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for bad in ([], ["case.nonsense"], ["ping"], "case.opened"):
        with pytest.raises(ValidationError) as refused:
            subscribe(personas, "https://hooks.example.com/", events_=bad)
        assert "events" in refused.value.message_dict
    with pytest.raises(ValueError):
        webhook_emit(organization=personas.org, event="case.nonsense", payload={})


def test_apps_register_their_own_events(monkeypatch):
    from governance.webhooks import registry

    monkeypatch.setattr(registry, "_EVENTS", dict(registry._EVENTS))
    assert event("approval.decided", "An approval request was decided.") == "approval.decided"
    assert events()["approval.decided"] == "An approval request was decided."
    with pytest.raises(ValueError):
        event("Not A Name", "…")
    with pytest.raises(ValueError):
        event("approval.decided", "Something else.")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_delivers_a_committed_stage_change(personas, receiver, celery_worker):
    endpoint, secret = subscribe(personas, receiver.url)
    transition(measure_of(personas), DoI.ON_HOLD, by=personas.owner)  # commits: a worker sends
    deadline = time.monotonic() + 30
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert documented_verify()(secret, request.body, request.headers["X-Throughline-Signature"])
    delivery = WebhookDelivery.objects.for_org(personas.org).get(endpoint=endpoint)
    while delivery.state == DeliveryState.PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
        delivery = fresh(delivery)
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
