from django.urls import path

from reporting.views.dashboards import DashboardView, WidgetCsvView
from reporting.views.reports import (
    ReportArchiveView,
    ReportDefinitionDeleteView,
    ReportDefinitionFormView,
    ReportDefinitionListView,
    ReportDefinitionRunView,
    ReportFileDownloadView,
)
from reporting.views.snapshots import SnapshotCompareView, SnapshotListView

WIDGET_CSV = "widget/<slug:key>.csv"

urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path(f"dashboard/{WIDGET_CSV}", WidgetCsvView.as_view(), name="dashboard-widget"),
    path("my/dashboard/", DashboardView.as_view(level="mine"), name="my-dashboard"),
    path(
        f"my/dashboard/{WIDGET_CSV}",
        WidgetCsvView.as_view(level="mine"),
        name="my-dashboard-widget",
    ),
]
for _level, _segment in (
    ("portfolio", "portfolios"),
    ("program", "programs"),
    ("project", "projects"),
):
    urlpatterns += [
        path(
            f"{_segment}/<int:pk>/dashboard/",
            DashboardView.as_view(level=_level),
            name=f"{_level}-dashboard",
        ),
        path(
            f"{_segment}/<int:pk>/dashboard/{WIDGET_CSV}",
            WidgetCsvView.as_view(level=_level),
            name=f"{_level}-dashboard-widget",
        ),
    ]
urlpatterns += [
    path("settings/reports/", ReportDefinitionListView.as_view(), name="report-definition-list"),
    path(
        "settings/reports/new/",
        ReportDefinitionFormView.as_view(),
        name="report-definition-create",
    ),
    path(
        "settings/reports/<int:pk>/",
        ReportDefinitionFormView.as_view(),
        name="report-definition-edit",
    ),
    path(
        "settings/reports/<int:pk>/delete/",
        ReportDefinitionDeleteView.as_view(),
        name="report-definition-delete",
    ),
    path(
        "settings/reports/<int:pk>/run/",
        ReportDefinitionRunView.as_view(),
        name="report-definition-run",
    ),
    path("reports/", ReportArchiveView.as_view(), name="report-archive"),
    path("reports/files/<int:pk>/", ReportFileDownloadView.as_view(), name="report-file-download"),
]
urlpatterns += [
    path("snapshots/", SnapshotListView.as_view(), name="snapshot-list"),
    path("snapshots/<int:pk>/", SnapshotCompareView.as_view(), name="snapshot-compare"),
]
