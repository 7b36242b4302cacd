"""The API-token pages: each member lists, creates (key shown once) and revokes their own."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.models import ApiToken, AuditEvent
from governance.services.tokens import token_issue
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r'value="(tl_[0-9a-f]+_[^"]+)"')


def page(name, org, pk=None):
    args = [org.slug] if pk is None else [org.slug, pk]
    return reverse(f"token-{name}", args=args)


def issue(user, org, name="ERP", **kwargs):
    return token_issue(user=user, organization=org, name=name, by=user, **kwargs)


def api_status(api, org, key):
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get(f"/api/v1/orgs/{org.slug}/portfolios/").status_code


def test_every_member_reaches_the_pages_from_the_user_menu(client, personas):
    client.force_login(personas.viewer)
    home = client.get(reverse("org-home", args=[personas.org.slug])).content.decode()
    assert f'href="{page("list", personas.org)}">API tokens</a>' in home
    assert client.get(page("list", personas.org)).status_code == 200
    assert client.get(page("create", personas.org)).status_code == 200
    client.force_login(personas.outsider)
    assert client.get(page("list", personas.org)).status_code == 404
    client.logout()
    assert client.get(page("list", personas.org)).status_code == 302


def test_list_shows_only_my_tokens_of_this_organization(client, personas):
    MembershipFactory(organization=personas.other_org, user=personas.lead)
    issue(personas.lead, personas.org, "Lead ERP")
    issue(personas.lead, personas.other_org, "Lead in Globex")
    issue(personas.viewer, personas.org, "Viewer BI")
    client.force_login(personas.lead)
    html = client.get(page("list", personas.org)).content.decode()
    assert "Lead ERP" in html
    assert "Lead in Globex" not in html and "Viewer BI" not in html


def test_list_query_count_does_not_grow(client, personas, django_assert_max_num_queries):
    client.force_login(personas.lead)
    issue(personas.lead, personas.org)
    with django_assert_max_num_queries(12) as one:  # + unread notifications in the nav
        client.get(page("list", personas.org))
    for number in range(10):
        issue(personas.lead, personas.org, f"Token {number}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(page("list", personas.org))
    assert response.content.decode().count("Revoke<span") == 11


def test_created_key_is_shown_once_and_authenticates(client, api, personas):
    client.force_login(personas.contributor)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        page("create", personas.org),
        {"name": "Power BI", "scope": "write", "expires_at": tomorrow.isoformat()},
    )
    assert response.status_code == 302 and response["Location"] == page("list", personas.org)
    shown = client.get(page("list", personas.org))
    assert "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    assert "Copy your new token now" in html and "only time" in html
    key = KEY.search(html).group(1)
    token = ApiToken.objects.for_org(personas.org).get(user=personas.contributor)
    assert (token.name, token.scope) == ("Power BI", "write")
    assert timezone.localtime(token.expires_at).date() == tomorrow
    assert key.startswith(f"tl_{token.prefix}_") and key not in (token.key_hash, token.prefix)
    assert api_status(api, personas.org, key) == 200

    again = client.get(page("list", personas.org)).content.decode()
    assert key not in again and "Copy your new token now" not in again
    assert f"tl_{token.prefix}_…" in again


def test_expiry_in_the_past_is_refused_keeping_the_input(client, personas):
    client.force_login(personas.lead)
    for day in ("2020-01-31", timezone.localdate().isoformat()):
        response = client.post(
            page("create", personas.org), {"name": "ERP sync", "scope": "write", "expires_at": day}
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert "Choose a date after today." in html
        assert 'value="ERP sync"' in html and f'value="{day}"' in html
        assert re.search(r'<option value="write"[^>]*selected', html)
        assert 'aria-invalid="true"' in html
    assert not ApiToken.objects.for_org(personas.org).exists()


def test_missing_name_is_refused(client, personas):
    client.force_login(personas.lead)
    response = client.post(page("create", personas.org), {"name": " ", "scope": "read"})
    assert response.status_code == 422
    assert not ApiToken.objects.for_org(personas.org).exists()


def test_revoke_confirms_then_refuses_the_token(client, api, personas):
    token, key = issue(personas.lead, personas.org)
    client.force_login(personas.lead)
    confirm = client.get(page("revoke", personas.org, token.pk))
    assert confirm.status_code == 200 and "Revoke “ERP”?" in confirm.content.decode()
    assert api_status(api, personas.org, key) == 200  # a GET changes nothing

    response = client.post(page("revoke", personas.org, token.pk), follow=True)
    assert response.redirect_chain[-1][0] == page("list", personas.org)
    assert "Revoked “ERP”" in response.content.decode()
    assert api_status(api, personas.org, key) == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.for_org(personas.org).filter(action="token.revoked").count() == 1
    # Revoking again changes nothing and records nothing.
    assert client.post(page("revoke", personas.org, token.pk)).status_code == 302
    assert AuditEvent.objects.for_org(personas.org).filter(action="token.revoked").count() == 1


def test_someone_elses_token_answers_404(client, api, personas):
    MembershipFactory(organization=personas.other_org, user=personas.lead)
    theirs, their_key = issue(personas.viewer, personas.org)
    mine_elsewhere, _ = issue(personas.lead, personas.other_org)
    client.force_login(personas.lead)
    for token in (theirs, mine_elsewhere):
        assert client.get(page("revoke", personas.org, token.pk)).status_code == 404
        assert client.post(page("revoke", personas.org, token.pk)).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None
    assert api_status(api, personas.org, their_key) == 200


def test_create_and_revoke_need_the_csrf_token(personas):
    token, _ = issue(personas.lead, personas.org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.lead)
    created = client.post(page("create", personas.org), {"name": "X", "scope": "read"})
    assert created.status_code == 403
    assert client.post(page("revoke", personas.org, token.pk)).status_code == 403
    assert ApiToken.objects.for_org(personas.org).count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None
    # With the token from the form the same requests go through.
    form = client.get(page("revoke", personas.org, token.pk)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert (
        client.post(
            page("revoke", personas.org, token.pk), {"csrfmiddlewaretoken": csrf}
        ).status_code
        == 302
    )
