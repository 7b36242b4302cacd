"""A member creates an API token in the browser, copies the key shown once, and revokes it."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from governance.models import ApiToken
from tests.browser.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_status(org, key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(f"/api/v1/orgs/{org.slug}/portfolios/").status_code


def test_member_creates_copies_and_revokes_a_token(page, live_server, personas, screenshot):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, live_server, personas.contributor.username, settings.DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Acme Manufacturing")).to_be_visible()

    page.get_by_role("button", name=personas.contributor.get_full_name()).click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("You have no API tokens")).to_be_visible()
    assert_accessible(page)

    # An expiry in the past is refused and the rest of the input is kept.
    page.get_by_role("link", name="New token").click()
    page.get_by_label("Name").fill("Power BI")
    page.get_by_label("Scope").select_option(label="Read and write")
    page.get_by_label("Expires on").fill("2020-01-31")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Choose a date after today.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Power BI")
    expect(page.get_by_label("Scope")).to_have_value("write")
    assert_accessible(page)
    screenshot("token-form-error")

    next_week = timezone.localdate() + dt.timedelta(days=7)
    page.get_by_label("Expires on").fill(next_week.isoformat())
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Copy your new token now")).to_be_visible()
    key = page.get_by_label("Token “Power BI”").input_value()
    token = ApiToken.objects.for_org(personas.org).get(user=personas.contributor)
    assert key.startswith(f"tl_{token.prefix}_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert_accessible(page)
    screenshot("token-created")
    assert api_status(personas.org, key) == 200

    # Shown once: a reload no longer has it.
    page.reload()
    expect(page.get_by_role("heading", name="Copy your new token now")).to_have_count(0)
    assert key not in page.content()
    row = page.get_by_role("row").filter(has_text="Power BI")
    expect(row).to_contain_text("Read and write")
    expect(row).to_contain_text("Active")

    row.get_by_role("link", name="Revoke Power BI").click()
    expect(page.get_by_role("heading", name="Revoke “Power BI”?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("Revoked “Power BI”.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Power BI")).to_contain_text("Revoked")
    assert_accessible(page)
    assert api_status(personas.org, key) == 401
