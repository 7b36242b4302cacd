from django.urls import path

from reporting.views.reports import (
    ReportArchiveView,
    ReportDefinitionDeleteView,
    ReportDefinitionFormView,
    ReportDefinitionListView,
    ReportDefinitionRunView,
    ReportFileDownloadView,
)

urlpatterns = [
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
