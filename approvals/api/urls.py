"""Every approvals endpoint under ``orgs/<org_slug>/``: one list per module."""

from approvals.api.policies import urlpatterns as policy_urls
from approvals.api.requests import urlpatterns as request_urls
from approvals.api.validations import urlpatterns as validation_urls
from approvals.changes.api import urlpatterns as change_urls

urlpatterns = [*request_urls, *policy_urls, *change_urls, *validation_urls]
