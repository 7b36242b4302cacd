"""Every request runs inside its tenant's database scope.

``TenantScopeMiddleware`` finds the organization the URL names (``<org_slug>``) and the signed-in
user, and wraps the rest of the request in ``tenant_scope`` for them, so on PostgreSQL the
request's queries can only ever reach that organization's rows, whatever a view forgets. It
does not decide membership: the views' base classes still answer a non-member with 404, reusing
the organization looked up here (``organization_from_url``).

The request is one transaction, as with ``ATOMIC_REQUESTS``: a response of 500 rolls it back.
A streaming response's body is produced after the scope has closed and sees no tenant rows.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from governance.models import Organization
from governance.rls import tenant_scope

URL_ORGANIZATION = "_url_organization"


def organization_from_url(request: object, slug: str | None) -> Organization | None:
    """The organization ``slug`` names: the middleware's lookup when it made one, else a query.

    ``request`` is Django's or REST framework's. Not a membership check: callers still decide
    whether the user may see it.
    """
    looked_up = getattr(request, URL_ORGANIZATION, None)
    if looked_up is not None and looked_up[0] == slug:
        return looked_up[1]
    if not slug:
        return None
    return Organization.objects.filter(slug=slug).first()


class TenantScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            slug = None
        else:
            slug = match.kwargs.get("org_slug")
        organization = Organization.objects.filter(slug=slug).first() if slug else None
        # Kept apart from ``request.organization``, which views set only for members.
        setattr(request, URL_ORGANIZATION, (slug, organization))
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with tenant_scope(organization.pk if organization else None, user_id):
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
