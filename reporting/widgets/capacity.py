"""Capacity pressure by function: hours planned (and spent) on measures against hours available."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from governance.access import restrict
from governance.models import Function
from measures.models import Availability, Effort
from reporting.widgets.base import Chart, Column, Scope, Table

ZERO = Decimal("0.00")
NO_FUNCTION = "No function"


def pressure(planned: Decimal, available: Decimal) -> Decimal | None:
    """Planned hours as a percentage of the available ones (``None`` with nothing available)."""
    if not available:
        return None
    return (planned * 100 / available).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def capacity_by_function(scope: Scope) -> Table:
    """Per function of the people doing the work: planned and actual hours on the measures in
    scope, the hours those people have available in the period, and the pressure."""
    first, last = scope.months
    lookups = {f"measure__{key}": value for key, value in scope.filters.measure_lookups().items()}
    effort = (
        restrict(Effort.objects.all(), scope.user, "view", organization=scope.organization)
        .filter(measure__archived_at__isnull=True, period__gte=first, period__lte=last, **lookups)
        .values_list("person__function_id")
        .annotate(planned=Sum("planned_hours"), actual=Sum("actual_hours"))
        .order_by()
    )
    available = (
        restrict(Availability.objects.all(), scope.user, "view", organization=scope.organization)
        .filter(person__active=True, period__gte=first, period__lte=last)
        .values_list("person__function_id")
        .annotate(hours=Sum("hours"))
        .order_by()
    )
    planned_by = {function: (planned, actual) for function, planned, actual in effort}
    available_by = dict(available.values_list("person__function_id", "hours"))
    names = dict(
        Function.objects.for_org(scope.organization)
        .filter(pk__in=[key for key in {*planned_by, *available_by} if key is not None])
        .values_list("pk", "name")
    )
    keys = sorted({*planned_by, *available_by}, key=lambda key: (key is None, names.get(key, "")))
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, str]] = []
    for key in keys:
        planned, actual = planned_by.get(key, (ZERO, None))
        hours = available_by.get(key) or ZERO
        rows.append(
            {
                "function": names.get(key, NO_FUNCTION),
                "planned": planned or ZERO,
                "actual": actual or ZERO,
                "available": hours,
                "pressure": pressure(planned or ZERO, hours),
            }
        )
        drill.append(
            {
                **scope.filters.as_query(),
                "effort_function": str(key) if key is not None else "none",
            }
        )
    return Table(
        key="capacity_by_function",
        title="Capacity pressure by function",
        columns=[
            Column("function", "Function"),
            Column("planned", "Planned hours", "hours"),
            Column("actual", "Actual hours", "hours"),
            Column("available", "Available hours", "hours"),
            Column("pressure", "Planned of available", "percent"),
        ],
        rows=rows,
        chart=Chart("bar", "function", ("planned", "actual", "available")),
        note=(
            "Functions of the people doing the work. Available hours are those of every active "
            "person of the function in the period, whatever they work on."
        ),
        drill=drill,
    )
