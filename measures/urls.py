from django.urls import path

from governance.views.hierarchy import node_urlpatterns
from measures.models import Measure, MeasurePackage
from measures.views.imports import MeasureImportView

urlpatterns = [
    path("measures/import/", MeasureImportView.as_view(), name="measure-import"),
    *node_urlpatterns(MeasurePackage),
    *node_urlpatterns(Measure),
]
