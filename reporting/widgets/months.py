"""The monthly figures and the measure counts in scope, as the widgets sum them.

``figure_rows`` picks the table: the program-month roll-up (``ProgramMonth``, a few thousand
rows a fiscal year) when summing it gives exactly what summing the measures' rows would, else
the measures' monthly figures (``MeasureMonth``). The roll-up is exact when the widget groups
by stage, month or program, the filters name no project or owner, and the user's financial
visibility is whole programs: the financial permission on the organization, or on portfolios
and programs only while they own no live measure outside them (an owner sees their own
measures' figures, which the roll-up cannot single out).

``tally_rows`` does the same for counts of live measures: the program tallies
(``ProgramTally``) when the user's view permission is whole programs, else ``None`` (the
widget counts the measures).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from governance.access import Action, grants_of, restrict
from governance.permissions import ACTIONS
from measures.models import Measure, MeasureMonth, ProgramMonth, ProgramTally
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
    if program_rows_exact(scope, "view_financials"):
        return _in_scope(scope, ProgramMonth, scope.filters.measure_lookups())
    return months_in_scope(scope)


def tally_rows(scope: Scope) -> QuerySet[ProgramTally] | None:
    """The program tallies in scope when summing their ``measures`` counts exactly the live
    measures the user may view there; ``None`` when it would not (count the measures)."""
    if not program_rows_exact(scope, "view"):
        return None
    tallies = restrict(
        ProgramTally.objects.all(), scope.user, "view", organization=scope.organization
    )
    return tallies.filter(**scope.filters.measure_lookups()).order_by()


def program_rows_exact(scope: Scope, action: Action) -> bool:
    """Whether the per-program rows give exactly what the user may ``action`` in the scope
    (memoized per scope)."""
    return scope.cached(  # type: ignore[no-any-return]
        f"program_rows_exact:{action}", lambda: program_months_exact(scope, action)
    )


def program_months_exact(scope: Scope, action: Action = "view_financials") -> bool:
    """Whether per-program rows (``ProgramMonth``, ``ProgramTally``) give the user's exact
    figures in the scope for ``action``: at most one query (whether they own live measures
    outside their portfolios and programs)."""
    filters = scope.filters
    if filters.project is not None or filters.owner is not None:
        return False
    grants = grants_of(scope.user, scope.organization)
    if grants.membership is None or grants.user_id is None:
        return False
    permission = ACTIONS[action].permission
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
