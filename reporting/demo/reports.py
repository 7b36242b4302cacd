"""The demo organization's snapshot and its weekly leadership report.

A snapshot is taken when the organization has none, so "since the last report" has a baseline;
the report definition is looked up by its title and created only when missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from governance.models import Organization, Role
from reporting.models import ReportDefinition, ReportFormat, Snapshot, SnapshotKind
from reporting.reports.services import DefinitionData, definition_create
from reporting.services.snapshots import snapshot_take
from reporting.widgets.registry import WIDGETS

WEEKLY_REPORT_TITLE = "Weekly leadership report"


def demo_snapshot_ensure(*, organization: Organization, today: dt.date) -> Snapshot:
    """The latest snapshot, or a weekly one taken now when there is none yet."""
    latest = Snapshot.objects.for_org(organization).order_by("-taken_at").first()
    if latest is not None:
        return latest
    return snapshot_take(organization=organization, kind=SnapshotKind.WEEKLY, period=today)


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
