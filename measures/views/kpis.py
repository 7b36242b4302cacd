"""The KPIs tab of a measure: its KPIs with latest actual, target and variance; a form to add or
change one; and a KPI's months, with a form for one month's actual, forecast and commentary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.access import can
from governance.errors import AccessDenied, ValidationError
from governance.models import Membership
from governance.views.base import OrgMixin
from measures.models import Direction, Kpi, KpiValue, Measure, ReviewFrequency
from measures.services.kpis import (
    KPI_FIELDS,
    kpi_create,
    kpi_delete,
    kpi_update,
    kpi_value_upsert,
    variance_of,
    with_latest,
)

KPI_FORM_FIELDS = list(KPI_FIELDS)
VALUE_FORM_FIELDS = ["period", "actual", "forecast", "commentary"]


def _errors(exc: ValidationError) -> dict[str, str]:
    return {name: " ".join(problems) for name, problems in exc.message_dict.items()}


class MeasureKpisView(OrgMixin, View):
    """GET: the page (``?kpi=<id>`` opens one KPI's months and its edit form); POST ``form`` =
    ``kpi`` (add or change), ``value`` (one month) or ``delete``."""

    template_name = "measures/kpis/page.html"
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

    def url(self, measure: Measure, kpi: Kpi | None = None) -> str:
        url = reverse("measure-kpis", kwargs={"org_slug": self.organization.slug, "pk": measure.pk})
        return f"{url}?kpi={kpi.pk}" if kpi else url

    def selected(self, measure: Measure, raw: str | None) -> Kpi | None:
        if not raw or not str(raw).isdigit():
            return None
        return (
            Kpi.objects.for_org(self.organization)
            .filter(measure_id=measure.pk, pk=int(raw))
            .select_related("owner")
            .first()
        )

    def context(
        self,
        measure: Measure,
        kpi: Kpi | None,
        *,
        kpi_values: dict[str, Any] | None = None,
        kpi_errors: dict[str, str] | None = None,
        value_values: dict[str, Any] | None = None,
        value_errors: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        rows = []
        for item in with_latest(
            Kpi.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("owner")
        ):
            rows.append({"kpi": item, "variance": variance_of(item, item.latest_actual)})
        months = []
        if kpi is not None:
            for value in KpiValue.objects.for_org(self.organization).filter(kpi_id=kpi.pk):
                months.append({"value": value, "variance": variance_of(kpi, value.actual)})
        if kpi_values is None:
            kpi_values = (
                {
                    name: ("" if getattr(kpi, name) is None else getattr(kpi, name))
                    for name in KPI_FORM_FIELDS
                    if name != "owner"
                }
                | {"owner": kpi.owner_id or ""}
                if kpi
                else {"direction": Direction.HIGHER, "review_frequency": ReviewFrequency.MONTHLY}
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
            "page_name": "KPIs",
            "rows": rows,
            "kpi": kpi,
            "months": months,
            "can_edit": can(self.request.user, "contribute", measure),
            "directions": Direction.choices,
            "frequencies": ReviewFrequency.choices,
            "members": [membership.user for membership in members],
            "kpi_values": kpi_values,
            "kpi_errors": kpi_errors or {},
            "value_values": value_values
            or {"period": f"{dt.date.today():%Y-%m}", "actual": "", "forecast": ""},
            "value_errors": value_errors or {},
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        kpi = self.selected(measure, request.GET.get("kpi"))
        return render(request, self.template_name, self.context(measure, kpi))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "contribute", measure):
            raise PermissionDenied
        kpi = self.selected(measure, request.POST.get("kpi"))
        form = request.POST.get("form")
        if request.POST.get("kpi") and kpi is None:
            raise Http404("No such KPI.")
        try:
            if form == "delete" and kpi is not None:
                kpi_delete(kpi=kpi, by=request.user)
                messages.success(request, f"KPI {kpi.name} removed.")
                return HttpResponseRedirect(self.url(measure))
            if form == "value" and kpi is not None:
                values: dict[str, Any] = {
                    name: request.POST.get(name, "") for name in VALUE_FORM_FIELDS
                }
                try:
                    kpi_value_upsert(kpi=kpi, by=request.user, **values)
                except ValidationError as exc:
                    context = self.context(
                        measure, kpi, value_values=values, value_errors=_errors(exc)
                    )
                    return render(request, self.template_name, context, status=422)
                messages.success(request, f"{kpi.name}: {values['period']} saved.")
                return HttpResponseRedirect(self.url(measure, kpi))
            values = {name: request.POST.get(name, "") for name in KPI_FORM_FIELDS}
            owner = values["owner"]
            data: dict[str, Any] = {**values, "owner": int(owner) if owner.isdigit() else owner}
            try:
                if kpi is None:
                    kpi = kpi_create(
                        organization=self.organization, measure=measure, by=request.user, **data
                    )
                    messages.success(request, f"KPI {kpi.name} added.")
                else:
                    kpi = kpi_update(kpi=kpi, by=request.user, **data)
                    messages.success(request, f"KPI {kpi.name} saved.")
            except ValidationError as exc:
                context = self.context(measure, kpi, kpi_values=values, kpi_errors=_errors(exc))
                return render(request, self.template_name, context, status=422)
        except AccessDenied:
            raise PermissionDenied from None
        return HttpResponseRedirect(self.url(measure, kpi))
