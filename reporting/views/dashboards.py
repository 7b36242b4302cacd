"""Dashboard pages: the organization's, a portfolio's, a program's, a project's and the owner's
own ("my work"), each with its filters, charts, tables and per-widget CSV downloads.

A filter change asks for the same URL with htmx, which answers with the page's body only (the
URL, pushed into the history, holds the filters: loading it renders the same page).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.models import HierarchyNode, Portfolio, Program, Project
from governance.views.base import OrgMixin
from reporting.filters import FilterForm, parse_dashboard_filters
from reporting.presentation import show
from reporting.widgets.base import Scope, Table
from reporting.widgets.registry import PERSONAL_WIDGETS, WIDGETS, Widget, compute_all

LEVEL_MODELS: dict[str, type[HierarchyNode]] = {
    "portfolio": Portfolio,
    "program": Program,
    "project": Project,
}


class DashboardMixin(OrgMixin):
    """Resolves the dashboard's node (404 outside the user's scope) and its filters."""

    # None: the organization's; "mine": the owner's own; else a level of LEVEL_MODELS.
    level: str | None = None
    kwargs: dict[str, Any]

    def get_node(self) -> HierarchyNode | None:
        if self.level not in LEVEL_MODELS:
            return None
        model = LEVEL_MODELS[self.level]
        node = self.restricted(model.objects.all(), "view").filter(pk=self.kwargs["pk"]).first()
        if node is None:
            raise Http404(f"No such {model._meta.verbose_name}.")
        return node

    def scope_and_form(self) -> tuple[HierarchyNode | None, FilterForm, Scope]:
        node = self.get_node()
        form = parse_dashboard_filters(
            self.request.GET, user=self.request.user, organization=self.organization, node=node
        )
        filters = form.filters
        if self.level == "mine":
            filters = filters.narrowed(owner=self.request.user.pk)
        return node, form, Scope(self.organization, self.request.user, filters)

    def url_name(self, page: str = "") -> str:
        base = {None: "dashboard", "mine": "my-dashboard"}.get(
            self.level, f"{self.level}-dashboard"
        )
        return f"{base}-{page}" if page else base

    def widgets(self) -> dict[str, Widget]:
        if self.level == "mine":
            return {**PERSONAL_WIDGETS, **WIDGETS}
        return WIDGETS

    def tables(self, scope: Scope) -> list[Table]:
        if self.level == "mine":
            return [item.compute(scope) for item in PERSONAL_WIDGETS.values()] + compute_all(scope)
        return compute_all(scope)

    def page_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"org_slug": self.organization.slug}
        if self.level in LEVEL_MODELS:
            kwargs["pk"] = self.kwargs["pk"]
        return kwargs


class DashboardView(DashboardMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        node, form, scope = self.scope_and_form()
        query = urlencode(form.filters.narrowed(owner=None).as_query())
        tables = [
            show(
                table,
                org_slug=self.organization.slug,
                csv_url=reverse(
                    self.url_name("widget"), kwargs={**self.page_kwargs(), "key": table.key}
                )
                + (f"?{query}" if query else ""),
            )
            for table in self.tables(scope)
        ]
        first, last = scope.months
        context = {
            "node": node,
            "level": self.level,
            "form": form,
            "filters": form.filters,
            "tables": tables,
            "money": scope.may_view_financials,
            "first_month": first,
            "last_month": last,
            "page_url": reverse(self.url_name(), kwargs=self.page_kwargs()),
            "title": self.title(node),
        }
        template = (
            "reporting/_dashboard_body.html"
            if getattr(request, "htmx", False) and not request.htmx.boosted  # type: ignore[attr-defined]
            else "reporting/dashboard.html"
        )
        return render(request, template, context)

    def title(self, node: HierarchyNode | None) -> str:
        if self.level == "mine":
            return "My work"
        if node is not None:
            return f"Dashboard: {node.code} {node.title}"
        return f"Dashboard: {self.organization.name}"


class WidgetCsvView(DashboardMixin, View):
    """One widget's table as CSV, for the same filters as the page."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.widgets().get(self.kwargs["key"])
        if item is None:
            raise Http404("No such widget.")
        _, _, scope = self.scope_and_form()
        table = item.compute(scope)
        response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{table.key}.csv"'
        return response
