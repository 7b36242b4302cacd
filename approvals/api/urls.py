"""Every approvals endpoint under ``orgs/<org_slug>/``: one list per module."""

from approvals.api.requests import urlpatterns as request_urls

urlpatterns = [*request_urls]
