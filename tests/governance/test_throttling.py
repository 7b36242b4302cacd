"""API rate limits: each token has its own bucket, session users theirs, anonymous per address."""

import pytest
from django.core.cache import cache

from governance.services.tokens import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    """Low limits for the test, and an empty request history."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "user": "4/min", "anon": "1/min"},
    }
    cache.clear()
    yield
    cache.clear()


def portfolios(org):
    return f"/api/v1/orgs/{org.slug}/portfolios/"


def test_defaults_come_from_the_environment_settings(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "token": settings.API_RATE_TOKEN,
        "user": settings.API_RATE_USER,
        "anon": settings.API_RATE_USER,
    }


def test_a_token_over_its_rate_gets_429_while_another_token_passes(api, personas, rates):
    _, first = token_issue(user=personas.lead, organization=personas.org, name="ERP", by=None)
    _, second = token_issue(user=personas.lead, organization=personas.org, name="BI", by=None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    for _ in range(3):
        assert api.get(portfolios(personas.org)).status_code == 200
    refused = api.get(portfolios(personas.org))
    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == {}
    assert "throttled" in body["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60

    api.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert api.get(portfolios(personas.org)).status_code == 200
    # The same person in the browser counts against their own, separate bucket.
    api.credentials()
    api.force_login(personas.lead)
    assert api.get(portfolios(personas.org)).status_code == 200


def test_session_users_are_counted_per_user(api_as, personas, rates):
    client = api_as(personas.viewer)
    for _ in range(4):
        assert client.get(portfolios(personas.org)).status_code == 200
    assert client.get(portfolios(personas.org)).status_code == 429
    assert api_as(personas.lead).get(portfolios(personas.org)).status_code == 200


def test_anonymous_requests_are_counted_per_address(client, rates):
    assert client.get("/api/schema/").status_code == 200
    # A client-sent X-Forwarded-For does not open a new bucket.
    assert client.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert client.get("/api/schema/", REMOTE_ADDR="198.51.100.4").status_code == 200
