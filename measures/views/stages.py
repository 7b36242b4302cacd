"""The measure page with its gate panel, and the form posts that move a measure's stage."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from governance.errors import AccessDenied, Conflict, StaleVersion, ValidationError
from governance.views.hierarchy import NodeDetailView, node_url
from measures.models import DOI_ORDER, DoI, Measure
from measures.services.stages import label, options, transition


def stage_strip(measure: Measure) -> list[tuple[str, str, str]]:
    """``(stage, label, done | current | todo)`` along the forward path."""
    position = measure.doi_before_hold if measure.doi == DoI.ON_HOLD else measure.doi
    index = DOI_ORDER.index(position) if position in DOI_ORDER else -1
    strip = []
    for number, stage in enumerate(DOI_ORDER):
        if number < index or (number == index and stage == DoI.CLOSED):
            state = "done"
        elif number == index and measure.doi not in (DoI.ON_HOLD, DoI.CANCELLED):
            state = "current"
        else:
            state = "todo"
        strip.append((stage, label(stage), state))
    return strip


class MeasureDetailView(NodeDetailView):
    """A measure's page: the node page plus its fields and the gate panel."""

    template_name = "measures/measure_detail.html"

    def visible(self) -> QuerySet[Any]:
        return (
            super()
            .visible()
            .select_related("controller", "category", "legal_entity", "business_unit", "function")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        measure: Measure = self.object  # type: ignore[assignment]
        context["gate"] = options(measure, self.request.user)
        context["stages"] = stage_strip(measure)
        return context


class MeasureTransitionView(MeasureDetailView):
    """POST ``to`` (and ``reason``, ``version``): move the measure; a refusal shows the page
    again with every reason and the input kept."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.get_node("change")
        target = request.POST.get("to", "")
        reason = request.POST.get("reason", "")
        try:
            version: int | None = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        error, problems, field_errors = "", [], {}
        try:
            measure = transition(
                measure,  # type: ignore[arg-type]
                target,
                by=request.user,
                expected_version=version,
                reason=reason,
            )
        except AccessDenied as denied:
            raise PermissionDenied from denied
        except Conflict as conflict:
            error, problems = conflict.message, conflict.problems
        except StaleVersion:
            error = "Someone else changed this measure meanwhile: check the page and try again."
        except ValidationError as invalid:
            error = "The request is not valid."
            field_errors = invalid.message_dict if hasattr(invalid, "error_dict") else {}
            problems = [] if field_errors else invalid.messages
        else:
            messages.success(request, f"{measure} is now {measure.get_doi_display()}.")
            return redirect(node_url(measure, self.organization.slug))
        self.object = self.get_node("view")
        context = self.get_context_data(
            object=self.object,
            gate_error=error,
            gate_problems=problems,
            gate_field_errors=field_errors,
            gate_to=target,
            gate_reason=reason,
        )
        return self.render_to_response(context, status=422)
