"""The dashboards' filters: read from the query string, checked against what the user may see.

Every id must name a row the user may see in this organization (choices go through
``restrict``); a value that does not is left out with a message naming it, never a 500 and never
a figure of someone else's. The node of a node's dashboard is fixed: it overrides the filter of
its level.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from governance.access import restrict
from governance.models import (
    BusinessUnit,
    Function,
    HierarchyNode,
    LegalEntity,
    Organization,
    Portfolio,
    Program,
    Project,
)
from measures.fiscal import add_months
from reporting.widgets.base import Filters

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The longest period a dashboard shows, in months.
MAX_MONTHS = 60

NODE_FILTERS: tuple[tuple[str, type[HierarchyNode], str], ...] = (
    ("portfolio", Portfolio, "portfolio"),
    ("program", Program, "program"),
    ("project", Project, "project"),
)
UNIT_FILTERS: tuple[tuple[str, Any, str], ...] = (
    ("function", Function, "function"),
    ("business_unit", BusinessUnit, "business unit"),
    ("legal_entity", LegalEntity, "legal entity"),
)


@dataclass
class FilterForm:
    """The parsed filters, the messages about values left out, and the choices to offer."""

    filters: Filters
    errors: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def _choices(queryset: QuerySet[Any], label: str) -> QuerySet[Any]:
    return queryset.values_list("pk", label)


def parse_month(raw: str) -> dt.date | None:
    match = MONTH.match(raw.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1900 <= year <= 2999):
        return None
    return dt.date(year, month, 1)


def parse_dashboard_filters(
    data: Any, *, user: Any, organization: Organization, node: HierarchyNode | None = None
) -> FilterForm:
    """Filters from ``data`` (a query dict) as ``user`` may apply them; ``node`` fixes the scope
    of a portfolio's, program's or project's dashboard."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw = {key: str(data.get(key, "") or "").strip() for key in Filters.MEASURE_KEYS}
    raw["period_from"] = str(data.get("period_from", "") or "").strip()
    raw["period_to"] = str(data.get("period_to", "") or "").strip()
    choices: dict[str, list[tuple[int, str]]] = {}
    fixed = _fixed_levels(node)
    for name, model, label in NODE_FILTERS:
        visible = restrict(model.objects.all(), user, "view", organization=organization).filter(
            archived_at__isnull=True
        )
        if node is not None and name not in fixed:
            visible = visible.filter(**{f"{node.LEVEL}_id": node.pk})
        # A higher level chosen narrows the choices below it.
        for higher in ("portfolio", "program"):
            if higher != name and values.get(higher) and higher in model.ancestor_levels():
                visible = visible.filter(**{f"{higher}_id": values[higher]})
        if name in fixed:
            values[name] = fixed[name]
            continue
        choices[name] = [
            (pk, f"{code} {title}")
            for pk, code, title in visible.values_list("pk", "code", "title").order_by("code")
        ]
        values[name] = _pick(raw[name], {pk for pk, _ in choices[name]}, label, name, errors)
    for name, unit_model, label in UNIT_FILTERS:
        units = restrict(unit_model.objects.all(), user, "view", organization=organization)
        choices[name] = list(_choices(units.order_by("name"), "name"))
        values[name] = _pick(raw[name], {pk for pk, _ in choices[name]}, label, name, errors)
    for name in ("period_from", "period_to"):
        if raw[name]:
            values[name] = parse_month(raw[name])
            if values[name] is None:
                errors[name] = f"“{raw[name]}” is not a month: use YYYY-MM, e.g. 2026-04."
    first, last = values.get("period_from"), values.get("period_to")
    if first and last:
        if last < first:
            errors["period_to"] = "The last month comes before the first: both left out."
            values["period_from"] = values["period_to"] = None
        elif add_months(first, MAX_MONTHS - 1) < last:
            errors["period_to"] = f"Show at most {MAX_MONTHS} months at once."
            values["period_to"] = add_months(first, MAX_MONTHS - 1)
    elif last and not first:
        values["period_from"] = add_months(last, -11)
    return FilterForm(filters=Filters(**values), errors=errors, choices=choices, raw=raw)


def _fixed_levels(node: HierarchyNode | None) -> dict[str, int]:
    """The filters a node's dashboard fixes: its own level and every level above it."""
    if node is None:
        return {}
    fixed = {level: getattr(node, f"{level}_id") for level in node.ancestor_levels()}
    fixed[node.LEVEL] = node.pk
    return fixed


def _pick(raw: str, allowed: set[int], label: str, name: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    if raw.isdigit() and int(raw) in allowed:
        return int(raw)
    errors[name] = f"No {label} “{raw[:40]}” you may see here: that filter is left out."
    return None
