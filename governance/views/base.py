"""Base classes every UI view of a tenant page builds on.

``OrgMixin`` resolves the organization from the URL and checks the user's membership before any
handler code runs: a non-member gets 404, exactly as for an object that does not exist. Every
refusal, its own or a 404 / 403 raised by a handler, goes to the security log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponseBase

from governance.access import Action, membership_of, restrict
from governance.middleware import organization_from_url
from governance.models import Membership, Organization
from governance.security import log_denied, log_refused, url_object

# The action a request performs, by HTTP method: reads view, writes change.
METHOD_ACTIONS: dict[str, Action] = {"GET": "view", "HEAD": "view", "OPTIONS": "view"}


class OrgMixin(LoginRequiredMixin):
    """Resolves ``request.organization`` and ``request.membership`` from ``<org_slug>``."""

    request: HttpRequest
    organization: Organization
    membership: Membership

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        organization = organization_from_url(request, kwargs["org_slug"])
        membership = membership_of(request.user, organization) if organization else None
        if organization is None or membership is None:
            log_denied(request, "not_member", obj=url_object(self))
            raise Http404("No such organization.")
        self.organization = request.organization = organization  # type: ignore[attr-defined]
        self.membership = request.membership = membership  # type: ignore[attr-defined]
        try:
            if request.method in METHOD_ACTIONS:
                return super().dispatch(request, *args, **kwargs)
            # A write is one transaction: a refusal raised after a service wrote rolls it back.
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        except (Http404, PermissionDenied) as exc:
            log_refused(request, exc, view=self)
            raise

    def restricted(self, queryset: Any, action: Action | None = None) -> Any:
        """``queryset`` narrowed to what the user may do with this request's action."""
        action = action or METHOD_ACTIONS.get(self.request.method or "GET", "change")
        return restrict(queryset, self.request.user, action, organization=self.organization)
