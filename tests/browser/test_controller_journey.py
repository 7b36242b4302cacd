"""A controller's round: the validation queue, a program's claims, the evidence of one, a
partial validation (a missing reason first), then the rest approved in one go."""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from measures.fiscal import add_months
from measures.models import FinancialEntry, Milestone, MilestoneEvidence, StatusReport
from tests.approvals.queue_helpers import THIS_MONTH
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import MeasureFactory, MeasurePackageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def bar_chart_png(width: int = 240, height: int = 120) -> bytes:
    """A small PNG (three bars on white), made here so the evidence is a real image."""
    bars = [(30, 60, 70), (100, 130, 40), (170, 200, 15)]
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            inside = any(left <= x < right and y >= top for left, right, top in bars)
            row += bytes((31, 119, 180) if inside else (255, 255, 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def claims(personas):
    """Two programs: Press shop (three claims of M-PRESS-*), Logistics (two of M-LOG-*)."""
    org = personas.org
    press = MeasurePackageFactory(
        project__program__portfolio__organization=org, project__program__title="Press shop"
    )
    logistics = MeasurePackageFactory(
        project__program__portfolio=press.portfolio, project__program__title="Logistics"
    )
    measures = {}
    for code, package, claimed in (
        ("M-PRESS-1", press, "1200"),
        ("M-PRESS-2", press, "800"),
        ("M-PRESS-3", press, "450"),
        ("M-LOG-1", logistics, "300"),
        ("M-LOG-2", logistics, "900"),
    ):
        measure = MeasureFactory(
            package=package, owner=personas.owner, code=code, title=f"Savings {code}"
        )
        measures[code] = measure
        period = add_months(THIS_MONTH, -1)
        for scenario, amount in (("actual", claimed), ("baseline", "1000"), ("forecast", "950")):
            FinancialEntry.objects.create(
                organization=org,
                measure=measure,
                period=period,
                line="benefit",
                scenario=scenario,
                amount=Decimal(amount),
                validation="pending" if scenario == "actual" else "",
            )
    proof = measures["M-PRESS-1"]
    milestone = Milestone.objects.create(
        organization=org, measure=proof, title="New die in production", due_date=THIS_MONTH
    )
    image = bar_chart_png()
    evidence = MilestoneEvidence(
        organization=org,
        measure=proof,
        milestone=milestone,
        original_name="scrap-rate.png",
        content_type="image/png",
        size=len(image),
    )
    evidence.file.save("scrap-rate.png", ContentFile(image), save=True)
    StatusReport.objects.create(
        organization=org,
        measure=proof,
        period=add_months(THIS_MONTH, -1),
        status="on_track",
        suggested_status="on_track",
        commentary="Scrap down from 4 % to 2.5 % since the new die.",
        reported_by=personas.owner,
        reported_at=timezone.now(),
    )
    return measures


def test_controller_validates_a_programs_claims(
    page, live_server, personas, screenshot, settings_media
):
    measures = claims(personas)
    press = measures["M-PRESS-1"].program
    log_in(page, live_server, personas.controller.username, settings.DEMO_PASSWORD)

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("#validation-count")).to_have_text("5 awaiting")
    nav.get_by_role("link", name="Validations").click()
    expect(page.get_by_role("heading", name="Validation queue")).to_be_visible()
    expect(page.locator("#queue-count")).to_contain_text("5 items")
    assert_accessible(page)

    # Filter by program: the table alone is replaced, the filter lands in the URL.
    page.get_by_label("Program").select_option(label=str(press))
    expect(page.locator("#queue-count")).to_contain_text("3 items")
    expect(page.get_by_role("link", name="M-LOG-1")).to_have_count(0)
    assert f"program={press.pk}" in page.url

    # The evidence inline: the image through the access-checked view, the owner's commentary.
    page.get_by_role("link", name="Open M-PRESS-1").click()
    detail = page.locator(f"#verdict-{pending(measures['M-PRESS-1']).pk}")
    expect(detail.get_by_role("img", name="Evidence scrap-rate.png")).to_be_visible()
    loaded = detail.get_by_role("img").evaluate("i => i.decode().then(() => i.naturalWidth)")
    assert loaded == 240
    expect(detail).to_contain_text("Scrap down from 4 % to 2.5 % since the new die.")
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "controller-queue.png"), full_page=True)
    screenshot("controller-queue")

    # A partial validation without its reason: refused, the amount stays as typed.
    detail.get_by_label("Validate partly").check()
    detail.get_by_label("Validated amount").fill("1,000")
    detail.get_by_role("button", name="Record the verdict").click()
    expect(detail.get_by_text("Give the reason.")).to_be_visible()
    expect(detail.get_by_label("Validated amount")).to_have_value("1,000")
    expect(detail.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    assert pending(measures["M-PRESS-1"]).validation == "pending"
    assert_accessible(page)
    detail.get_by_label("Reason").fill("Scrap report covers 1,000 of the 1,200 claimed.")
    detail.get_by_role("button", name="Record the verdict").click()
    expect(page.locator(".alert-success")).to_contain_text("M-PRESS-1", ignore_case=False)
    expect(page.locator(".alert-success")).to_contain_text("validated, 1,000.00 counted.")
    entry = pending(measures["M-PRESS-1"])
    assert (entry.validation, entry.validated_amount) == ("validated", Decimal("1000.00"))
    expect(page.get_by_role("checkbox", name="Select M-PRESS-1", exact=False)).to_have_count(0)

    # The rest of the program in one go.
    page.get_by_label("Select all on this page").check()
    page.get_by_label("Comment on the approval (optional)").fill("Checked against the ledger.")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.get_by_text("Approved 2 claimed benefit(s) as claimed.")).to_be_visible()
    expect(page.locator("#queue-count")).to_contain_text("0 items")
    for code in ("M-PRESS-2", "M-PRESS-3"):
        assert pending(measures[code]).validation == "validated"
    for code in ("M-LOG-1", "M-LOG-2"):
        assert pending(measures[code]).validation == "pending"
    assert_accessible(page)


def pending(measure):
    return FinancialEntry.objects.for_org(measure.organization_id).get(
        measure=measure, scenario="actual"
    )


@pytest.fixture
def settings_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
