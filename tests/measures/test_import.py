"""Spreadsheet import of measures: all rows or none, every bad row reported with its line."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from governance.models import AuditEvent
from measures.imports import ImportFileError, import_measures, read_table
from measures.models import Measure
from tests.factories import (
    FunctionFactory,
    MeasureFactory,
    MeasurePackageFactory,
)

pytestmark = pytest.mark.django_db


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx_file(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def package(personas):
    return MeasurePackageFactory(
        project__program__portfolio__organization=personas.org, code="MP-1"
    )


def run(personas, content, name="measures.csv", by=None, dry_run=False):
    return import_measures(
        organization=personas.org,
        by=by or personas.lead,
        rows=read_table(name, content),
        dry_run=dry_run,
    )


def test_a_clean_file_creates_and_updates_measures_through_the_services(personas, package):
    FunctionFactory(organization=personas.org, code="PRO")
    existing = MeasureFactory(package=package, code="M-OLD", title="Old title")
    result = run(
        personas,
        csv_file(
            "code,package,title,owner,function,start_date,end_date,target_value",
            'M-NEW,MP-1,Consolidate suppliers,acme-owner,PRO,2026-01-01,2026-12-31,"120,000"',
            "m-old,,New title,,,,,",
        ),
    )
    assert result.ok and result.created == ["M-NEW"] and result.updated == ["m-old"]
    new = Measure.objects.for_org(personas.org).get(code="M-NEW")
    assert new.owner == personas.owner and new.function.code == "PRO"
    assert new.target_value == Decimal("120000.00") and new.package_id == package.pk
    existing.refresh_from_db()
    assert existing.title == "New title"
    assert AuditEvent.objects.for_org(personas.org).filter(action="measure.created").count() == 1


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(personas, package):
    result = run(
        personas,
        csv_file(
            "code,package,title,owner,end_date,start_date,budget",
            "M-1,MP-1,Fine,,,,",
            "M-2,MP-404,Unknown package,,,,",
            "M-3,MP-1,Bad owner,nobody,,,",
            "M-4,MP-1,Inverted,,2026-01-01,2026-06-01,",
            "M-5,MP-1,Not an amount,,,,lots",
            "M-1,MP-1,Twice,,,,",
            ",MP-1,No code,,,,",
        ),
    )
    assert (not result.ok and not result.created) or not result.written
    assert Measure.objects.for_org(personas.org).count() == 0
    reported = {(error.line, error.column) for error in result.errors}
    assert reported == {
        (3, "package"),
        (4, "owner"),
        (5, "end_date"),
        (6, "budget"),
        (7, "code"),
        (8, "code"),
    }
    assert any("MP-404" in error.message for error in result.errors)


def test_a_dry_run_reports_what_would_change_and_writes_nothing(personas, package):
    result = run(personas, csv_file("code,package,title", "M-9,MP-1,Try"), dry_run=True)
    assert result.ok and result.created == ["M-9"] and not result.written
    assert not Measure.objects.for_org(personas.org).exists()
    assert not AuditEvent.objects.for_org(personas.org).exists()


def test_xlsx_with_date_cells_and_a_semicolon_csv(personas, package):
    import datetime as dt

    result = run(
        personas,
        xlsx_file(
            [
                ["Code", "Package", "Title", "End date"],
                ["M-X", "MP-1", "From Excel", dt.date(2027, 3, 31)],
            ]
        ),
        name="plan.xlsx",
    )
    assert result.ok, result.errors
    assert Measure.objects.for_org(personas.org).get(code="M-X").end_date == dt.date(2027, 3, 31)
    result = run(personas, csv_file("code;package;title", "M-Y;MP-1;Semicolons"))
    assert result.ok and result.created == ["M-Y"]


def test_unreadable_files_are_refused_as_a_whole():
    with pytest.raises(ImportFileError, match=r"xlsx or \.csv"):
        read_table("measures.pdf", b"%PDF")
    with pytest.raises(ImportFileError, match="readable"):
        read_table("measures.xlsx", b"not a zip")
    with pytest.raises(ImportFileError, match="empty"):
        read_table("measures.csv", b"\n\n")


def test_rows_the_importer_may_not_write_are_errors(personas, package):
    other = MeasurePackageFactory(organization=personas.org, code="MP-2")
    assert other  # visible to the viewer, but not theirs to add to
    result = run(personas, csv_file("code,package,title", "M-1,MP-2,No"), by=personas.viewer)
    assert not result.ok
    assert "may not add" in result.errors[0].message


def test_the_page_checks_then_imports(client, personas, package):
    client.force_login(personas.lead)
    url = "/o/acme/measures/import/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("m.csv", csv_file("code,package,title", "M-7,MP-1,Seven"))
    checked = client.post(url, {"file": upload, "dry_run": "on"})
    assert checked.status_code == 200 and b"Import now" in checked.content
    assert not Measure.objects.for_org(personas.org).exists()
    token = checked.context["token"]
    done = client.post(url, {"token": token})
    assert done.status_code == 302
    assert Measure.objects.for_org(personas.org).filter(code="M-7").exists()
    bad = SimpleUploadedFile("m.csv", csv_file("code,package,title", "M-8,NOPE,Eight"))
    refused = client.post(url, {"file": bad})
    assert refused.status_code == 422 and b"NOPE" in refused.content
    assert not Measure.objects.for_org(personas.org).filter(code="M-8").exists()


def test_the_page_is_for_who_may_add_measures(client, personas):
    client.force_login(personas.viewer)
    assert client.get("/o/acme/measures/import/").status_code == 403


def test_the_api_imports_all_or_nothing(api, personas, package):
    from governance.services.tokens import token_issue

    _, key = token_issue(
        user=personas.lead, organization=personas.org, name="erp", scope="write", by=personas.lead
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = "/api/v1/orgs/acme/imports/measures/"
    bad = SimpleUploadedFile("m.csv", csv_file("code,package,title", "M-1,MP-1,Ok", "M-2,X,No"))
    response = api.post(url, {"file": bad}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["rows"] == [
        "line 3, package: No measure package with the code 'X'."
    ]
    assert not Measure.objects.for_org(personas.org).exists()
    good = SimpleUploadedFile("m.csv", csv_file("code,package,title", "M-1,MP-1,Ok"))
    response = api.post(url, {"file": good, "dry_run": "false"}, format="multipart")
    assert response.status_code == 200 and response.json()["created"] == ["M-1"]
