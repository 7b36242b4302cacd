from django.urls import path

from governance.views.hierarchy import node_urlpatterns
from measures.models import Measure, MeasurePackage
from measures.views.financials import ActualValidateView, MeasureFinancialsView
from measures.views.imports import MeasureImportView
from measures.views.mine import MyMeasuresView
from measures.views.risks import MeasureDependenciesView, MeasureRisksView
from measures.views.stages import MeasureDetailView, MeasureTransitionView

urlpatterns = [
    path("measures/import/", MeasureImportView.as_view(), name="measure-import"),
    path("my/measures/", MyMeasuresView.as_view(), name="my-measures"),
    *node_urlpatterns(MeasurePackage),
    # The measure page is the node page with the gate panel.
    path(
        "measures/<int:pk>/",
        MeasureDetailView.as_view(model=Measure),
        name="measure-detail",
    ),
    *[
        pattern
        for pattern in node_urlpatterns(Measure)
        if getattr(pattern, "name", None) != "measure-detail"
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
    path("measures/<int:pk>/risks/", MeasureRisksView.as_view(), name="measure-risks"),
    path(
        "measures/<int:pk>/dependencies/",
        MeasureDependenciesView.as_view(),
        name="measure-dependencies",
    ),
]
