"""The API base viewset: every tenant endpoint resolves its organization and restricts first.

Before any handler runs, ``initial`` authenticates, finds the organization of the URL, checks
that the user is a member (and that a token belongs to this organization) — otherwise 404 — and
refuses writes through read-only tokens. ``get_queryset`` is always ``restrict``-ed for viewing,
so an object out of scope is 404; ``get_object`` then checks the request's action (from the HTTP
method, or the viewset action's ``ACTION_PERMISSIONS`` entry) on the object, so a visible object
the user may not change is 403. Writes run in one transaction that is rolled back whenever the
answer is an error, and handlers re-check the written object with ``confirm`` inside it. Every
refusal, its own or a 404 / 403 from a handler or service, goes to the security log.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import Action, can, membership_of, restrict
from governance.middleware import organization_from_url
from governance.models import ApiToken, Organization, TokenScope
from governance.security import log_denied, log_refused, url_object

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The action a request performs on the object of its URL, by HTTP method.
METHOD_ACTIONS: dict[str, Action] = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "archive",
}


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
            log_denied(request, "not_member", obj=url_object(self))
            raise exceptions.NotFound()
        if (
            token is not None
            and token.scope != TokenScope.WRITE
            and request.method not in SAFE_METHODS
        ):
            log_denied(request, "read_only_token")
            raise exceptions.PermissionDenied("This token may only read.")
        self.organization = organization

    # Viewset actions whose permission is not the HTTP method's (e.g. ``{"move": "move"}``).
    ACTION_PERMISSIONS: dict[str, Action] = {}

    def required_action(self) -> Action:
        named = self.ACTION_PERMISSIONS.get(getattr(self, "action", "") or "")
        return named or METHOD_ACTIONS.get(self.request.method or "GET", "change")

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)  # type: ignore[misc]
        if not can(request.user, self.required_action(), obj):
            raise exceptions.PermissionDenied("Your role does not allow this here.")

    def confirm(self, obj: Model, action: Action = "change") -> None:
        """Re-check, inside the write's transaction, that the user may still ``action`` the
        written object where it now is (a create or a move can land it out of reach)."""
        if not can(self.request.user, action, obj):
            raise exceptions.PermissionDenied("Your role does not allow this here.")

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        with transaction.atomic():
            response: Response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            if response.status_code >= 400:
                transaction.set_rollback(True)
            return response

    def handle_exception(self, exc: Exception) -> Response:
        log_refused(self.request, exc, view=self)
        return super().handle_exception(exc)  # type: ignore[misc]

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
