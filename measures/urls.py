from django.urls import path

from governance.views.hierarchy import node_urlpatterns
from measures.models import Measure, MeasurePackage
from measures.views.capacity import CapacityView, MeasureCapacityView
from measures.views.financials import ActualValidateView, MeasureFinancialsView
from measures.views.history import MeasureHistoryView
from measures.views.imports import FinancialsImportView, MeasureImportView
from measures.views.kpis import MeasureKpisView
from measures.views.listing import MeasureListView
from measures.views.milestones import (
    EvidenceDownloadView,
    MeasureMilestonesView,
    MilestoneDeleteView,
    MilestoneDoneView,
    MilestoneEditView,
    MilestoneEvidenceView,
)
from measures.views.mine import MyMeasuresView
from measures.views.risks import MeasureDependenciesView, MeasureRisksView
from measures.views.settings import MeasureSettingsView
from measures.views.stages import MeasureDetailView, MeasureTransitionView
from measures.views.status import MeasureStatusView

urlpatterns = [
    path("measures/import/", MeasureImportView.as_view(), name="measure-import"),
    path("financials/import/", FinancialsImportView.as_view(), name="financials-import"),
    path("settings/measures/", MeasureSettingsView.as_view(), name="measure-settings"),
    path("my/measures/", MyMeasuresView.as_view(), name="my-measures"),
    *node_urlpatterns(MeasurePackage),
    # The measure page is the node page with the gate panel.
    path(
        "measures/<int:pk>/",
        MeasureDetailView.as_view(model=Measure),
        name="measure-detail",
    ),
    # The measure list is the node list with the dashboards' drill-down filters.
    path("measures/", MeasureListView.as_view(model=Measure), name="measure-list"),
    *[
        pattern
        for pattern in node_urlpatterns(Measure)
        if getattr(pattern, "name", None) not in ("measure-detail", "measure-list")
    ],
    path(
        "measures/<int:pk>/transition/",
        MeasureTransitionView.as_view(model=Measure),
        name="measure-transition",
    ),
    path(
        "measures/<int:pk>/financials/",
        MeasureFinancialsView.as_view(),
        name="measure-financials",
    ),
    path(
        "measures/<int:pk>/financials/validate/",
        ActualValidateView.as_view(),
        name="measure-financials-validate",
    ),
    path("measures/<int:pk>/kpis/", MeasureKpisView.as_view(), name="measure-kpis"),
    path("measures/<int:pk>/history/", MeasureHistoryView.as_view(), name="measure-history"),
    path("capacity/", CapacityView.as_view(), name="capacity"),
    path(
        "measures/<int:pk>/capacity/",
        MeasureCapacityView.as_view(),
        name="measure-capacity",
    ),
    path(
        "measures/<int:pk>/milestones/",
        MeasureMilestonesView.as_view(),
        name="measure-milestones",
    ),
    path(
        "measures/<int:pk>/milestones/<int:milestone_id>/edit/",
        MilestoneEditView.as_view(),
        name="measure-milestone-edit",
    ),
    path(
        "measures/<int:pk>/milestones/<int:milestone_id>/done/",
        MilestoneDoneView.as_view(),
        name="measure-milestone-done",
    ),
    path(
        "measures/<int:pk>/milestones/<int:milestone_id>/delete/",
        MilestoneDeleteView.as_view(),
        name="measure-milestone-delete",
    ),
    path(
        "measures/<int:pk>/milestones/<int:milestone_id>/evidence/",
        MilestoneEvidenceView.as_view(),
        name="measure-milestone-evidence",
    ),
    path(
        "measures/<int:pk>/evidence/<int:evidence_id>/",
        EvidenceDownloadView.as_view(),
        name="measure-evidence-download",
    ),
    path("measures/<int:pk>/status/", MeasureStatusView.as_view(), name="measure-status"),
    path("measures/<int:pk>/risks/", MeasureRisksView.as_view(), name="measure-risks"),
    path(
        "measures/<int:pk>/dependencies/",
        MeasureDependenciesView.as_view(),
        name="measure-dependencies",
    ),
]
