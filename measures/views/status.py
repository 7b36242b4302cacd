"""The Status tab of a measure: the owner's monthly Implementation Status report (with the status
the milestones suggest) and the history of reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from governance.access import can
from governance.errors import AccessDenied, ValidationError
from measures.models import ImplementationStatus, Measure, StatusReport
from measures.services.status import NEEDS_COMMENTARY, status_report_submit, suggested_status_of
from measures.views.milestones import MeasureMilestonesMixin

STATUS_FIELDS = ("period", "status", "commentary")


class MeasureStatusView(MeasureMilestonesMixin, View):
    """GET: the report form (this month by default) and the history; POST: submit a report."""

    template_name = "measures/status/status.html"

    def render_page(
        self,
        measure: Measure,
        values: dict[str, str] | None = None,
        errors: dict[str, list[str]] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        suggested = suggested_status_of(measure)
        reports = list(
            StatusReport.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("reported_by")
            .order_by("-period")
        )
        context = {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Status",
            "reports": reports,
            "suggested": suggested,
            "suggested_label": ImplementationStatus(suggested).label,
            "statuses": ImplementationStatus.choices,
            "needs_commentary": [str(s) for s in NEEDS_COMMENTARY],
            "can_report": can(self.request.user, "change", measure),
            "values": values
            or {"period": f"{timezone.localdate():%Y-%m}", "status": suggested, "commentary": ""},
            "errors": errors or {},
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(self.get_measure())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        if not can(request.user, "change", measure):
            raise PermissionDenied
        values = {name: request.POST.get(name, "") for name in STATUS_FIELDS}
        try:
            report = status_report_submit(
                measure=measure,
                by=request.user,
                period=values["period"],
                status=values["status"],
                commentary=values["commentary"],
            )
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            return self.render_page(measure, values, exc.message_dict, status=422)
        messages.success(
            request, f"Status for {report.period:%Y-%m}: {report.get_status_display()}."
        )
        return HttpResponseRedirect(
            reverse("measure-status", kwargs={"org_slug": self.organization.slug, "pk": measure.pk})
        )
