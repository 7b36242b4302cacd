"""The demo organization's weekly leadership report, looked up by its title and created only
when missing (its snapshots are part of its story: ``reporting.demo.story``)."""

from __future__ import annotations

from typing import Any

from governance.models import Organization, Role
from reporting.models import ReportDefinition, ReportFormat
from reporting.reports.services import DefinitionData, definition_create
from reporting.widgets.registry import WIDGETS

WEEKLY_REPORT_TITLE = "Weekly leadership report"


def demo_report_ensure(*, organization: Organization, admin: Any) -> ReportDefinition:
    """Every widget as PDF and XLSX for the executives, Mondays at 07:00."""
    existing = (
        ReportDefinition.objects.for_org(organization).filter(title=WEEKLY_REPORT_TITLE).first()
    )
    if existing is not None:
        return existing
    data = DefinitionData(
        title=WEEKLY_REPORT_TITLE,
        sections=list(WIDGETS),
        formats=[ReportFormat.PDF, ReportFormat.XLSX],
        audience_roles=[Role.EXECUTIVE],
        cron_minute="0",
        cron_hour="7",
        cron_day_of_week="1",
    )
    return definition_create(organization=organization, by=admin, data=data)
