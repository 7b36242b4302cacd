from django.urls import path

from governance.views.hierarchy import node_urlpatterns
from measures.models import Measure, MeasurePackage
from measures.views.imports import MeasureImportView
from measures.views.mine import MyMeasuresView

urlpatterns = [
    path("measures/import/", MeasureImportView.as_view(), name="measure-import"),
    path("my/measures/", MyMeasuresView.as_view(), name="my-measures"),
    *node_urlpatterns(MeasurePackage),
    *node_urlpatterns(Measure),
]
