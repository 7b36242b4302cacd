"""The Baseline tab of a measure: the current baseline, its change requests, a form to ask for a
change (after Decided) with an htmx preview of its impact, and the baseline's history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from approvals.changes.diff import redacted
from approvals.changes.models import ChangeRequest
from approvals.changes.selectors import (
    DATE_FIELDS,
    baseline_compare,
    baseline_snapshot,
    baseline_versions,
    compare_snapshots,
    without_financials,
)
from approvals.changes.services import baseline_refusal, change_preview, change_request_submit
from governance.access import can
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.views.base import OrgMixin
from measures.models import Line, Measure
from measures.tabs import tab

tab("baseline", "Baseline", "measure-baseline")

LINES = [(str(value), str(text)) for value, text in Line.choices]


def read_form(
    post: Any, snapshot: dict[str, Any], financials: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes a posted form asks for, and each input's field path in the service's errors
    (``financials.3.amount`` → ``fin.benefit.2026-03``). Blank inputs change nothing."""
    changes: dict[str, Any] = {"financials": [], "milestones": [], "dates": {}, "kpis": []}
    names: dict[str, str] = {}
    if financials:
        for name in sorted(key for key in post if key.startswith("fin.")):
            _, line, month = [*name.split(".", 2), "", ""][:3]
            amount = str(post.get(name, "")).strip()
            if amount:
                names[f"financials.{len(changes['financials'])}"] = name
                changes["financials"].append({"period": month, "line": line, "amount": amount})
        month, amount = post.get("new_period", "").strip(), post.get("new_amount", "").strip()
        if month or amount:
            index = len(changes["financials"])
            names[f"financials.{index}"] = "new_amount"
            names[f"financials.{index}.period"] = "new_period"
            names[f"financials.{index}.line"] = "new_line"
            names[f"financials.{index}.amount"] = "new_amount"
            line = post.get("new_line", "")
            changes["financials"].append({"period": month, "line": line, "amount": amount})
    for pk in snapshot["milestones"]:
        value = str(post.get(f"ms.{pk}", "")).strip()
        if value:
            names[f"milestones.{len(changes['milestones'])}"] = f"ms.{pk}"
            changes["milestones"].append({"milestone": int(pk), "baseline_due_date": value})
    for field in DATE_FIELDS:
        value = str(post.get(f"date.{field}", "")).strip()
        if value:
            names[f"dates.{field}"] = f"date.{field}"
            changes["dates"][field] = value
    for pk in snapshot["kpis"]:
        value = str(post.get(f"kpi.{pk}", "")).strip()
        if value:
            names[f"kpis.{len(changes['kpis'])}"] = f"kpi.{pk}"
            changes["kpis"].append({"kpi": int(pk), "target": value})
    return changes, names


def field_errors(errors: dict[str, list[str]], names: dict[str, str]) -> dict[str, str]:
    """The service's errors keyed by the form's input names (``general`` for the rest)."""
    shown: dict[str, str] = {}
    for key, problems in errors.items():
        name = names.get(key) or names.get(key.rsplit(".", 1)[0]) or key
        if name in ("changes", "financials", "milestones", "dates", "kpis"):
            name = "general"
        shown[name] = " ".join([shown[name], *problems]) if name in shown else " ".join(problems)
    return shown


class MeasureBaselineMixin(OrgMixin):
    kwargs: dict[str, Any]
    template_name = "approvals/changes/baseline.html"

    def get_measure(self) -> Measure:
        measure = (
            self.restricted(Measure.objects.all(), "view")
            .filter(pk=self.kwargs["pk"])
            .select_related("organization")
            .first()
        )
        if measure is None:
            raise Http404("No such measure.")
        return measure

    def url(self, measure: Measure, name: str = "measure-baseline") -> str:
        return reverse(name, kwargs={"org_slug": self.organization.slug, "pk": measure.pk})

    def form_rows(
        self, snapshot: dict[str, Any], values: dict[str, str], errors: dict[str, str]
    ) -> dict[str, Any]:
        """What the form shows: every current baseline value, or what was posted."""

        def cell(name: str, current: Any) -> dict[str, Any]:
            value = values.get(name, "" if current is None else current)
            return {"name": name, "value": value, "error": errors.get(name, "")}

        months = sorted({m for series in snapshot["financials"].values() for m in series})
        return {
            "months": [
                {
                    "period": month,
                    "cells": [
                        {
                            "label": f"{text} {month}",
                            **cell(
                                f"fin.{line}.{month}",
                                snapshot["financials"].get(line, {}).get(month, ""),
                            ),
                        }
                        for line, text in LINES
                    ],
                }
                for month in months
            ],
            "milestones": [
                {"title": row["title"], **cell(f"ms.{pk}", row["baseline_due_date"])}
                for pk, row in snapshot["milestones"].items()
            ],
            "dates": [
                {"label": label, **cell(f"date.{name}", snapshot["measure"][name])}
                for name, label in DATE_FIELDS.items()
            ],
            "kpis": [
                {"title": row["name"], **cell(f"kpi.{pk}", row["target"])}
                for pk, row in snapshot["kpis"].items()
            ],
            "new": {
                name: {"name": name, "value": values.get(name, ""), "error": errors.get(name, "")}
                for name in ("new_period", "new_line", "new_amount")
            },
        }

    def context(
        self,
        measure: Measure,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        error: str = "",
    ) -> dict[str, Any]:
        user = self.request.user
        financials = can(user, "view_financials", measure)
        snapshot = baseline_snapshot(measure)
        changes = list(
            ChangeRequest.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("request", "request__requested_by")
            .order_by("-id")[:50]
        )
        refusal = baseline_refusal(measure)
        return {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Baseline",
            "financials": financials,
            "snapshot": snapshot if financials else without_financials(snapshot),
            "rows": self.form_rows(snapshot, values or {}, errors or {}),
            "lines": LINES,
            "changes": changes,
            "refusal": refusal,
            "may_request": refusal is None and can(user, "change", measure),
            "rationale": (values or {}).get("rationale", ""),
            "errors": errors or {},
            "error": error,
        }


