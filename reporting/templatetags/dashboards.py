"""Template helpers of the dashboards."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def get_attr(obj: Any, name: str) -> Any:
    return getattr(obj, name, None)
