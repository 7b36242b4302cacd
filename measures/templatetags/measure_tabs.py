"""``{% measure_tabs measure "key" %}``: the tab strip of a measure's pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from measures.tabs import ordered

register = template.Library()


@register.inclusion_tag("measures/_tabs.html", takes_context=True)
def measure_tabs(context: template.Context, measure: Any, active: str) -> dict[str, Any]:
    org = context["current_org"]
    return {
        "tabs": [
            {
                "label": item.label,
                "url": reverse(item.url_name, args=[org.slug, measure.pk]),
                "active": item.key == active,
            }
            for item in ordered()
        ]
    }
