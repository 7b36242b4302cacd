from django.urls import path

from governance.models import Portfolio, Program, Project
from governance.views.hierarchy import node_urlpatterns
from governance.views.home import OrganizationHome

urlpatterns = [
    path("", OrganizationHome.as_view(), name="org-home"),
    *node_urlpatterns(Portfolio),
    *node_urlpatterns(Program),
    *node_urlpatterns(Project),
]