class MeasureBaselineView(MeasureBaselineMixin, View):
    """GET: the Baseline tab."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, self.context(self.get_measure()))


class BaselineChangeRequestView(MeasureBaselineMixin, View):
    """POST the form: submit a change request; refusals show the tab again, input kept."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "change", measure):
            raise PermissionDenied
        financials = can(request.user, "view_financials", measure)
        changes, names = read_form(request.POST, baseline_snapshot(measure), financials)
        values = {key: str(value) for key, value in request.POST.items()}
        try:
            change = change_request_submit(
                measure=measure,
                by=request.user,
                changes=changes,
                rationale=request.POST.get("rationale", ""),
            )
        except AccessDenied as denied:
            raise PermissionDenied(denied.message) from denied
        except ValidationError as invalid:
            errors = field_errors(invalid.message_dict, {**names, "rationale": "rationale"})
            context = self.context(measure, values=values, errors=errors)
            return render(request, self.template_name, context, status=422)
        except Conflict as conflict:
            context = self.context(measure, values=values, error=conflict.message)
            return render(request, self.template_name, context, status=409)
        messages.success(request, f"Change request #{change.request_id} submitted for approval.")
        return HttpResponseRedirect(
            reverse(
                "approval-detail",
                kwargs={"org_slug": self.organization.slug, "pk": change.request_id},
            )
        )


class BaselineChangePreviewView(MeasureBaselineMixin, View):
    """POST the form (htmx): the impact it would have, writing nothing."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "change", measure):
            raise PermissionDenied
        financials = can(request.user, "view_financials", measure)
        changes, names = read_form(request.POST, baseline_snapshot(measure), financials)
        try:
            diff, impact, errors = change_preview(measure=measure, by=request.user, changes=changes)
        except AccessDenied as denied:
            raise PermissionDenied(denied.message) from denied
        return render(
            request,
            "approvals/changes/_impact.html",
            {
                "impact": impact,
                "diff": diff,
                "preview": True,
                "financials": financials,
                "problems": field_errors(errors, names),
            },
        )


class BaselineHistoryView(MeasureBaselineMixin, View):
    """GET: every version of the baseline, and the original against the current one."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        financials = can(request.user, "view_financials", measure)
        versions = baseline_versions(measure)
        compare = baseline_compare(measure)
        labels = dict(LINES)
        for row in compare["financials"]:
            row["line_label"] = labels.get(row["line"], row["line"])
        rows = []
        previous: dict[str, Any] | None = None
        for version in versions:
            step = compare_snapshots(previous, version.snapshot) if previous else None
            rows.append({"version": version, "totals": _totals(version.snapshot), "step": step})
            previous = version.snapshot
        return render(
            request,
            "approvals/changes/history.html",
            {
                "measure": measure,
                "node": measure,
                "level": "measure",
                "page_name": "Baseline history",
                "financials": financials,
                "versions": rows,
                "compare": compare if financials else without_financials(compare),
                "lines": LINES,
            },
        )


def _totals(snapshot: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """The total of each line of a snapshot's financial baseline."""
    series = snapshot.get("financials", {})
    return [
        (text, sum((Decimal(v) for v in series.get(line, {}).values()), Decimal(0)))
        for line, text in LINES
    ]


def change_context(approval: Any, user: Any) -> dict[str, Any]:
    """What the approval request's page shows of a change request: its diff and impact,
    financial figures only for who may see the measure's financials."""
    change = (
        ChangeRequest.objects.for_org(approval.organization_id)
        .filter(request_id=approval.pk)
        .first()
    )
    if change is None:
        return {}
    financials = can(user, "view_financials", approval.measure)
    diff, impact = (
        (change.diff, change.impact) if financials else redacted(change.diff, change.impact)
    )
    return {
        "change": change,
        "change_diff": diff,
        "change_impact": impact,
        "change_financials": financials,
    }
