"""``{% implementation_status measure %}``: the latest reported Implementation Status of a measure
next to the one its milestones suggest, for the measure page."""

from __future__ import annotations

from typing import Any

from django import template

from measures.models import ImplementationStatus, StatusReport
from measures.services.status import suggested_status_of

register = template.Library()


@register.inclusion_tag("measures/status/_panel.html", takes_context=True)
def implementation_status(context: template.Context, measure: Any) -> dict[str, Any]:
    report = (
        StatusReport.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk)
        .order_by("-period")
        .first()
    )
    suggested = suggested_status_of(measure)
    return {
        "measure": measure,
        "current_org": context.get("current_org"),
        "report": report,
        "suggested_label": ImplementationStatus(suggested).label,
        "diverges": report is not None and report.status != suggested,
    }
