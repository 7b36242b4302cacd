"""An org admin registers a webhook in the browser, copies the secret shown once, sends a test
and reads it in the delivery log."""

import pytest
from playwright.sync_api import expect

from governance.models import WebhookEndpoint
from tests.browser.conftest import assert_accessible, log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]


def test_admin_registers_tests_and_reads_a_webhook(
    page, live_server, personas, receiver, settings, screenshot
):
    log_in(page, live_server, personas.admin.username, settings.DEMO_PASSWORD)
    page.get_by_role("button", name=personas.admin.get_full_name()).click()
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("No webhooks in Acme Manufacturing yet.")).to_be_visible()
    assert_accessible(page)

    # A private address is refused while private networks are not allowed; the input is kept.
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    page.get_by_role("link", name="New webhook").click()
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("ERP")
    page.get_by_label("measure.stage_changed").check()
    page.get_by_role("button", name="Create webhook").click()
    expect(page.get_by_text("webhooks only go to public addresses")).to_be_visible()
    expect(page.get_by_label("URL")).to_have_value(receiver.url)
    expect(page.get_by_label("measure.stage_changed")).to_be_checked()
    assert_accessible(page)
    screenshot("webhook-form-error")

    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    page.get_by_role("button", name="Create webhook").click()
    expect(page.get_by_role("heading", name="Copy the signing secret now")).to_be_visible()
    endpoint = WebhookEndpoint.objects.for_org(personas.org).get()
    expect(page.get_by_role("textbox", name="Secret")).to_have_value(endpoint.secret)
    assert_accessible(page)
    screenshot("webhook-created")
    page.reload()
    assert endpoint.secret not in page.content()

    page.get_by_role("button", name=f"Send test to {receiver.url}").click()
    expect(page.get_by_role("heading", name="Delivery log")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="ping")
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    assert [request.headers["X-Throughline-Event"] for request in receiver.requests] == ["ping"]
    assert_accessible(page)
    screenshot("webhook-delivery-log")
