"""The capacity page (people by months: planned against available hours, over-allocations
marked) and a measure's Capacity tab (its planned and actual hours per person and month)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.access import can
from governance.errors import AccessDenied, ValidationError
from governance.models import Function, Membership
from governance.views.base import OrgMixin
from measures.models import Availability, CapacityPerson, Effort, Measure
from measures.services.capacity import (
    availability_upsert,
    effort_upsert,
    month_range,
    months_between,
    overallocations,
    person_create,
    planned_by_person,
)

PEOPLE_PER_PAGE = 100


def _errors(exc: ValidationError) -> dict[str, str]:
    """Form errors by field name (a service's ``rows.0.hours`` is the form's ``hours``)."""
    found: dict[str, str] = {}
    for key, problems in exc.message_dict.items():
        name = key.rsplit(".", 1)[-1] if key.startswith("rows.") else key
        found[name] = " ".join(problems)
    return found


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


class CapacityView(OrgMixin, View):
    """GET: people by months (``?from=YYYY-MM&to=YYYY-MM&function=<id>``); POST (admins):
    ``form`` = ``person`` (add someone) or ``availability`` (a person's hours for a month)."""

    template_name = "measures/capacity/page.html"

    def context(
        self,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        form: str = "",
    ) -> dict[str, Any]:
        query = self.request.GET
        range_errors: dict[str, str] = {}
        try:
            first, last = month_range(self.organization, query.get("from"), query.get("to"))
        except ValidationError as exc:
            range_errors = _errors(exc)
            first, last = month_range(self.organization)
        months = months_between(first, last)
        function_id = _int(query.get("function"))
        people = CapacityPerson.objects.for_org(self.organization).filter(active=True)
        if function_id is not None:
            people = people.filter(function_id=function_id)
        page = Paginator(people.select_related("function"), PEOPLE_PER_PAGE).get_page(
            query.get("page")
        )
        ids = [person.pk for person in page]
        available = {
            (row.person_id, row.period): row.hours
            for row in Availability.objects.for_org(self.organization).filter(
                person_id__in=ids, period__gte=first, period__lte=last
            )
        }
        # One grouped query: planned hours across all measures, and whether they exceed the
        # hours available.
        planned = {
            (row["person_id"], row["period"]): row
            for row in planned_by_person(self.organization, first, last, ids)
        }
        rows = []
        for person in page:
            cells = []
            for month in months:
                row = planned.get((person.pk, month))
                cells.append(
                    {
                        "month": month,
                        "planned": row["planned"] if row else Decimal(0),
                        "available": available.get((person.pk, month)),
                        "over": row is not None and row["planned"] > row["available"],
                    }
                )
            rows.append({"person": person, "cells": cells})
        is_admin = can(self.request.user, "administer", self.organization)
        return {
            "rows": rows,
            "months": months,
            "page_obj": page,
            "first": first,
            "last": last,
            "range_errors": range_errors,
            "functions": Function.objects.for_org(self.organization).order_by("name"),
            "function_id": function_id,
            "is_admin": is_admin,
            "all_people": CapacityPerson.objects.for_org(self.organization).filter(active=True)
            if is_admin
            else [],
            "members": [
                membership.user
                for membership in Membership.objects.for_org(self.organization)
                .select_related("user")
                .order_by("user__username")
            ]
            if is_admin
            else [],
            "values": values or {},
            "errors": errors or {},
            "form": form,
            "query": query.urlencode(),
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, self.context())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.user, "administer", self.organization):
            raise PermissionDenied
        form = request.POST.get("form", "")
        names = ("name", "function", "user") if form == "person" else ("person", "period", "hours")
        values = {name: request.POST.get(name, "") for name in names}
        try:
            if form == "person":
                person = person_create(
                    organization=self.organization,
                    by=request.user,
                    name=values["name"],
                    function=_int(values["function"]) or values["function"] or None,
                    user=_int(values["user"]) or values["user"] or None,
                )
                messages.success(request, f"{person.name} added.")
            else:
                form = "availability"
                availability_upsert(
                    organization=self.organization,
                    period=values["period"],
                    rows=[{"person": _int(values["person"]), "hours": values["hours"]}],
                    by=request.user,
                )
                messages.success(request, f"Availability for {values['period']} saved.")
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            context = self.context(values=values, errors=_errors(exc), form=form)
            return render(request, self.template_name, context, status=422)
        url = reverse("capacity", kwargs={"org_slug": self.organization.slug})
        return HttpResponseRedirect(f"{url}?{request.GET.urlencode()}")


class MeasureCapacityView(OrgMixin, View):
    """GET: the measure's planned and actual hours per person and month, with a warning naming
    people over-allocated in those months; POST: one person's hours for one month."""

    template_name = "measures/capacity/measure.html"
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

    def context(
        self,
        measure: Measure,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        effort = list(
            Effort.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("person")
        )
        warnings = []
        if effort:
            people = {row.person_id: row.person for row in effort}
            here = {(row.person_id, row.period) for row in effort}
            for over in overallocations(
                organization=self.organization,
                first=min(row.period for row in effort),
                last=max(row.period for row in effort),
                person_ids=list(people),
            ):
                if (over.person_id, over.period) in here:
                    warnings.append({"person": people[over.person_id], "over": over})
        return {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Capacity",
            "effort": effort,
            "warnings": warnings,
            "people": CapacityPerson.objects.for_org(self.organization).filter(active=True),
            "can_change": can(self.request.user, "change", measure),
            "values": values or {},
            "errors": errors or {},
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        return render(request, self.template_name, self.context(measure))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "change", measure):
            raise PermissionDenied
        names = ("person", "period", "planned_hours", "actual_hours")
        values = {name: request.POST.get(name, "") for name in names}
        try:
            effort_upsert(
                measure=measure,
                rows=[{**values, "person": _int(values["person"])}],
                by=request.user,
            )
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            context = self.context(measure, values, _errors(exc))
            return render(request, self.template_name, context, status=422)
        messages.success(request, f"Hours for {values['period']} saved.")
        return HttpResponseRedirect(
            reverse(
                "measure-capacity", kwargs={"org_slug": self.organization.slug, "pk": measure.pk}
            )
        )
