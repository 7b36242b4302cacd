"""The REST API, version 1: every tenant endpoint lives under ``orgs/<org_slug>/``."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from approvals.api.urls import urlpatterns as approval_urls
from approvals.models import ApprovalRequest
from governance.api.decisions import urlpatterns as decision_urls
from governance.api.exceptions import urlpatterns as exception_urls
from governance.api.hierarchy import node_viewset_class
from governance.api.history import history_urlpatterns
from governance.api.notifications import urlpatterns as notification_urls
from governance.api.views import OrganizationViewSet
from governance.api.webhooks import urlpatterns as webhook_urls
from governance.models import Portfolio, Program, Project
from measures.api.capacity import urlpatterns as capacity_urls
from measures.api.financials import urlpatterns as financial_urls
from measures.api.imports import FinancialImportViewSet, MeasureImportViewSet
from measures.api.kpis import urlpatterns as kpi_urls
from measures.api.milestones import urlpatterns as milestone_urls
from measures.api.risks import urlpatterns as risk_urls
from measures.api.stages import MeasureViewSet
from measures.models import Measure, MeasurePackage
from reporting.api.reports import urlpatterns as report_urls
from reporting.api.snapshots import urlpatterns as snapshot_urls

router = SimpleRouter()
for model, segment in (
    (Portfolio, "portfolios"),
    (Program, "programs"),
    (Project, "projects"),
    (MeasurePackage, "packages"),
):
    router.register(segment, node_viewset_class(model), basename=model.LEVEL)
router.register("measures", MeasureViewSet, basename="measure")
# The history of every object page: ``<segment>/<id>/history/``.
history_urls = history_urlpatterns(
    {
        "portfolios": (Portfolio, "portfolio-history"),
        "programs": (Program, "program-history"),
        "projects": (Project, "project-history"),
        "packages": (MeasurePackage, "package-history"),
        "measures": (Measure, "measure-history"),
        "approvals": (ApprovalRequest, "approval-history"),
    }
)

urlpatterns = [
    path("orgs/", OrganizationViewSet.as_view({"get": "list"}), name="api-org-list"),
    path(
        "orgs/<slug:org_slug>/imports/measures/",
        MeasureImportViewSet.as_view({"post": "create"}),
        name="measure-import",
    ),
    path(
        "orgs/<slug:org_slug>/imports/financials/",
        FinancialImportViewSet.as_view({"post": "create"}),
        name="financials-import",
    ),
    path("orgs/<slug:org_slug>/", include(router.urls)),
    path("orgs/<slug:org_slug>/", include(financial_urls)),
    path("orgs/<slug:org_slug>/", include(kpi_urls)),
    path("orgs/<slug:org_slug>/", include(capacity_urls)),
    path("orgs/<slug:org_slug>/", include(milestone_urls)),
    path("orgs/<slug:org_slug>/", include(risk_urls)),
    path("orgs/<slug:org_slug>/", include(approval_urls)),
    path("orgs/<slug:org_slug>/", include(decision_urls)),
    path("orgs/<slug:org_slug>/", include(exception_urls)),
    path("orgs/<slug:org_slug>/", include(notification_urls)),
    path("orgs/<slug:org_slug>/", include(history_urls)),
    path("orgs/<slug:org_slug>/", include(webhook_urls)),
    path("orgs/<slug:org_slug>/", include(snapshot_urls)),
    path("orgs/<slug:org_slug>/", include(report_urls)),
]
