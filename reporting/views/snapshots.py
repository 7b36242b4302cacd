"""Snapshots in the browser: the list of them, and one compared with today ("as reported" at the
time against "as corrected" since), per measure in the user's scope, with totals and a CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from governance.views.base import OrgMixin
from reporting.filters import parse_dashboard_filters
from reporting.models import Snapshot
from reporting.selectors.snapshots import Comparison, snapshot_compare
from reporting.widgets.base import Scope

PAGE_SIZE = 50
ROWS_PER_PAGE = 100
# The figures compared, in order: (figure, label).
COMPARED = (
    ("benefit_forecast", "Benefit forecast"),
    ("benefit_actual", "Benefit actual"),
    ("benefit_validated", "Benefit validated"),
    ("cost_actual", "Cost actual"),
)


class SnapshotListView(OrgMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        snapshots = Snapshot.objects.for_org(self.organization).order_by(
            "-period", "-taken_at", "-id"
        )
        page = Paginator(snapshots, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "reporting/snapshots/list.html", {"page": page})


def _totals(rows: list[Comparison]) -> dict[str, dict[str, Decimal]]:
    zero = Decimal("0.00")
    totals = {name: {"reported": zero, "corrected": zero, "delta": zero} for name, _ in COMPARED}
    for row in rows:
        for name, _ in COMPARED:
            totals[name]["reported"] += row.reported[name]
            totals[name]["corrected"] += row.corrected[name]
            totals[name]["delta"] += row.delta[name]
    return totals


class SnapshotCompareView(OrgMixin, View):
    """One snapshot against today; ``?changed=0`` lists unchanged measures too, ``?format=csv``
    downloads every row."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        snapshot = Snapshot.objects.for_org(self.organization).filter(pk=kwargs["pk"]).first()
        if snapshot is None:
            raise Http404("No such snapshot.")
        form = parse_dashboard_filters(
            request.GET, user=request.user, organization=self.organization
        )
        scope = Scope(self.organization, request.user, form.filters)
        rows = snapshot_compare(scope, snapshot)
        only_changed = request.GET.get("changed", "1") != "0"
        if only_changed:
            rows = [row for row in rows if row.changed or not row.in_snapshot]
        if request.GET.get("format") == "csv":
            return self.csv(snapshot, rows)
        page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "reporting/snapshots/compare.html",
            {
                "snapshot": snapshot,
                "form": form,
                "filters": form.filters,
                "page": page,
                "compared": COMPARED,
                "totals": _totals(rows),
                "only_changed": only_changed,
                "money": scope.may_view_financials,
                "query": query.urlencode(),
            },
        )

    def csv(self, snapshot: Snapshot, rows: list[Comparison]) -> HttpResponse:
        out = io.StringIO()
        writer = csv.writer(out)
        header = ["Code", "Title", "In the snapshot"]
        for _, label in COMPARED:
            header += [f"{label} as reported", f"{label} as corrected", f"{label} change"]
        writer.writerow(header)
        for row in rows:
            line: list[Any] = [row.code, row.title, "yes" if row.in_snapshot else "no"]
            for name, _ in COMPARED:
                line += [row.reported[name], row.corrected[name], row.delta[name]]
            writer.writerow(line)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"snapshot-{snapshot.kind}-{snapshot.period:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
