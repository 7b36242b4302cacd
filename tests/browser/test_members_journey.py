"""An org admin adds a member, grants a role on a program and sees it on the program's page."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from governance.models import Role
from governance.services.grants import grants_held
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import ProgramFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_adds_a_member_and_grants_a_role_on_a_program(
    page, live_server, personas, screenshot
):
    program = ProgramFactory(portfolio__organization=personas.org, title="Network redesign")
    ProgramFactory(portfolio=program.portfolio, title="Pricing")
    log_in(page, live_server, personas.admin.username, settings.DEMO_PASSWORD)

    page.get_by_role("link", name="Members", exact=True).click()
    expect(page.get_by_role("heading", name="Members")).to_be_visible()
    page.get_by_role("searchbox").fill("contrib")
    expect(page.get_by_role("cell", name=personas.viewer.username, exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name=personas.contributor.username, exact=True)).to_be_visible()
    assert_accessible(page)

    # A new account; a malformed email first, which must keep the rest of the input.
    page.get_by_role("link", name="Add member").click()
    page.get_by_label("Username", exact=True).fill("r.ng")
    page.get_by_label("First name").fill("Rita")
    page.get_by_label("Last name").fill("Ng")
    page.get_by_label("Email", exact=True).fill("rita.ng-at-example.com")
    page.get_by_label("Job title").fill("Network planner")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Rita")
    expect(page.get_by_label("Job title")).to_have_value("Network planner")
    assert_accessible(page)
    page.get_by_label("Email", exact=True).fill("rita.ng@example.com")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("heading", name="Rita Ng")).to_be_visible()

    # Grant lead on the program: choosing the level loads that level's nodes.
    page.get_by_role("combobox", name="Role", exact=True).select_option(Role.LEAD)
    page.get_by_role("combobox", name="Level", exact=True).select_option("program")
    page.get_by_role("combobox", name="Program", exact=True).select_option(label=str(program))
    page.get_by_role("button", name="Grant role").click()
    expect(page.get_by_text(f"Rita Ng (r.ng) is now lead on {program}.")).to_be_visible()
    roles = page.get_by_role("table", name="Roles Rita Ng holds")
    expect(roles.get_by_role("row").filter(has_text="Lead")).to_contain_text(str(program))
    assert_accessible(page)
    screenshot("member-detail")
    rita = UserFactory._meta.model.objects.get(username="r.ng")
    assert [(access.role, access.node.pk) for access in grants_held(rita, personas.org)] == [
        (Role.LEAD, program.pk)
    ]

    # The program's page says who has access and why.
    roles.get_by_role("link", name=str(program), exact=True).click()
    expect(page.get_by_role("heading", name=str(program))).to_be_visible()
    panel = page.get_by_role("region", name="Who has access")
    expect(panel.get_by_role("row").filter(has_text="Rita Ng")).to_contain_text("Granted here")
    expect(panel.get_by_role("row").filter(has_text="Org admin")).to_contain_text(
        "Inherited from Acme Manufacturing"
    )
    panel.get_by_text("What each role may do").click()
    expect(panel.get_by_text("Manages structure and measures below the node")).to_be_visible()
    assert_accessible(page)
    screenshot("node-access-panel")
