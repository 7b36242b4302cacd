"""Landing pages: pick an organization, then its overview."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.generic import TemplateView

from governance.access import can
from governance.models import Portfolio
from governance.selectors import node_list, organizations_of
from governance.views.base import OrgMixin


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One organization: straight in. Several: the user picks."""
    organizations = list(organizations_of(request.user))
    if len(organizations) == 1:
        return redirect("org-home", org_slug=organizations[0].slug)
    return render(request, "governance/pick_organization.html", {"organizations": organizations})


class OrganizationHome(OrgMixin, TemplateView):
    template_name = "governance/org_home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["portfolios"] = node_list(
            model=Portfolio, user=self.request.user, organization=self.organization
        )
        context["can_add_portfolio"] = can(self.request.user, "add", self.organization)
        return context
