"""Leadership reports for the whole organization, as the org admin receives them: every section
computed with their grants and rendered as a PDF (WeasyPrint, charts as inline SVG) or an XLSX
workbook. The definition is built in memory: the timed part is computing and rendering."""

from __future__ import annotations

from typing import Any

from governance.rls import tenant_scope
from reporting.models import ReportDefinition
from reporting.reports.render import render, report_for
from reporting.reports.sections import section_registry
from tests.bench.scenarios import BenchTenant, scenario


def _leadership_report(tenant: BenchTenant, fmt: str) -> Any:
    definition = ReportDefinition(
        organization=tenant.organization,
        title="Leadership report",
        sections=list(section_registry()),
        formats=[fmt],
    )
    with tenant_scope(tenant.organization.pk):
        report = report_for(
            definition=definition, organization=tenant.organization, recipient=tenant.admin
        )
        content, _, _ = render(report, fmt)
    return len(content)


scenario(
    "Report: leadership PDF for the whole organization",
    call=lambda tenant: _leadership_report(tenant, "pdf"),
)(lambda tenant: "reporting.reports.render(report_for(whole organization), 'pdf')")

scenario(
    "Report: XLSX for the whole organization",
    call=lambda tenant: _leadership_report(tenant, "xlsx"),
)(lambda tenant: "reporting.reports.render(report_for(whole organization), 'xlsx')")
