"""A measure owner's day: My measures, the measure, its financials (a typo first), the gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from measures.models import DoI, FinancialEntry, Measure
from tests.browser.conftest import assert_accessible, log_in
from tests.measures.helpers import identified_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def test_owner_enters_an_actual_and_advances_the_gate(page, live_server, personas, screenshot):
    today = dt.date.today()
    measure = identified_ready(
        personas.org,
        personas.owner,
        code="M-SCRAP",
        title="Cut scrap on line 4",
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=300),
    )
    month = today.replace(day=1)
    log_in(page, live_server, personas.owner.username, settings.DEMO_PASSWORD)

    page.get_by_role("link", name="My measures", exact=True).click()
    expect(page.get_by_role("heading", name="My measures")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="M-SCRAP", exact=True).click()
    expect(page.get_by_role("heading", name="Gate")).to_be_visible()

    # The financials tab: a typo is refused, the typed text stays, nothing is saved.
    page.get_by_role("navigation", name="Measure sections").get_by_role(
        "link", name="Financials", exact=True
    ).click()
    actual = page.get_by_label(f"Benefit actual {month:%Y-%m}", exact=True)
    actual.fill("12,5x")
    page.get_by_role("button", name="Save the year").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    actual = page.get_by_label(f"Benefit actual {month:%Y-%m}", exact=True)
    expect(actual).to_have_value("12,5x")
    expect(actual).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("is not a number")).to_be_visible()
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    assert_accessible(page)

    actual.fill("12.50")
    page.get_by_role("button", name="Save the year").click()
    expect(page.get_by_text("Saved 1 amount(s).")).to_be_visible()
    expect(page.get_by_label(f"Benefit actual {month:%Y-%m}", exact=True)).to_have_value("12.50")
    saved = FinancialEntry.objects.for_org(personas.org).get(measure=measure)
    assert (saved.scenario, saved.amount) == ("actual", Decimal("12.50"))
    assert saved.validation == "pending"

    # Back on the measure page: the gate to Identified is open; advancing shows the next one.
    sections = page.get_by_role("navigation", name="Measure sections")
    sections.get_by_role("link", name="Overview", exact=True).click()
    checklist = page.locator("#gate-checklist")
    expect(checklist).to_contain_text("Business reason written")
    page.get_by_role("button", name="Advance to Identified").click()
    expect(page.locator("[aria-current=step]")).to_contain_text("Identified")
    expect(page.get_by_role("heading", name="To reach Detailed")).to_be_visible()
    expect(page.locator("#gate-checklist")).to_contain_text("Name the sponsor.")
    assert Measure.objects.for_org(personas.org).get(pk=measure.pk).doi == DoI.IDENTIFIED
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "owner-journey.png"), full_page=True)
    screenshot("owner-journey")


def test_admin_keeps_measure_settings_and_checks_a_financials_file(
    page, live_server, personas, tmp_path
):
    identified_ready(personas.org, personas.owner, code="M-IMP")
    log_in(page, live_server, personas.admin.username, settings.DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Measure settings")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Weight of Decided (%)").fill("5o")
    page.get_by_role("button", name="Save weights and thresholds").click()
    expect(page.get_by_label("Weight of Decided (%)")).to_have_value("5o")
    expect(page.get_by_label("Weight of Decided (%)")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Weight of Decided (%)").fill("55")
    page.get_by_role("button", name="Save weights and thresholds").click()
    expect(page.get_by_text("Saved the stage weights and thresholds.")).to_be_visible()

    month = dt.date.today().replace(day=1)
    sheet = tmp_path / "actuals.csv"
    sheet.write_text(f"measure,period,line,scenario,amount\nM-IMP,{month:%Y-%m},benefit,plan,40\n")
    page.goto(f"{live_server.url}/o/acme/financials/import/")
    page.get_by_label("Spreadsheet").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#import-preview")).to_contain_text("M-IMP")
    assert_accessible(page)
    page.get_by_role("button", name="Import now").click()
    expect(page.get_by_text("Imported 1 amount(s) of 1 measure(s).")).to_be_visible()
