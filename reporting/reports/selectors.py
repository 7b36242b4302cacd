"""Reads of report runs and files: the archive, and who may download what.

Everyone sees the runs that delivered a file to them, and downloads their own files. Org admins
(who hold every permission on the whole organization, so no file holds more than they may
see) see every run and may download every file.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from governance.access import can
from governance.models import Organization
from reporting.models import ReportDefinition, ReportFile, ReportRun


def sees_all_reports(user: Any, organization: Organization) -> bool:
    return can(user, "administer", organization)


def files_downloadable(user: Any, organization: Organization) -> QuerySet[ReportFile]:
    """The report files ``user`` may download."""
    files = ReportFile.objects.for_org(organization)
    if not getattr(user, "pk", None):
        return files.none()
    if sees_all_reports(user, organization):
        return files
    return files.filter(recipient_id=user.pk)


def runs_visible(user: Any, organization: Organization) -> QuerySet[ReportRun]:
    """The runs ``user`` sees in the archive, newest first, each with the files they may
    download (``run.files_for_user``), in three queries whatever the number of runs."""
    files = files_downloadable(user, organization)
    runs = ReportRun.objects.for_org(organization)
    if not sees_all_reports(user, organization):
        runs = runs.filter(Exists(files.filter(run_id=OuterRef("pk"))))
    return (
        runs.select_related("definition", "requested_by")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=files.select_related("recipient").order_by(
                    "recipient__username", "format"
                ),
                to_attr="files_for_user",
            )
        )
        .order_by("-id")
    )


def definitions_of(organization: Organization) -> QuerySet[ReportDefinition]:
    """The organization's definitions, each annotated with its latest run's state, reason and
    time (``last_state``, ``last_reason``, ``last_at``): one query."""
    latest = (
        ReportRun.objects.for_org(organization).filter(definition_id=OuterRef("pk")).order_by("-id")
    )
    return (
        ReportDefinition.objects.for_org(organization)
        .select_related("portfolio", "program", "project")
        .annotate(
            last_state=Subquery(latest.values("state")[:1]),
            last_reason=Subquery(latest.values("reason")[:1]),
            last_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("title", "id")
    )
