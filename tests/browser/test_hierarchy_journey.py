"""A program lead browses the hierarchy and creates a project through the form."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from governance.models import Project
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import MeasureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_browses_and_creates_a_project(page, live_server, personas, screenshot):
    measure = MeasureFactory(
        package__project__program__portfolio__organization=personas.org,
        package__project__program__title="Network redesign",
    )
    program = measure.program
    log_in(page, live_server, personas.lead.username, settings.DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="Acme Manufacturing")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Programs", exact=True).click()
    page.get_by_role("link", name=program.code).click()
    expect(page.get_by_role("heading", name=f"{program.code} Network redesign")).to_be_visible()
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("link", name=measure.portfolio.code)).to_be_visible()
    assert_accessible(page)

    # Down to the measure and back up through the breadcrumbs.
    page.get_by_role("link", name=measure.project.code).click()
    page.get_by_role("link", name=measure.package.code).click()
    page.get_by_role("link", name=measure.code).click()
    expect(page.get_by_role("heading", name=measure.title)).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name=program.code, exact=False
    ).click()

    # Create a project: first with an empty title, which must keep the other input.
    page.get_by_role("link", name="New project").click()
    page.get_by_label("Code").fill("PJ-NEW")
    page.get_by_label("Description").fill("Tender all carriers for 2027.")
    page.get_by_label("Owner").select_option(label=personas.owner.get_full_name())
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_value("PJ-NEW")
    expect(page.get_by_label("Description")).to_have_value("Tender all carriers for 2027.")
    assert_accessible(page)
    screenshot("project-form-error")

    page.get_by_label("Title").fill("Carrier tender 2027")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="PJ-NEW Carrier tender 2027")).to_be_visible()
    project = Project.objects.for_org(personas.org).get(code="PJ-NEW")
    assert project.program_id == program.pk

    page.get_by_role("link", name="Projects", exact=True).click()
    expect(page.get_by_role("link", name="PJ-NEW")).to_be_visible()
    page.get_by_role("searchbox").fill("carrier")
    expect(page.get_by_role("link", name=measure.project.code)).to_have_count(0)
    expect(page.get_by_role("link", name="PJ-NEW")).to_be_visible()
    assert_accessible(page)
    screenshot("project-list")
