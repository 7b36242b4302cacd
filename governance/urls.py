from django.urls import path

from governance.models import Portfolio, Program, Project
from governance.views.hierarchy import node_urlpatterns
from governance.views.home import OrganizationHome
from governance.views.tokens import TokenCreateView, TokenListView, TokenRevokeView

urlpatterns = [
    path("", OrganizationHome.as_view(), name="org-home"),
    *node_urlpatterns(Portfolio),
    *node_urlpatterns(Program),
    *node_urlpatterns(Project),
    path("settings/tokens/", TokenListView.as_view(), name="token-list"),
    path("settings/tokens/new/", TokenCreateView.as_view(), name="token-create"),
    path("settings/tokens/<int:pk>/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
]
