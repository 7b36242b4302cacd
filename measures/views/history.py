"""The History tab of a measure: its audit events, newest first, with who, when and what."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from governance.audit.history import history_context
from measures.views.milestones import MeasureMilestonesMixin


class MeasureHistoryView(MeasureMilestonesMixin, View):
    """GET: one page of the measure's history (``?history_page=N``)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_measure()
        context = {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "History",
            **history_context(measure, user=request.user, page=request.GET.get("history_page")),
        }
        return render(request, "measures/history.html", context)
