"""An org admin adds a step to the Decided policy (a bad SLA first, the input kept); an approver
finds the request in their notifications, opens it and marks the rest read."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from approvals.services.requests import request_submit
from tests.approvals.helpers import at_detailed
from tests.browser.conftest import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_edits_a_policy_and_an_approver_reads_the_notification(
    page, live_server, personas, screenshot
):
    log_in(page, live_server, personas.admin.username, settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Approval policies").click()
    expect(page.get_by_role("heading", name="Approval policies", exact=True)).to_be_visible()
    decided = page.locator("section").filter(has_text="Gate: to Decided").first
    add = decided.locator("form").filter(has=page.get_by_role("button", name="Add step"))
    add.get_by_label("Order").fill("2")
    add.get_by_label("Approver").select_option("role")
    add.get_by_label("Role").select_option("lead")
    add.get_by_label("SLA (days)").fill("400")
    add.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("Ensure this value is less than or equal to 365.")).to_be_visible()
    decided = page.locator("section").filter(has_text="Gate: to Decided").first
    add = decided.locator("form").filter(has=page.get_by_role("button", name="Add step"))
    expect(add.get_by_label("Order")).to_have_value("2")
    expect(add.get_by_label("Role")).to_have_value("lead")
    assert_accessible(page)
    add.get_by_label("SLA (days)").fill("3")
    add.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("Added a step to The sponsor decides.")).to_be_visible()
    screenshot("approval-policies")

    request = request_submit(measure=at_detailed(personas), kind="gate:decided", by=personas.owner)
    page.goto(f"{live_server.url}/o/acme/")
    nav = page.get_by_role("link", name="Notifications 1 unread")
    expect(nav).to_be_visible()
    nav.click()
    row = page.get_by_role("row").filter(has_text="awaits your approval")
    expect(row).to_contain_text("Unread")
    assert_accessible(page)
    screenshot("notifications")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("Marked 1 notification read.")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    page.get_by_role("link", name="awaits your approval").click()
    expect(page).to_have_url(f"{live_server.url}/o/acme/approvals/{request.pk}/")
