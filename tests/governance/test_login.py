"""Login throttling: a username tried from one address is locked out after repeated failures."""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from governance.services.tokens import token_issue

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"


def attempt(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def fail(client, username, times, **extra):
    response = None
    for _ in range(times):
        response = attempt(client, username, "not-the-password", **extra)
    return response


def lockout_message(response):
    html = response.content.decode()
    start = html.index('id="lockout-message"')
    return html[start : html.index("</div>", start)]


def logged_in(client):
    return "_auth_user_id" in client.session


def test_failure_limit_locks_out_even_the_right_password(client, personas):
    limit = settings.LOGIN_FAILURE_LIMIT
    response = fail(client, personas.lead.username, limit - 1)
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert LOCKED not in response.content.decode()

    response = fail(client, personas.lead.username, 1)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()

    response = attempt(client, personas.lead.username, settings.DEMO_PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429 and LOCKED in html
    assert f"paused for {settings.LOGIN_LOCKOUT_MINUTES} minutes" in html
    assert 'role="alert"' in html and 'name="password"' in html
    assert not logged_in(client)


def test_lockout_message_does_not_reveal_whether_the_account_exists(client, personas):
    known = fail(client, personas.lead.username, settings.LOGIN_FAILURE_LIMIT)
    unknown = fail(client, "no-such-person", settings.LOGIN_FAILURE_LIMIT)
    assert known.status_code == unknown.status_code == 429
    assert lockout_message(known) == lockout_message(unknown)


def test_lockout_is_per_username_and_address(client, personas):
    fail(client, personas.lead.username, settings.LOGIN_FAILURE_LIMIT)
    elsewhere = attempt(
        client, personas.lead.username, settings.DEMO_PASSWORD, REMOTE_ADDR="10.0.0.9"
    )
    assert elsewhere.status_code == 302
    client.logout()
    colleague = attempt(client, personas.viewer.username, settings.DEMO_PASSWORD)
    assert colleague.status_code == 302


def test_success_before_the_limit_resets_the_count(client, personas):
    limit = settings.LOGIN_FAILURE_LIMIT
    fail(client, personas.lead.username, limit - 1)
    assert attempt(client, personas.lead.username, settings.DEMO_PASSWORD).status_code == 302
    client.logout()
    assert fail(client, personas.lead.username, limit - 1).status_code == 200
    assert attempt(client, personas.lead.username, settings.DEMO_PASSWORD).status_code == 302
    assert logged_in(client)


def test_lockout_expires_after_the_configured_minutes(client, personas):
    username = personas.lead.username
    fail(client, username, settings.LOGIN_FAILURE_LIMIT)
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    attempts = AccessAttempt.objects.filter(username=username)

    attempts.update(attempt_time=timezone.now() - dt.timedelta(minutes=minutes - 1))
    assert attempt(client, username, settings.DEMO_PASSWORD).status_code == 429
    attempts.update(attempt_time=timezone.now() - dt.timedelta(minutes=minutes, seconds=5))
    assert attempt(client, username, settings.DEMO_PASSWORD).status_code == 302
    assert logged_in(client)


def test_an_administrator_can_lift_a_lockout(client, personas):
    fail(client, personas.lead.username, settings.LOGIN_FAILURE_LIMIT)
    assert reset(username=personas.lead.username) == 1
    assert attempt(client, personas.lead.username, settings.DEMO_PASSWORD).status_code == 302


def test_failures_and_lockouts_reach_the_security_log(client, personas, caplog):
    caplog.set_level(logging.WARNING, logger="throughline.security")
    limit = settings.LOGIN_FAILURE_LIMIT
    fail(client, personas.lead.username, limit)
    attempt(client, personas.lead.username, settings.DEMO_PASSWORD)
    records = [r for r in caplog.records if r.name == "throughline.security"]
    events = [r.security["event"] for r in records]
    assert events == ["login.failed"] * (limit - 1) + ["login.locked_out"] * 2
    first, lockout = records[0], records[limit - 1]
    assert first.levelno == logging.WARNING
    assert first.security["username"] == personas.lead.username
    assert first.security["ip"] == "127.0.0.1" and first.security["failures"] == 1
    assert lockout.security["minutes"] == settings.LOGIN_LOCKOUT_MINUTES
    assert f"username={personas.lead.username}" in lockout.getMessage()
    assert "not-the-password" not in caplog.text


def test_api_tokens_are_unaffected_by_a_lockout(client, api, personas):
    _, key = token_issue(
        user=personas.lead, organization=personas.org, name="ERP", by=personas.lead
    )
    fail(client, personas.lead.username, settings.LOGIN_FAILURE_LIMIT + 2)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        assert api.get(f"/api/v1/orgs/{personas.org.slug}/portfolios/").status_code == 200
    # Wrong tokens are refused by the API itself and count nothing towards a login lockout.
    recorded = AccessAttempt.objects.count()
    api.credentials(HTTP_AUTHORIZATION="Token tl_nothing_here")
    for _ in range(settings.LOGIN_FAILURE_LIMIT + 1):
        assert api.get("/api/v1/orgs/").status_code == 401
    assert AccessAttempt.objects.count() == recorded


def test_login_cookies_are_httponly_and_same_site(client, personas):
    form = client.get(reverse("login"))
    response = attempt(client, personas.lead.username, settings.DEMO_PASSWORD)
    assert response.status_code == 302
    for cookie in (form.cookies["csrftoken"], response.cookies["sessionid"]):
        assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
