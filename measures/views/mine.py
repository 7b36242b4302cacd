"""'My measures': what a measure owner owns and what needs their attention."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.views.generic import ListView

from governance.access import restrict
from governance.views.base import OrgMixin
from measures.attention import needs_attention
from measures.models import Measure


class MyMeasuresView(OrgMixin, ListView):
    template_name = "measures/mine.html"
    paginate_by = 100

    def get_queryset(self) -> Any:
        user = self.request.user
        return (
            restrict(Measure.objects.all(), user, "view", organization=self.organization)
            .filter(owner=user, archived_at__isnull=True)
            .select_related("program", "project", "package")
            .order_by("end_date", "code")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        measures = list(context["object_list"])
        found = needs_attention(measures, timezone.localdate())
        context["rows"] = [(measure, found.get(measure.pk, [])) for measure in measures]
        context["attention"] = [
            (measure, found[measure.pk]) for measure in measures if measure.pk in found
        ]
        return context
