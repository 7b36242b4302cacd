"""The webhooks API: org admins manage endpoints (secret in the create answer only, If-Match on
writes), read the delivery log and redeliver; other members get 403, other tenants 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from governance.models import AuditEvent, DeliveryState, WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]
BASE = "/api/v1/orgs/acme/webhooks/"


@pytest.fixture(autouse=True)
def no_name_lookups(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def create(api, **body):
    values = {"url": "https://hooks.example.com/erp", "events": ["measure.stage_changed"], **body}
    return api.post(BASE, values, format="json")


def test_admin_creates_a_webhook_and_gets_the_secret_once(api_as, personas):
    api = api_as(personas.admin)
    response = create(api, description="ERP")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and response["ETag"] == '"1"'
    endpoint = WebhookEndpoint.objects.for_org(personas.org).get()
    assert endpoint.secret == body["secret"]
    listed = api.get(BASE).json()["results"]
    assert [row["id"] for row in listed] == [endpoint.pk]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"{BASE}{endpoint.pk}/").json()
    assert AuditEvent.objects.for_org(personas.org).filter(action="webhook.created").exists()


def test_invalid_input_answers_every_field_error(api_as, personas, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    response = create(api_as(personas.admin), url="http://10.0.0.1/", events=["nope"])
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"url", "events"}
    response = create(api_as(personas.admin), events=["", "x" * 200])
    assert response.status_code == 400
    assert all(isinstance(m, str) for m in response.json()["errors"]["events"])


def test_writes_are_guarded_by_if_match(api_as, personas):
    api = api_as(personas.admin)
    endpoint_id = create(api).json()["id"]
    url = f"{BASE}{endpoint_id}/"
    stale = api.patch(url, {"is_active": False}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    changed = api.patch(url, {"is_active": False}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    assert changed.json()["is_active"] is False
    replaced = api.put(
        url,
        {"url": "https://hooks.example.com/v2", "events": ["case.opened"]},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert replaced.status_code == 200
    assert replaced.json()["events"] == ["case.opened"] and replaced.json()["is_active"] is True
    assert api.delete(url, HTTP_IF_MATCH='"2"').status_code == 412
    assert api.delete(url, HTTP_IF_MATCH='"3"').status_code == 204
    assert not WebhookEndpoint.objects.for_org(personas.org).exists()


def test_delivery_log_pages_newest_first_filters_and_redelivers(api_as, personas):
    api = api_as(personas.admin)
    endpoint = WebhookEndpoint.objects.for_org(personas.org).get(pk=create(api).json()["id"])
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            organization=personas.org,
            endpoint=endpoint,
            event="measure.stage_changed",
            state=state,
            delivered_at=timezone.now() if state == "delivered" else None,
        )
        for state in ["delivered", "failed", "pending"] * 3
    )
    url = f"{BASE}{endpoint.pk}/deliveries/"
    first = api.get(url, {"page_size": 4}).json()
    second = api.get(first["next"]).json()
    seen = [row["id"] for row in first["results"] + second["results"]]
    assert seen == sorted((row.pk for row in rows), reverse=True)[:8]
    failed = api.get(url, {"state": "failed"}).json()["results"]
    assert {row["state"] for row in failed} == {"failed"} and len(failed) == 3
    assert api.get(url, {"state": "lost"}).status_code == 400
    response = api.post(f"{url}{failed[0]['id']}/redeliver/")
    assert response.status_code == 202
    assert response.json()["state"] == DeliveryState.PENDING
    pending = next(row for row in rows if row.state == "pending")
    assert api.post(f"{url}{pending.pk}/redeliver/").status_code == 409


def test_ping_answers_202_with_the_new_delivery(api_as, personas):
    api = api_as(personas.admin)
    endpoint_id = create(api).json()["id"]
    response = api.post(f"{BASE}{endpoint_id}/ping/")
    assert response.status_code == 202 and response.json()["event"] == "ping"


@pytest.mark.parametrize("persona", ["lead", "executive", "controller", "viewer"])
def test_other_members_get_403(api_as, personas, persona):
    endpoint = WebhookEndpoint.objects.create(
        organization=personas.org, url="https://h.example.com/", secret="s", events=["case.opened"]
    )
    api = api_as(getattr(personas, persona))
    assert api.get(BASE).status_code == 403
    assert create(api).status_code == 403
    assert api.get(f"{BASE}{endpoint.pk}/").status_code == 403
    assert api.get(f"{BASE}{endpoint.pk}/deliveries/").status_code == 403


def test_another_tenants_webhooks_do_not_exist(api_as, personas):
    foreign = WebhookEndpoint.objects.create(
        organization=personas.other_org,
        url="https://h.example.com/",
        secret="s",
        events=["case.opened"],
    )
    api = api_as(personas.admin)
    assert api.get(f"{BASE}{foreign.pk}/").status_code == 404
    assert api.get(f"{BASE}{foreign.pk}/deliveries/").status_code == 404
    assert api.delete(f"{BASE}{foreign.pk}/").status_code == 404
    assert api_as(personas.outsider).get(BASE).status_code == 404
