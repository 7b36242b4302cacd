"""The API base viewset: every tenant endpoint resolves its organization and restricts first.

Before any handler runs, ``initial`` authenticates, finds the organization of the URL, checks
that the user is a member (and that a token belongs to this organization) — otherwise 404 — and
refuses writes through read-only tokens. ``get_queryset`` is always ``restrict``-ed for viewing;
writes go through services, which check the write permission themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, viewsets
from rest_framework.request import Request

from governance.access import membership_of, restrict
from governance.middleware import organization_from_url
from governance.models import ApiToken, Organization, TokenScope

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class OrgScopedViewSetMixin:
    request: Request
    kwargs: dict[str, Any]
    queryset_model: Any = None
    organization: Organization

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if getattr(self, "swagger_fake_view", False):
            return
        organization = organization_from_url(request, kwargs.get("org_slug"))
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if (
            organization is None
            or membership_of(request.user, organization) is None
            or (token is not None and token.organization_id != organization.pk)
        ):
            raise exceptions.NotFound()
        if (
            token is not None
            and token.scope != TokenScope.WRITE
            and request.method not in SAFE_METHODS
        ):
            raise exceptions.PermissionDenied("This token may only read.")
        self.organization = organization

    def restricted(self, queryset: QuerySet[Any], action: str = "view") -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return queryset.unscoped().none()  # type: ignore[attr-defined]
        return restrict(queryset, self.request.user, action, organization=self.organization)  # type: ignore[arg-type]

    def get_queryset(self) -> QuerySet[Any]:
        return self.restricted(self.queryset_model.objects.all())

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["organization"] = getattr(self, "organization", None)
        context["viewset"] = self
        return context


class OrgScopedViewSet(OrgScopedViewSetMixin, viewsets.GenericViewSet):
    pass
