"""The decision log page: every decision the member may read, filtered, newest first."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from governance.filters import DecisionFilter
from governance.selectors import decisions_visible
from governance.views.base import OrgMixin

PAGE_SIZE = 50


class DecisionLogView(OrgMixin, View):
    """Who decided what, where and why: approvals, validations, change requests, trade-offs."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters = DecisionFilter(
            request.GET, queryset=decisions_visible(request.user, self.organization)
        )
        # Bad filter values are shown on the form; the list is then empty rather than unfiltered.
        rows = filters.qs if filters.is_valid() else filters.queryset.none()
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        status = 200 if filters.is_valid() else 400
        return render(
            request,
            "governance/decisions.html",
            {"filters": filters, "page": page, "query": query.urlencode()},
            status=status,
        )
