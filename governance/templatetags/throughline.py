"""Template helpers: links to hierarchy nodes and numbers as people read them."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from governance.models.hierarchy import model_for_level

register = template.Library()


@register.simple_tag(takes_context=True)
def node_url(context: dict[str, Any], node: Any, page: str = "detail") -> str:
    """URL of a node's page inside the current organization (its overview for the organization)."""
    org = context["request"].organization
    if node.LEVEL == "organization":
        return reverse("org-home", kwargs={"org_slug": org.slug})
    return reverse(f"{node.LEVEL}-{page}", kwargs={"org_slug": org.slug, "pk": node.pk})


@register.simple_tag(takes_context=True)
def level_url(context: dict[str, Any], level: str, page: str = "list") -> str:
    org = context["request"].organization
    return reverse(f"{level}-{page}", kwargs={"org_slug": org.slug})


@register.filter
def person(user: Any) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def level_plural(level: str) -> str:
    return str(model_for_level(level)._meta.verbose_name_plural)


@register.filter
def ancestors(node: Any) -> list[Any]:
    """A node's ancestors, top first, for list rows."""
    return [getattr(node, level) for level in node.ancestor_levels()]
