"""The financials grid of a measure (months of a fiscal year by line and scenario) and the
controllers' validation of actuals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.access import can
from governance.errors import AccessDenied, ValidationError
from governance.views.base import OrgMixin
from measures.fiscal import (
    add_months,
    fiscal_months,
    fiscal_range,
    fiscal_year_label,
    fiscal_year_start,
)
from measures.models import FinancialEntry, Line, Measure, MeasurePotential, Scenario
from measures.services.financials import actuals_validate, financials_upsert, parse_amount

GRID_SCENARIOS = (Scenario.PLAN, Scenario.FORECAST, Scenario.ACTUAL)


def cell_name(period: dt.date, line: str, scenario: str) -> str:
    return f"{period:%Y-%m}__{line}__{scenario}"


class MeasureFinancialsMixin(OrgMixin):
    kwargs: dict[str, Any]

    def get_measure(self) -> Measure:
        measure = (
            self.restricted(Measure.objects.all(), "view_financials")
            .filter(pk=self.kwargs["pk"])
            .select_related("organization", "owner")
            .first()
        )
        if measure is None:
            raise Http404("No such measure.")
        return measure

    def fiscal_year(self) -> dt.date:
        start_month = self.organization.fiscal_year_start_month
        current = fiscal_year_start(dt.date.today(), start_month)
        raw = self.request.GET.get("fy") or self.request.POST.get("fy") or ""
        first, last = fiscal_range(start_month)
        if raw.isdigit() and first.year <= int(raw) <= last.year:
            chosen = dt.date(int(raw), start_month, 1)
            if first <= chosen <= last:
                return chosen
        return current


class MeasureFinancialsView(MeasureFinancialsMixin, View):
    """GET: the grid; POST: save every changed cell of the year at once, or show each bad cell."""

    template_name = "measures/financials/grid.html"

    def context(
        self,
        measure: Measure,
        year: dt.date,
        values: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        months = fiscal_months(year)
        stored = {
            (entry.period, entry.line, entry.scenario): entry
            for entry in FinancialEntry.objects.for_org(self.organization).filter(
                measure_id=measure.pk, period__gte=months[0], period__lte=months[-1]
            )
        }
        values = values or {}
        errors = errors or {}
        rows = []
        for period in months:
            cells = []
            for line, line_label in Line.choices:
                baseline = stored.get((period, line, Scenario.BASELINE))
                for scenario in GRID_SCENARIOS:
                    name = cell_name(period, line, scenario)
                    entry = stored.get((period, line, scenario))
                    cells.append(
                        {
                            "name": name,
                            "label": f"{line_label} {scenario} {period:%Y-%m}",
                            "value": values.get(name, "" if entry is None else entry.amount),
                            "error": errors.get(name),
                            "entry": entry,
                            "line": line,
                            "scenario": scenario,
                            "baseline": baseline.amount if baseline else None,
                        }
                    )
            rows.append({"period": period, "cells": cells})
        user = self.request.user
        first, last = fiscal_range(self.organization.fiscal_year_start_month)
        potential = (
            MeasurePotential.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .order_by("-period")
            .first()
        )
        return {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Financials",
            "rows": rows,
            "lines": Line.choices,
            "scenarios": GRID_SCENARIOS,
            "year": year,
            "year_label": fiscal_year_label(year),
            "previous_year": add_months(year, -12) if add_months(year, -12) >= first else None,
            "next_year": add_months(year, 12) if add_months(year, 12) <= last else None,
            "can_change": can(user, "change", measure),
            "can_validate": can(user, "validate", measure),
            "errors": errors,
            "general_error": errors.get("general"),
            "potential": potential,
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        return render(request, self.template_name, self.context(measure, self.fiscal_year()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "change", measure):
            raise PermissionDenied
        year = self.fiscal_year()
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        names: list[str] = []
        stored = {
            cell_name(period, line, scenario): amount
            for period, line, scenario, amount in FinancialEntry.objects.for_org(self.organization)
            .filter(measure_id=measure.pk, period__in=fiscal_months(year))
            .values_list("period", "line", "scenario", "amount")
        }
        for period in fiscal_months(year):
            for line in Line.values:
                for scenario in GRID_SCENARIOS:
                    name = cell_name(period, line, scenario)
                    raw = (request.POST.get(name) or "").strip()
                    values[name] = raw
                    if not raw:
                        # An empty cell is "nothing entered"; clearing a stored amount is not
                        # offered (a zero records that nothing is expected).
                        continue
                    try:
                        amount = parse_amount(raw)
                    except ValueError as exc:
                        errors[name] = str(exc)
                        continue
                    if stored.get(name) == amount:
                        continue
                    rows.append(
                        {"period": period, "line": line, "scenario": scenario, "amount": amount}
                    )
                    names.append(name)
        if not errors and rows:
            try:
                changed = financials_upsert(measure=measure, rows=rows, by=request.user)
            except AccessDenied:
                raise PermissionDenied from None
            except ValidationError as exc:
                for key, messages_ in exc.message_dict.items():
                    index = key.split(".", 1)[0]
                    if index.isdigit():
                        errors[names[int(index)]] = " ".join(messages_)
                    else:
                        errors.setdefault("general", " ".join(messages_))
            else:
                messages.success(request, f"Saved {changed} amount(s).")
        if errors:
            context = self.context(measure, year, values, errors)
            return render(request, self.template_name, context, status=422)
        if not rows:
            messages.info(request, "Nothing changed.")
        url = reverse(
            "measure-financials", kwargs={"org_slug": self.organization.slug, "pk": measure.pk}
        )
        return HttpResponseRedirect(f"{url}?fy={year.year}")


class ActualValidateView(MeasureFinancialsMixin, View):
    """A controller's verdict on one month's actual, posted from the grid."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "validate", measure):
            raise PermissionDenied
        url = reverse(
            "measure-financials", kwargs={"org_slug": self.organization.slug, "pk": measure.pk}
        )
        try:
            entry = actuals_validate(
                measure=measure,
                period=request.POST.get("period", ""),
                line=request.POST.get("line", ""),
                decision=request.POST.get("decision", ""),
                amount=request.POST.get("amount") or None,
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                messages.error(request, f"{field.replace('_', ' ').capitalize()}: {problems[0]}")
            return HttpResponseRedirect(f"{url}?fy={self.fiscal_year().year}")
        amount = entry.validated_amount if entry.validated_amount is not None else Decimal(0)
        messages.success(
            request,
            f"Actual {entry.line.replace('_', ' ')} of {entry.period:%Y-%m}: "
            f"{entry.get_validation_display().lower()} ({amount:,.2f}).",
        )
        return HttpResponseRedirect(f"{url}?fy={self.fiscal_year().year}")
