"""The webhook pages: org admins list, create (the secret shown once), edit, delete, test and
read each endpoint's delivery log; every other member gets 403, other organizations 404."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from governance.models import DeliveryState, WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def endpoint_in(organization, url="https://hooks.example.com/erp", **extra):
    values = {"secret": "whsec_page", "events": ["measure.stage_changed"], **extra}
    return WebhookEndpoint.objects.create(organization=organization, url=url, **values)


def deliveries(endpoint, count, state=DeliveryState.DELIVERED):
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            organization_id=endpoint.organization_id,
            endpoint=endpoint,
            event="measure.stage_changed",
            payload={"n": n},
            state=state,
            attempts=1,
            last_status_code=200 if state == DeliveryState.DELIVERED else 500,
            delivered_at=timezone.now() if state == DeliveryState.DELIVERED else None,
        )
        for n in range(count)
    )


def test_admin_creates_a_webhook_and_sees_its_secret_once(client, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    client.force_login(personas.admin)
    response = client.post(
        "/o/acme/settings/webhooks/new/",
        {
            "url": "https://hooks.example.com/erp",
            "description": "ERP",
            "events": ["measure.stage_changed", "case.opened"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/o/acme/settings/webhooks/"
    endpoint = WebhookEndpoint.objects.for_org(personas.org).get()
    assert endpoint.events == ["case.opened", "measure.stage_changed"]
    assert endpoint.created_by == personas.admin
    page = client.get("/o/acme/settings/webhooks/").content.decode()
    assert endpoint.secret in page and "Copy the signing secret now" in page
    again = client.get("/o/acme/settings/webhooks/").content.decode()
    assert endpoint.secret not in again and "https://hooks.example.com/erp" in again


def test_the_form_keeps_input_and_marks_errors(client, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    client.force_login(personas.admin)
    response = client.post(
        "/o/acme/settings/webhooks/new/",
        {"url": "http://127.0.0.1:9000/hook", "description": "Local", "events": ["case.opened"]},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'value="http://127.0.0.1:9000/hook"' in page and 'value="Local"' in page
    assert "is-invalid" in page and "private" in page
    assert re.search(r'value="case.opened" id="id_events_\d+" checked', page)
    response = client.post("/o/acme/settings/webhooks/new/", {"url": "https://x.example.com/"})
    assert response.status_code == 422
    assert 'id="id_events_error"' in response.content.decode()
    assert not WebhookEndpoint.objects.for_org(personas.org).exists()


def test_admin_edits_and_turns_off_a_webhook(client, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    endpoint = endpoint_in(personas.org)
    client.force_login(personas.admin)
    page = client.get(f"/o/acme/settings/webhooks/{endpoint.pk}/").content.decode()
    assert 'value="https://hooks.example.com/erp"' in page
    response = client.post(
        f"/o/acme/settings/webhooks/{endpoint.pk}/",
        {"url": "https://hooks.example.com/v2", "events": ["case.decided"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.is_active) == (
        "https://hooks.example.com/v2",
        ["case.decided"],
        False,
    )
    assert endpoint.version == 2 and endpoint.secret == "whsec_page"


def test_admin_deletes_a_webhook_after_confirming(client, personas):
    endpoint = endpoint_in(personas.org)
    deliveries(endpoint, 2)
    client.force_login(personas.admin)
    page = client.get(f"/o/acme/settings/webhooks/{endpoint.pk}/delete/").content.decode()
    assert "Delete webhook" in page
    response = client.post(f"/o/acme/settings/webhooks/{endpoint.pk}/delete/")
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.for_org(personas.org).exists()
    assert not WebhookDelivery.objects.for_org(personas.org).exists()


def test_send_test_delivers_a_ping_shown_in_the_log(
    client, personas, receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_in(personas.org, url=receiver.url)
    client.force_login(personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/acme/settings/webhooks/{endpoint.pk}/ping/")
    assert response["Location"] == f"/o/acme/settings/webhooks/{endpoint.pk}/deliveries/"
    assert receiver.requests[0].headers["X-Throughline-Event"] == "ping"
    page = client.get(response["Location"]).content.decode()
    ping = WebhookDelivery.objects.for_org(personas.org).get()
    assert str(ping.event_id) in page and "Delivered" in page


def test_the_delivery_log_pages_newest_first_and_filters_by_state(
    client, personas, django_assert_max_num_queries
):
    endpoint = endpoint_in(personas.org)
    deliveries(endpoint, 3)
    failed = deliveries(endpoint, 1, state=DeliveryState.FAILED)[0]
    client.force_login(personas.admin)
    url = f"/o/acme/settings/webhooks/{endpoint.pk}/deliveries/"
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    deliveries(endpoint, 60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url).content.decode()
    assert "Page 1 of 3" in page
    newest = WebhookDelivery.objects.for_org(personas.org).order_by("-id")[:3]
    first, second, third = (page.index(str(row.event_id)) for row in newest)
    assert first < second < third
    only_failed = client.get(url, {"state": "failed"}).content.decode()
    assert str(failed.event_id) in only_failed and "Page 1 of" not in only_failed
    assert only_failed.count("badge text-bg-danger") == 1


def test_the_list_page_reads_in_a_constant_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    deliveries(endpoint_in(personas.org), 2)
    client.force_login(personas.admin)
    with django_assert_max_num_queries(20) as small:
        client.get("/o/acme/settings/webhooks/")
    for n in range(5):
        deliveries(endpoint_in(personas.org, url=f"https://hooks.example.com/{n}"), 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get("/o/acme/settings/webhooks/").content.decode()
    assert page.count("Delivery log<span") == 6


def test_redeliver_sends_a_finished_delivery_again(client, personas):
    endpoint = endpoint_in(personas.org)
    (done,) = deliveries(endpoint, 1)
    client.force_login(personas.admin)
    url = f"/o/acme/settings/webhooks/{endpoint.pk}/deliveries/{done.pk}/redeliver/"
    response = client.post(url)
    assert response.status_code == 302
    again = WebhookDelivery.objects.for_org(personas.org).exclude(pk=done.pk).get()
    assert again.redelivery_of_id == done.pk and again.state == DeliveryState.PENDING
    # Still pending: not sent a second time, and the page says why.
    response = client.post(
        f"/o/acme/settings/webhooks/{endpoint.pk}/deliveries/{again.pk}/redeliver/", follow=True
    )
    assert "still being tried" in response.content.decode()
    assert WebhookDelivery.objects.for_org(personas.org).count() == 2


@pytest.mark.parametrize("persona", ["lead", "executive", "viewer", "owner"])
def test_other_members_may_not_open_the_webhook_pages(client, personas, persona):
    endpoint = endpoint_in(personas.org)
    client.force_login(getattr(personas, persona))
    for url in (
        "/o/acme/settings/webhooks/",
        "/o/acme/settings/webhooks/new/",
        f"/o/acme/settings/webhooks/{endpoint.pk}/",
        f"/o/acme/settings/webhooks/{endpoint.pk}/deliveries/",
    ):
        assert client.get(url).status_code == 403, url
    page = client.get("/o/acme/").content.decode()
    assert "/o/acme/settings/webhooks/" not in page


def test_another_organizations_webhook_does_not_exist_here(client, personas):
    foreign = endpoint_in(personas.other_org)
    client.force_login(personas.admin)
    assert client.get(f"/o/acme/settings/webhooks/{foreign.pk}/").status_code == 404
    assert client.get(f"/o/acme/settings/webhooks/{foreign.pk}/deliveries/").status_code == 404
    assert client.post(f"/o/acme/settings/webhooks/{foreign.pk}/delete/").status_code == 404
    client.force_login(personas.outsider)
    assert client.get("/o/acme/settings/webhooks/").status_code == 404
