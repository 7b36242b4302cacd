"""The notifications inbox: mine only, newest first, unread marked and counted in the navigation,
marked read one by one or all at once, in the UI and over the API."""

from __future__ import annotations

import pytest

from governance.models import Notification
from governance.notifications import notify

pytestmark = pytest.mark.django_db
URL = "/o/acme/notifications/"
API = "/api/v1/orgs/acme/notifications/"


def note(org, user, subject="Hello", **extra):
    return Notification.objects.create(
        organization=org, recipient=user, kind="test", subject=subject, **extra
    )


def test_notify_leaves_out_the_actor_repeats_and_inactive_people(personas):
    personas.viewer.is_active = False
    personas.viewer.save()
    rows = notify(
        recipients=[personas.lead, personas.lead, personas.admin, personas.viewer, None],
        kind="test",
        subject="Hello",
        obj=note(personas.org, personas.admin),
        actor=personas.admin,
    )
    assert [row.recipient_id for row in rows] == [personas.lead.pk]


def test_the_inbox_lists_mine_newest_first_with_the_unread_marked(client, personas):
    old = note(personas.org, personas.lead, "Older")
    note(personas.org, personas.lead, "Newer")
    note(personas.org, personas.admin, "Not mine")
    note(personas.other_org, personas.lead, "Other tenant")
    Notification.objects.for_org(personas.org).filter(pk=old.pk).update(read_at=old.created_at)
    client.force_login(personas.lead)
    page = client.get(URL).content.decode()
    assert page.index("Newer") < page.index("Older")
    assert "Not mine" not in page and "Other tenant" not in page
    assert page.count(">Unread</span>") == 1
    assert '1<span class="visually-hidden"> unread</span>' in page  # the count in the nav
    unread = client.get(URL, {"unread": "1"}).content.decode()
    assert "Newer" in unread and "Older" not in unread


def test_mark_read_one_and_all(client, personas):
    mine = [note(personas.org, personas.lead, f"N{i}") for i in range(3)]
    theirs = note(personas.org, personas.admin)
    client.force_login(personas.lead)
    assert client.post(f"{URL}{theirs.pk}/read/").status_code == 404
    assert client.post(f"{URL}{mine[0].pk}/read/").status_code == 302
    rows = Notification.objects.for_org(personas.org)
    assert rows.filter(recipient=personas.lead, read_at__isnull=True).count() == 2
    assert client.post(f"{URL}read-all/").status_code == 302
    assert rows.filter(recipient=personas.lead, read_at__isnull=True).count() == 0
    assert rows.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize("size", [3, 30])
def test_the_inbox_reads_in_a_constant_number_of_queries(
    client, personas, size, django_assert_max_num_queries
):
    for index in range(size):
        note(personas.org, personas.lead, f"N{index}")
    client.force_login(personas.lead)
    client.get(URL)
    with django_assert_max_num_queries(14):
        assert client.get(URL).status_code == 200


def test_the_api_lists_mine_and_marks_them_read(personas, api_as):
    first = note(personas.org, personas.lead, "First")
    second = note(personas.org, personas.lead, "Second")
    theirs = note(personas.org, personas.admin, "Theirs")
    api = api_as(personas.lead)
    listed = api.get(API).json()["results"]
    assert [row["subject"] for row in listed] == ["Second", "First"]
    assert all(row["unread"] for row in listed)
    read = api.post(f"{API}{first.pk}/read/")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert [row["id"] for row in api.get(API, {"unread": "true"}).json()["results"]] == [second.pk]
    assert api.post(f"{API}{theirs.pk}/read/").status_code == 404
    assert api.post(f"{API}read-all/").json() == {"marked": 1}
    assert api.get(API, {"unread": "true"}).json()["results"] == []
    assert api.get(API, {"unread": "maybe"}).status_code == 400
    assert api_as(personas.outsider).get(API).status_code == 404
