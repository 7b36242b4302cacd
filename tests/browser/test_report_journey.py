"""An org admin schedules a leadership report in the browser (a bad schedule is refused with
the input kept), runs it now and downloads their PDF from the archive; program A's lead finds
only their own files there."""

import pytest
from playwright.sync_api import expect

from reporting.models import ReportDefinition, ReportFile
from tests.browser.conftest import assert_accessible, log_in
from tests.reporting.reports_world import make_report_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]


def test_admin_schedules_runs_and_downloads_a_report(
    page, live_server, settings, tmp_path, screenshot
):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = make_report_world()
    log_in(page, live_server, world.admin.username, settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Report schedules").click()
    expect(page.get_by_role("heading", name="Leadership reports")).to_be_visible()
    expect(page.get_by_text("No reports yet.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="New report").click()
    page.get_by_label("Title").fill("Weekly steering pack")
    page.get_by_label("DoI funnel").check()
    page.get_by_label("Executive").check()
    page.get_by_label("People").select_option(value=str(world.lead_a.pk))
    page.get_by_label("PDF").check()
    page.get_by_label("Hour").fill("25")
    page.get_by_role("button", name="Create report").click()
    expect(page.get_by_text("Not a valid hour for a schedule")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Weekly steering pack")
    expect(page.get_by_label("Hour")).to_have_value("25")
    expect(page.get_by_label("DoI funnel")).to_be_checked()
    assert_accessible(page)
    screenshot("report-schedule-refused")

    page.get_by_label("Hour").fill("7")
    page.get_by_role("button", name="Create report").click()
    expect(page.get_by_text("Created the report “Weekly steering pack”.")).to_be_visible()
    definition = ReportDefinition.objects.for_org(world.org).get()
    assert definition.periodic_task is not None
    page.get_by_role("button", name="Run now Weekly steering pack").click()
    expect(page.get_by_role("heading", name="Report archive")).to_be_visible()
    expect(page.get_by_role("cell", name="Done")).to_be_visible()
    assert_accessible(page)
    screenshot("report-archive")
    with page.expect_download() as download:
        page.locator("a", has_text="PDF for acme-lead-a").first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.context.clear_cookies()
    log_in(page, live_server, world.lead_a.username, settings.DEMO_PASSWORD)
    page.get_by_role("link", name="Reports", exact=True).click()
    own = ReportFile.objects.for_org(world.org).get(recipient=world.lead_a)
    other = ReportFile.objects.for_org(world.org).get(recipient=world.executive)
    expect(page.locator(f'a[href$="/reports/files/{own.pk}/"]')).to_be_visible()
    expect(page.locator(f'a[href$="/reports/files/{other.pk}/"]')).to_have_count(0)
    assert_accessible(page)
