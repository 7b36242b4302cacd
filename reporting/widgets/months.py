"""The monthly figures of the measures in scope, as the money widgets sum them."""

from __future__ import annotations

from django.db.models import QuerySet

from governance.access import restrict
from measures.models import MeasureMonth
from reporting.widgets.base import Scope


def months_in_scope(scope: Scope) -> QuerySet[MeasureMonth]:
    """``MeasureMonth`` rows (live measures only, by construction) of the period, within the
    filters, of the measures whose financials the user may see."""
    first, last = scope.months
    lookups = scope.filters.month_lookups()
    return (
        restrict(
            MeasureMonth.objects.all(),
            scope.user,
            "view_financials",
            organization=scope.organization,
        )
        .filter(period__gte=first, period__lte=last, **lookups)
        .order_by()
    )
