"""The monthly figures in scope, as the money widgets sum them.

``figure_rows`` picks the table: the program-month roll-up (``ProgramMonth``, a few thousand
rows a fiscal year) when summing it gives exactly what summing the measures' rows would, else
the measures' monthly figures (``MeasureMonth``). The roll-up is exact when the widget groups
by stage, month or program, the filters name no project or owner, and the user's financial
visibility is whole programs: the financial permission on the organization, or on portfolios
and programs only while they own no live measure outside them (an owner sees their own
measures' figures, which the roll-up cannot single out).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from governance.access import grants_of, restrict
from governance.permissions import ACTIONS
from measures.models import Measure, MeasureMonth, ProgramMonth
from reporting.widgets.base import Scope

# The grant levels whose subtrees are whole programs.
PROGRAM_LEVELS = frozenset({"portfolio", "program"})


def months_in_scope(scope: Scope) -> QuerySet[MeasureMonth]:
    """``MeasureMonth`` rows (live measures only, by construction) of the period, within the
    filters, of the measures whose financials the user may see."""
    return _in_scope(scope, MeasureMonth, scope.filters.month_lookups())


def figure_rows(scope: Scope) -> QuerySet[Any]:
    """The rows a widget grouping by stage, month or program sums: ``ProgramMonth`` when exact
    (see the module), else ``months_in_scope``. Both have the nine figure columns, ``stage``,
    ``period`` and the program's keys."""
    if scope.cached("program_months_exact", lambda: program_months_exact(scope)):
        return _in_scope(scope, ProgramMonth, scope.filters.measure_lookups())
    return months_in_scope(scope)


def program_months_exact(scope: Scope) -> bool:
    """Whether summing ``ProgramMonth`` gives the user's exact figures in the scope: at most
    one query (whether they own live measures outside their portfolios and programs)."""
    filters = scope.filters
    if filters.project is not None or filters.owner is not None:
        return False
    grants = grants_of(scope.user, scope.organization)
    if grants.membership is None or grants.user_id is None:
        return False
    permission = ACTIONS["view_financials"].permission
    if grants.on_organization(permission):
        return True
    levels = {level for level, _ in grants.sources.get(permission, ())}
    if not levels or not levels <= PROGRAM_LEVELS:
        return False
    held = grants.nodes.get(permission, {})
    granted = Q(portfolio_id__in=held.get("portfolio", ())) | Q(
        program_id__in=held.get("program", ())
    )
    owned_outside = (
        Measure.objects.for_org(scope.organization)
        .filter(owner_id=grants.user_id, archived_at__isnull=True)
        .exclude(granted)
    )
    return not owned_outside.exists()


def _in_scope(scope: Scope, model: type[Any], lookups: dict[str, Any]) -> QuerySet[Any]:
    first, last = scope.months
    return (
        restrict(
            model.objects.all(),
            scope.user,
            "view_financials",
            organization=scope.organization,
        )
        .filter(period__gte=first, period__lte=last, **lookups)
        .order_by()
    )
