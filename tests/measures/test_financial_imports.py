"""Spreadsheet import of monthly financials: all rows or none, a dry run that writes nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from governance.models import AuditEvent
from measures.financial_imports import import_financials
from measures.fiscal import fiscal_range
from measures.imports import read_table
from measures.models import FinancialEntry, MeasurePotential
from measures.services.financials import financials_upsert
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

THIS_MONTH = dt.date.today().replace(day=1)
HEADER = "measure,period,line,scenario,amount"


def month(offset: int = 0) -> str:
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02d}"


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def run(personas, content, by=None, dry_run=False, name="financials.csv"):
    return import_financials(
        organization=personas.org,
        by=by or personas.lead,
        rows=read_table(name, content),
        dry_run=dry_run,
    )


def stored(personas) -> set[tuple[str, str, str, str, Decimal]]:
    return {
        (code, f"{period:%Y-%m}", line, scenario, amount)
        for code, period, line, scenario, amount in FinancialEntry.objects.for_org(
            personas.org
        ).values_list("measure__code", "period", "line", "scenario", "amount")
    }


@pytest.fixture
def measures(personas):
    branch = {"package__project__program__portfolio__organization": personas.org}
    return (
        MeasureFactory(**branch, code="M-1", owner=personas.owner),
        MeasureFactory(**branch, code="M-2"),
    )


def test_the_applied_import_equals_the_file(personas, measures):
    rows = [
        f"M-1,{month(-1)},benefit,actual,1200.50",
        f"M-1,{month(0)},benefit,forecast,1300",
        f"M-1,{month(1)},one_time_cost,plan,500",
        f'm-2,{month(0)},Recurring cost,Forecast,"2,000"',
    ]
    result = run(personas, csv_file(HEADER, *rows))
    assert result.ok and result.written, result.errors
    assert stored(personas) == {
        ("M-1", month(-1), "benefit", "actual", Decimal("1200.50")),
        ("M-1", month(0), "benefit", "forecast", Decimal("1300")),
        ("M-1", month(1), "one_time_cost", "plan", Decimal("500")),
        ("M-2", month(0), "recurring_cost", "forecast", Decimal("2000")),
    }
    assert len(result.changes) == 4 and result.measures == ["M-1", "M-2"]
    # The service wrote: one audit event per measure, versions moved, actuals await validation.
    events = AuditEvent.objects.for_org(personas.org).filter(action="measure.financials_changed")
    assert events.count() == 2
    first = measures[0]
    first.refresh_from_db()
    assert first.version > 1
    actual = FinancialEntry.objects.for_org(personas.org).get(scenario="actual")
    assert actual.validation == "pending"


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(personas, measures):
    _, last = fiscal_range(personas.org.fiscal_year_start_month)
    content = csv_file(
        HEADER,
        f"M-1,{month(0)},benefit,forecast,100",  # 2: fine
        f"NOPE,{month(0)},benefit,forecast,100",  # 3: unknown measure
        f"M-1,{last.year + 1}-01,benefit,forecast,100",  # 4: outside the fiscal range
        f"M-1,{month(1)},benefit,forecast,12x",  # 5: not a number
        f"M-1,{month(2)},benefit,forecast,5000000000000",  # 6: absurd
        f"M-1,{month(0)},benefit,forecast,200",  # 7: the cell of line 2 again
        f"M-1,{month(3)},benefit,baseline,100",  # 8: the baseline
        f"M-1,{month(3)},savings,plan,100",  # 9: no such line
    )
    result = run(personas, content)
    assert not result.ok and not result.written
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    assert not AuditEvent.objects.for_org(personas.org).exists()
    reported = {(error.line, error.column) for error in result.errors}
    assert reported == {
        (3, "measure"),
        (4, "period"),
        (5, "amount"),
        (6, "amount"),
        (7, "measure"),
        (8, "scenario"),
        (9, "line"),
    }
    by_line = {error.line: error.message for error in result.errors}
    assert "NOPE" in by_line[3]
    assert "fiscal range" in by_line[4]
    assert "line 2" in by_line[7]
    assert "baseline" in by_line[8].lower()


def test_a_measure_the_importer_may_not_change_is_a_bad_row(personas, measures):
    content = csv_file(
        HEADER, f"M-1,{month(0)},benefit,forecast,10", f"M-2,{month(0)},benefit,forecast,10"
    )
    result = run(personas, content, by=personas.owner)
    assert [(e.line, e.column) for e in result.errors] == [(3, "measure")]
    assert "may not change" in result.errors[0].message and "M-2" in result.errors[0].message
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    # A measure in another organization does not exist here.
    other = MeasureFactory(
        package__project__program__portfolio__organization=personas.other_org, code="G-1"
    )
    result = run(personas, csv_file(HEADER, f"{other.code},{month(0)},benefit,plan,1"))
    assert "No measure" in result.errors[0].message


def test_a_dry_run_shows_old_and_new_amounts_and_writes_nothing(personas, measures):
    financials_upsert(
        measure=measures[0],
        rows=[
            {"period": month(0), "line": "benefit", "scenario": "forecast", "amount": "100"},
            {"period": month(1), "line": "benefit", "scenario": "forecast", "amount": "50"},
        ],
        by=personas.lead,
    )
    before = stored(personas)
    events = AuditEvent.objects.for_org(personas.org).count()
    potentials = MeasurePotential.objects.for_org(personas.org).count()
    content = csv_file(
        HEADER,
        f"M-1,{month(0)},benefit,forecast,150",
        f"M-1,{month(1)},benefit,forecast,50",
        f"M-2,{month(0)},benefit,plan,70",
    )
    result = run(personas, content, dry_run=True)
    assert result.ok and not result.written
    assert [(c.measure, c.old, c.new) for c in result.changes] == [
        ("M-1", Decimal("100.00"), Decimal("150.00")),
        ("M-2", None, Decimal("70.00")),
    ]
    assert result.unchanged == 1
    assert stored(personas) == before
    assert AuditEvent.objects.for_org(personas.org).count() == events
    assert MeasurePotential.objects.for_org(personas.org).count() == potentials


def test_xlsx_with_month_cells(personas, measures):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Measure code", "Period", "Line", "Scenario", "Amount"])
    sheet.append(["M-1", THIS_MONTH, "benefit", "actual", 99.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(personas, buffer.getvalue(), name="actuals.xlsx")
    assert result.ok, result.errors
    assert stored(personas) == {("M-1", month(0), "benefit", "actual", Decimal("99.50"))}


def test_missing_columns_are_reported_as_a_whole(personas, measures):
    result = run(personas, csv_file("measure,period,amount", f"M-1,{month(0)},1"))
    assert {(e.line, e.column) for e in result.errors} == {(1, "line"), (1, "scenario")}


def test_the_page_checks_then_imports(client, personas, measures):
    client.force_login(personas.lead)
    url = "/o/acme/financials/import/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("f.csv", csv_file(HEADER, f"M-1,{month(0)},benefit,plan,42"))
    checked = client.post(url, {"file": upload, "dry_run": "on"})
    assert checked.status_code == 200 and b"Import now" in checked.content
    assert b"42.00" in checked.content and b"import-preview" in checked.content
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    done = client.post(url, {"token": checked.context["token"]})
    assert done.status_code == 302
    assert stored(personas) == {("M-1", month(0), "benefit", "plan", Decimal("42"))}
    bad = SimpleUploadedFile(
        "f.csv",
        csv_file(HEADER, f"M-1,{month(0)},benefit,plan,1", f"M-9,{month(0)},benefit,plan,x"),
    )
    refused = client.post(url, {"file": bad})
    assert refused.status_code == 422 and b"M-9" in refused.content
    assert stored(personas) == {("M-1", month(0), "benefit", "plan", Decimal("42"))}


def test_the_api_imports_all_or_nothing(api, personas, measures):
    from governance.services.tokens import token_issue

    _, key = token_issue(
        user=personas.lead, organization=personas.org, name="erp", scope="write", by=personas.lead
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = "/api/v1/orgs/acme/imports/financials/"
    bad = SimpleUploadedFile(
        "f.csv", csv_file(HEADER, f"M-1,{month(0)},benefit,plan,1", f"M-2,{month(0)},x,plan,1")
    )
    response = api.post(url, {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert len(response.json()["errors"]["rows"]) == 1
    assert response.json()["errors"]["rows"][0].startswith("line 3, line:")
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    good = SimpleUploadedFile("f.csv", csv_file(HEADER, f"M-1,{month(0)},benefit,plan,1"))
    response = api.post(url, {"file": good, "dry_run": "true"}, format="multipart")
    assert response.status_code == 200 and response.json()["changed"] == 1
    assert not FinancialEntry.objects.for_org(personas.org).exists()
    good.seek(0)
    response = api.post(url, {"file": good}, format="multipart")
    assert response.status_code == 200 and response.json()["dry_run"] is False
    assert response.json()["changes"][0]["new"] == "1.00"
    assert stored(personas) == {("M-1", month(0), "benefit", "plan", Decimal("1"))}


def test_an_import_costs_the_same_queries_for_few_and_many_measures(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    branch = {"package__project__program__portfolio__organization": personas.org}
    codes = [MeasureFactory(**branch).code for _ in range(30)]

    def sheet(count: int, amount: int) -> bytes:
        return csv_file(
            HEADER,
            *(f"{code},{month(0)},benefit,forecast,{amount}" for code in codes[:count]),
            *(f"{code},{month(0)},benefit,plan,{amount}" for code in codes[:count]),
        )

    assert run(personas, sheet(1, 5), dry_run=True).ok  # the importer's grants, read once
    with CaptureQueriesContext(connection) as few:
        assert run(personas, sheet(3, 10)).ok
    with CaptureQueriesContext(connection) as many:
        assert run(personas, sheet(30, 20)).ok
    assert len(many.captured_queries) == len(few.captured_queries)
