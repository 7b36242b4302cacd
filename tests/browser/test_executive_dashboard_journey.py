"""An executive's dashboard: charts drawn, a program chosen (kept in the URL), a row drilled
down to its measures, a widget downloaded as CSV."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, log_in
from tests.reporting.data import generate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def test_executive_filters_drills_down_and_downloads(page, live_server, personas, screenshot):
    world = generate(personas.org, 60, seed=21)
    program = world.programs[0]
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "favicon" not in (message.location or {}).get("url", "")
            and errors.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))

    log_in(page, live_server, personas.executive.username, settings.DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard: Acme Manufacturing")).to_be_visible()
    charts = page.locator("canvas.dashboard-chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 8
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas.dashboard-chart')]"
        ".every(canvas => Chart.getChart(canvas) !== undefined)"
    )
    assert_accessible(page)

    # Filter by program: the page updates in place and the URL holds the filter.
    page.get_by_label("Program", exact=True).select_option(str(program.pk))
    expect(page).to_have_url(re.compile(rf"program={program.pk}"))
    expect(page.get_by_label("Program", exact=True)).to_have_value(str(program.pk))
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas.dashboard-chart')]"
        ".every(canvas => Chart.getChart(canvas) !== undefined)"
    )
    expect(page.locator("#widget-budget_variance tbody tr")).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "executive-dashboard.png"), full_page=True)
    screenshot("executive-dashboard")

    # A full load of that URL renders the same filters.
    page.reload()
    expect(page.get_by_label("Program", exact=True)).to_have_value(str(program.pk))

    # The CSV of a widget, for the same filters.
    widget = page.locator("#widget-exceptions_by_age")
    with page.expect_download() as download:
        widget.get_by_role("link", name=re.compile("as CSV")).click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0] == "Open for,Open cases,Value at risk"
    assert download.value.suggested_filename == "exceptions_by_age.csv"

    # Drill down: the bridge's "Decided" row lists the program's decided-or-later measures.
    bridge = page.locator("#widget-value_bridge")
    bridge.locator("summary").click()
    bridge.get_by_role("link", name="Decided", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Measures"))).to_be_visible()
    expect(page.locator("#drill-filters")).to_contain_text("decided,implemented,closed")
    expected = [
        m.code
        for m in world.measures
        if m.program_id == program.pk
        and m.doi in ("decided", "implemented", "closed")
        and m.archived_at is None
    ]
    table = page.locator("#node-table")
    for code in expected[:5]:
        expect(table).to_contain_text(code)
    assert_accessible(page)
    assert errors == []
