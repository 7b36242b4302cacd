"""A report for one recipient, rendered as PDF (WeasyPrint), XLSX (openpyxl) or CSV.

The sections are computed once per recipient (``report_for``) with a Scope built from that
recipient and the definition's scope node, then written in each format asked for. CSV: one file
per section, zipped together when the report has several (a single section is a plain .csv).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from governance.models import Organization
from reporting.models import ReportDefinition, ReportFormat
from reporting.reports.charts import chart_svg
from reporting.reports.sections import section_table
from reporting.widgets.base import Column, Filters, Scope, Table

CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.CSV: "text/csv",
}
ZIP_TYPE = "application/zip"
# A PDF section of more columns than this is laid out on a landscape page in a smaller type.
WIDE_COLUMNS = 7
NUMBER_FORMATS = {
    "money": "#,##0.00;-#,##0.00",
    "count": "#,##0",
    "days": "#,##0",
    "percent": "0.0%",
    "hours": "#,##0.0",
    "date": "yyyy-mm-dd",
}


@dataclass
class RecipientReport:
    """One recipient's sections of one definition."""

    definition: ReportDefinition
    organization: Organization
    recipient: Any
    tables: list[Table]
    generated_at: dt.datetime
    # Whether the recipient may see financial figures (the widgets leave money out otherwise).
    shows_money: bool = True

    @property
    def scope_label(self) -> str:
        node = self.definition.scope_node
        return str(self.organization.name) if node is None else f"{node.LEVEL.title()} {node}"  # type: ignore[attr-defined]

    def file_stem(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.definition.title).strip("-").lower()
        return f"{slug or 'report'}-{self.generated_at:%Y-%m-%d}"


def scope_filters(definition: ReportDefinition) -> Filters:
    """The definition's scope node as dashboard filters."""
    return Filters(
        portfolio=definition.portfolio_id,
        program=definition.program_id,
        project=definition.project_id,
    )


def report_for(
    *, definition: ReportDefinition, organization: Organization, recipient: Any
) -> RecipientReport:
    """Every section of ``definition`` (widget keys) computed with ``recipient``'s grants only,
    by the dashboards' own widgets."""
    scope = Scope(organization=organization, user=recipient, filters=scope_filters(definition))
    tables = [section_table(key, scope) for key in definition.sections]
    return RecipientReport(
        definition=definition,
        organization=organization,
        recipient=recipient,
        tables=tables,
        generated_at=timezone.now(),
        shows_money=scope.may_view_financials,
    )


def cell_text(column: Column, value: Any) -> str:
    """A value as people read it: thousands separators, two decimals for money, minus signs."""
    if value is None:
        return ""
    if column.kind == "money" and isinstance(value, int | float | Decimal):
        return f"{Decimal(value):,.2f}"
    if column.kind in ("count", "days") and isinstance(value, int | float | Decimal):
        return f"{int(value):,}"
    if column.kind == "hours" and isinstance(value, int | float | Decimal):
        return f"{Decimal(value):,.1f}"
    if column.kind == "percent" and isinstance(value, int | float | Decimal):
        return f"{Decimal(value):,.1f} %"  # widgets give percentages (85.3), not fractions
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def report_html(report: RecipientReport) -> str:
    """The report as the HTML page the PDF is printed from: each section's chart (inline SVG)
    above its table; a table of many columns gets a landscape page."""
    sections = [
        {
            "table": table,
            "chart": mark_safe(chart_svg(table)),  # noqa: S308 (built from escaped text only)
            "wide": len(table.columns) > WIDE_COLUMNS,
            "cells": [
                [(column, cell_text(column, row.get(column.key))) for column in table.columns]
                for row in table.rows
            ],
        }
        for table in report.tables
    ]
    return render_to_string(
        "reporting/reports/report.html", {"report": report, "sections": sections}
    )


def render_pdf(report: RecipientReport) -> bytes:
    """The report as a PDF (WeasyPrint)."""
    from weasyprint import HTML

    return bytes(HTML(string=report_html(report)).write_pdf())


def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Section"
    name, number = base, 2
    while name.lower() in taken:
        name = f"{base[:26]} {number}"
        number += 1
    taken.add(name.lower())
    return name


def render_xlsx(report: RecipientReport) -> bytes:
    """The report as a workbook: one sheet per section, numbers as numbers with formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    taken: set[str] = set()
    for table in report.tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, taken))
        sheet.append([column.label for column in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            values = []
            for column in table.columns:
                value = row.get(column.key)
                if column.kind == "percent" and isinstance(value, int | float | Decimal):
                    value = float(value) / 100  # a fraction, shown as a percentage
                values.append(value)
            sheet.append(values)
        for index, column in enumerate(table.columns, start=1):
            number_format = NUMBER_FORMATS.get(column.kind)
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(14, len(column.label) + 4)
            if number_format:
                for (cell,) in sheet.iter_rows(
                    min_row=2, min_col=index, max_col=index, max_row=sheet.max_row
                ):
                    cell.number_format = number_format
        if table.note:
            sheet.append([])
            sheet.append([table.note])
    if not report.tables:
        workbook.create_sheet("Report")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render_csv(report: RecipientReport) -> tuple[bytes, str, str]:
    """The report as CSV: ``(content, extension, content type)``; several sections are zipped,
    one CSV per section."""
    if len(report.tables) == 1:
        return report.tables[0].csv().encode("utf-8-sig"), "csv", CONTENT_TYPES[ReportFormat.CSV]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, table in enumerate(report.tables, start=1):
            archive.writestr(f"{index:02d}-{table.key}.csv", table.csv().encode("utf-8-sig"))
    return out.getvalue(), "zip", ZIP_TYPE


def render(report: RecipientReport, fmt: str) -> tuple[bytes, str, str]:
    """``(content, file name, content type)`` of the report in format ``fmt``."""
    stem = report.file_stem()
    if fmt == ReportFormat.PDF:
        return render_pdf(report), f"{stem}.pdf", CONTENT_TYPES[ReportFormat.PDF]
    if fmt == ReportFormat.XLSX:
        return render_xlsx(report), f"{stem}.xlsx", CONTENT_TYPES[ReportFormat.XLSX]
    if fmt == ReportFormat.CSV:
        content, extension, content_type = render_csv(report)
        return content, f"{stem}.{extension}", content_type
    raise ValueError(f"Unknown report format {fmt!r}.")
