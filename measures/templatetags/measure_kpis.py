"""``{% project_kpis node %}``: a project's KPIs, read-only, on the project page."""

from __future__ import annotations

from typing import Any

from django import template

from measures.models import Kpi
from measures.services.kpis import variance_of, with_latest

register = template.Library()


@register.inclusion_tag("measures/kpis/_project_kpis.html")
def project_kpis(project: Any) -> dict[str, Any]:
    """The project's own KPIs with their latest actual and variance (one query); the page has
    already checked that the reader may see the project."""
    kpis = with_latest(Kpi.objects.for_org(project.organization_id).filter(project_id=project.pk))
    return {"rows": [{"kpi": kpi, "variance": variance_of(kpi, kpi.latest_actual)} for kpi in kpis]}
