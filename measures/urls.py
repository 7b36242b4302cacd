from governance.views.hierarchy import node_urlpatterns
from measures.models import Measure, MeasurePackage

urlpatterns = [
    *node_urlpatterns(MeasurePackage),
    *node_urlpatterns(Measure),
]
