"""The Risks page of a measure (list by score, a 5x5 heat indication, the add / edit form and the
"no material risk" statement) and its Dependencies page (predecessors, successors, the add form,
removal and the "no dependencies" statement)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.access import can, restrict
from governance.errors import AccessDenied, ValidationError
from governance.models import Membership
from governance.views.base import OrgMixin
from measures.models import ACTIVE_RISK, Measure, MeasureDependency, Risk, RiskStatus
from measures.services.dependencies import (
    dependency_create,
    dependency_delete,
    no_dependencies_set,
)
from measures.services.risks import no_material_risk_set, risk_create, risk_delete, risk_update

RISK_FIELDS = ("title", "description", "probability", "impact", "owner", "mitigation", "status")
SCALE = (1, 2, 3, 4, 5)
DATALIST_LIMIT = 500


def severity(score: int) -> str:
    """The colour band of a score: high from 15, medium from 8."""
    return "high" if score >= 15 else "medium" if score >= 8 else "low"


def heat_rows(risks: list[Risk]) -> list[dict[str, Any]]:
    """Rows of probability 5 → 1, each with five impact cells counting the active risks."""
    counts: dict[tuple[int, int], int] = {}
    for risk in risks:
        if risk.status in ACTIVE_RISK:
            key = (risk.probability, risk.impact)
            counts[key] = counts.get(key, 0) + 1
    return [
        {
            "probability": probability,
            "cells": [
                {
                    "impact": impact,
                    "count": counts.get((probability, impact), 0),
                    "severity": severity(probability * impact),
                }
                for impact in SCALE
            ],
        }
        for probability in reversed(SCALE)
    ]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "on", "yes")


class MeasurePageMixin(OrgMixin):
    kwargs: dict[str, Any]

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

    def require_change(self, measure: Measure) -> None:
        if not can(self.request.user, "change", measure):
            raise PermissionDenied

    def page_url(self, name: str, measure: Measure) -> str:
        return reverse(name, kwargs={"org_slug": self.organization.slug, "pk": measure.pk})


class MeasureRisksView(MeasurePageMixin, View):
    """GET: the risks by score and the form (``?edit=<id>`` fills it with a risk); POST
    ``action``: ``save`` (a new risk, or the one in ``risk``), ``delete``, ``no_material_risk``."""

    template_name = "measures/risks/list.html"

    def context(
        self,
        measure: Measure,
        values: dict[str, Any] | None = None,
        errors: dict[str, list[str]] | None = None,
        editing: Risk | None = None,
    ) -> dict[str, Any]:
        risks = list(
            Risk.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("owner")
            .order_by("-score", "id")
        )
        for risk in risks:
            risk.severity = severity(risk.score)  # type: ignore[attr-defined]
        if values is None:
            values = (
                {name: getattr(editing, name) for name in RISK_FIELDS if name != "owner"}
                | {"owner": editing.owner_id or ""}
                if editing
                else {"status": RiskStatus.OPEN, "probability": "", "impact": ""}
            )
        members = (
            Membership.objects.for_org(self.organization)
            .select_related("user")
            .order_by("user__username")
        )
        return {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Risks",
            "risks": risks,
            "heat": heat_rows(risks),
            "scale": SCALE,
            "statuses": RiskStatus.choices,
            "members": [(m.user_id, m.user.get_full_name() or m.user.username) for m in members],
            "values": {name: "" if value is None else str(value) for name, value in values.items()},
            "errors": errors or {},
            "editing": editing,
            "can_change": can(self.request.user, "change", measure),
            "active_count": sum(1 for risk in risks if risk.status in ACTIVE_RISK),
        }

    def _risk(self, measure: Measure, raw: str | None) -> Risk | None:
        if not raw or not raw.isdigit() or len(raw) > 18:
            return None
        return Risk.objects.for_org(self.organization).filter(measure_id=measure.pk, pk=raw).first()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        editing = self._risk(measure, request.GET.get("edit"))
        return render(request, self.template_name, self.context(measure, editing=editing))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        self.require_change(measure)
        url = self.page_url("measure-risks", measure)
        action = request.POST.get("action", "save")
        try:
            if action == "no_material_risk":
                value = _flag(request.POST.get("value"))
                no_material_risk_set(measure=measure, value=value, by=request.user)
                messages.success(
                    request,
                    "Recorded: no material risk." if value else "Statement withdrawn.",
                )
                return HttpResponseRedirect(url)
            if action == "delete":
                risk = self._risk(measure, request.POST.get("risk"))
                if risk is None:
                    raise Http404("No such risk.")
                risk_delete(risk=risk, by=request.user)
                messages.success(request, f"Removed the risk {risk.title}.")
                return HttpResponseRedirect(url)
            values: dict[str, Any] = {name: request.POST.get(name, "") for name in RISK_FIELDS}
            editing = None
            if request.POST.get("risk"):
                editing = self._risk(measure, request.POST.get("risk"))
                if editing is None:
                    raise Http404("No such risk.")
            try:
                if editing is None:
                    risk_create(measure=measure, by=request.user, **values)
                    messages.success(request, f"Recorded the risk {values['title'].strip()}.")
                else:
                    risk_update(risk=editing, by=request.user, **values)
                    messages.success(request, f"Saved the risk {values['title'].strip()}.")
            except ValidationError as exc:
                context = self.context(measure, values, exc.message_dict, editing)
                return render(request, self.template_name, context, status=422)
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            context = self.context(measure, errors=exc.message_dict)
            return render(request, self.template_name, context, status=422)
        return HttpResponseRedirect(url)


class MeasureDependenciesView(MeasurePageMixin, View):
    """GET: predecessors and successors with their stage and dates, the add form; POST
    ``action``: ``add`` (``direction``, ``code``, ``lag_days``, ``note``), ``remove``
    (``dependency``), ``no_dependencies``."""

    template_name = "measures/risks/dependencies.html"

    def context(
        self,
        measure: Measure,
        values: dict[str, Any] | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        visible = restrict(
            Measure.objects.all(), self.request.user, "view", organization=self.organization
        )
        edges = list(
            MeasureDependency.objects.for_org(self.organization)
            .filter(
                Q(successor_id=measure.pk, predecessor__in=visible.values("pk"))
                | Q(predecessor_id=measure.pk, successor__in=visible.values("pk"))
            )
            .select_related("predecessor", "successor")
            .order_by("id")
        )
        codes = list(
            visible.exclude(pk=measure.pk)
            .filter(archived_at__isnull=True)
            .order_by("code")
            .values_list("code", "title")[:DATALIST_LIMIT]
        )
        return {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Dependencies",
            "predecessors": [edge for edge in edges if edge.successor_id == measure.pk],
            "successors": [edge for edge in edges if edge.predecessor_id == measure.pk],
            "choices": codes,
            "values": values or {"direction": "predecessor", "lag_days": "0"},
            "errors": errors or {},
            "can_change": can(self.request.user, "change", measure),
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        return render(request, self.template_name, self.context(measure))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        self.require_change(measure)
        url = self.page_url("measure-dependencies", measure)
        action = request.POST.get("action", "add")
        try:
            if action == "no_dependencies":
                value = _flag(request.POST.get("value"))
                no_dependencies_set(measure=measure, value=value, by=request.user)
                messages.success(
                    request, "Recorded: no dependencies." if value else "Statement withdrawn."
                )
                return HttpResponseRedirect(url)
            if action == "remove":
                raw = request.POST.get("dependency", "")
                edge = (
                    MeasureDependency.objects.for_org(self.organization)
                    .filter(Q(successor_id=measure.pk) | Q(predecessor_id=measure.pk), pk=raw)
                    .first()
                    if raw.isdigit() and len(raw) < 18
                    else None
                )
                if edge is None:
                    raise Http404("No such dependency.")
                dependency_delete(dependency=edge, by=request.user)
                messages.success(request, "Removed the dependency.")
                return HttpResponseRedirect(url)
            values = {
                name: request.POST.get(name, "").strip()
                for name in ("direction", "code", "lag_days", "note")
            }
            errors: dict[str, list[str]] = {}
            other = None
            if not values["code"]:
                errors["code"] = ["Give the code of the other measure."]
            else:
                other = (
                    restrict(
                        Measure.objects.all(),
                        request.user,
                        "view",
                        organization=self.organization,
                    )
                    .filter(code__iexact=values["code"])
                    .first()
                )
                if other is None:
                    errors["code"] = [f"No measure {values['code']} among those you can see."]
            if values["direction"] not in ("predecessor", "successor"):
                errors["direction"] = ["Choose whether the other measure comes before or after."]
            if errors:
                return render(
                    request, self.template_name, self.context(measure, values, errors), status=422
                )
            before, after = (
                (other, measure) if values["direction"] == "predecessor" else (measure, other)
            )
            try:
                dependency_create(
                    organization=self.organization,
                    predecessor=before,
                    successor=after,
                    lag_days=values["lag_days"],
                    note=values["note"],
                    by=request.user,
                )
            except ValidationError as exc:
                found = {
                    ("code" if name in ("predecessor", "successor") else name): problems
                    for name, problems in exc.message_dict.items()
                }
                return render(
                    request, self.template_name, self.context(measure, values, found), status=422
                )
            messages.success(request, "Added the dependency.")
        except AccessDenied as exc:
            if action == "add":
                values = {n: request.POST.get(n, "") for n in ("direction", "code", "lag_days")}
                return render(
                    request,
                    self.template_name,
                    self.context(measure, values, {"code": [exc.message]}),
                    status=403,
                )
            raise PermissionDenied from None
        except ValidationError as exc:
            context = self.context(measure, errors=exc.message_dict)
            return render(request, self.template_name, context, status=422)
        return HttpResponseRedirect(url)
