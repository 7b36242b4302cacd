"""An executive's exception: the count in the navigation, the case, its ripple, the decision
(a mitigation missing its owner first)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import CaseState, ExceptionCase, MitigationAction
from tests.browser.conftest import assert_accessible, log_in
from tests.ripple import slipping_chain

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def test_executive_reads_the_ripple_and_decides(page, live_server, personas, screenshot):
    org, today = personas.org, timezone.localdate()
    _, case = slipping_chain(
        personas,
        measures=(
            ("M-SUPPLY", "Qualify the second supplier"),
            ("M-LINE4", "Convert line 4"),
            ("M-LAUNCH", "Launch the new range"),
        ),
        benefit_on=2,
        amount=120000,
        baseline_in=10,
        slip=45,
        milestone="Supplier audit passed",
        forum="Operations steering",
    )

    log_in(page, live_server, personas.executive.username, settings.DEMO_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Exceptions").click()
    expect(page.get_by_role("heading", name="Exceptions")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=f"#{case.pk}", exact=True).click()

    expect(page.get_by_role("img", name="The slip of M-SUPPLY")).to_be_visible()
    table = page.locator("#impacted-table")
    for code in ("M-SUPPLY", "M-LINE4", "M-LAUNCH"):
        expect(table).to_contain_text(code)
    expect(table).to_contain_text("45 d")
    assert_accessible(page)

    # A mitigation without an owner: refused, what was typed stays.
    page.get_by_label("Mitigate").check()
    page.get_by_label("Why").fill("Audit the supplier on site next week")
    page.get_by_label("Mitigation: what will be done").fill("On-site audit by quality")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_label("Mitigation: what will be done")).to_have_value(
        "On-site audit by quality"
    )
    expect(page.get_by_text("Choose a member of the organization")).to_be_visible()
    assert ExceptionCase.objects.for_org(org).get().state == CaseState.OPEN

    page.get_by_label("Mitigation: owner").select_option(str(personas.owner.pk))
    page.get_by_label("Mitigation: due").fill(f"{today + dt.timedelta(days=7):%Y-%m-%d}")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Your decision is recorded.")).to_be_visible()
    expect(page.locator("#case-state")).to_contain_text("Decided")
    expect(page.locator("#case-decisions")).to_contain_text("Audit the supplier on site")
    assert MitigationAction.objects.for_org(org).get().owner == personas.owner
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "exception-case.png"), full_page=True)
    screenshot("exception-case")
