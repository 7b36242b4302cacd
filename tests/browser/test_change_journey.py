"""An owner asks to change a Decided measure's baseline; the sponsor approves; history shows
original and current."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from approvals.changes.models import ChangeRequest
from tests.approvals.change_helpers import MONTH, at_decided
from tests.browser.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_asks_for_a_change_and_the_sponsor_approves_it(page, live_server, personas):
    measure = at_decided(personas)
    log_in(page, live_server, personas.owner.username, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/o/{personas.org.slug}/measures/{measure.pk}/baseline/")
    expect(page.get_by_role("heading", name="Request a change")).to_be_visible()
    benefit = page.get_by_label(f"Baseline benefit {MONTH}", exact=True)
    expect(benefit).to_have_value("1000.00")
    benefit.fill("1300")
    page.get_by_label("Baseline end date").fill("2027-01-01")
    page.get_by_role("button", name="Preview the impact").click()
    expect(page.locator("#value-shift")).to_have_text("300.00")
    expect(page.locator("#impact-preview")).to_contain_text("+14 days")
    assert_accessible(page)

    # Without a rationale: refused, the input stays.
    page.get_by_role("button", name="Submit the change request").click()
    expect(page.get_by_text("Say why the baseline should change")).to_be_visible()
    expect(page.get_by_label(f"Baseline benefit {MONTH}", exact=True)).to_have_value("1300")
    assert not ChangeRequest.objects.for_org(personas.org).exists()
    assert_accessible(page)

    page.get_by_label("Rationale").fill("The supplier contract moved.")
    page.get_by_role("button", name="Submit the change request").click()
    expect(page.get_by_role("heading", name="Proposed change to the baseline")).to_be_visible()
    assert_accessible(page)
    change = ChangeRequest.objects.for_org(personas.org).get()

    page.context.clear_cookies()
    log_in(page, live_server, personas.executive.username, settings.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/o/{personas.org.slug}/approvals/{change.request_id}/")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#request-state")).to_contain_text("Approved")
    page.goto(f"{live_server.url}/o/{personas.org.slug}/measures/{measure.pk}/baseline/history/")
    expect(page.locator("#versions")).to_contain_text("v1 (original)")
    expect(page.locator("#compare-financials")).to_contain_text("1,300.00")
    assert_accessible(page)
