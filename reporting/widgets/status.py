"""The status matrix: programs by functions, Implementation Status beside Potential Status.

Green activity can hide red value: a cell counting many "on track" implementations beside many
"off track" potentials is what this widget is for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from measures.models import ImplementationStatus, PotentialStatus
from reporting.widgets.base import Chart, Column, Scope, Table
from reporting.widgets.months import tally_rows

NO_FUNCTION = "No function"


def implementation_key(status: str) -> str:
    return f"implementation_{status or 'none'}"


def potential_key(status: str) -> str:
    return f"potential_{status or 'none'}"


IMPLEMENTATION = [*ImplementationStatus.choices, ("", "Not reported")]
POTENTIAL = [*PotentialStatus.choices, ("", "Not computed")]


def _counts(count: Callable[..., Any]) -> dict[str, Any]:
    """The matrix's counts as aggregates: ``count(filter=…)`` per status, and in all (as
    ``live``: a tally's own ``measures`` field cannot be an alias)."""
    counts: dict[str, Any] = {"live": count()}
    for status, _ in IMPLEMENTATION:
        counts[implementation_key(status)] = count(filter=Q(implementation_status=status))
    for status, _ in POTENTIAL:
        counts[potential_key(status)] = count(filter=Q(potential_status=status))
    return counts


def status_matrix(scope: Scope) -> Table:
    """Live measures per program and function, counted by current Implementation Status and by
    current Potential Status: one grouped query, over the program tallies when they are exact
    for the user, else over the measures."""
    tallies = tally_rows(scope)
    if tallies is not None:
        rows_in_scope: QuerySet[Any] = tallies
        counts = _counts(lambda **kwargs: Sum("measures", default=0, **kwargs))
    else:
        rows_in_scope = scope.live_measures()
        counts = _counts(lambda **kwargs: Count("pk", **kwargs))
    grouped = (
        rows_in_scope.values(
            "program_id", "program__code", "program__title", "function_id", "function__name"
        )
        .annotate(**counts)
        .order_by("program__code", "function__name", "function_id")
    )
    columns = [
        Column("program", "Program"),
        Column("function", "Function"),
        Column("measures", "Measures", "count"),
        *[
            Column(implementation_key(status), f"Implementation: {label}", "count")
            for status, label in IMPLEMENTATION
        ],
        *[
            Column(potential_key(status), f"Potential: {label}", "count")
            for status, label in POTENTIAL
        ],
    ]
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, str]] = []
    for group in grouped:
        row = {
            "program": f"{group['program__code']} {group['program__title']}",
            "function": group["function__name"] or NO_FUNCTION,
            "measures": group["live"],
        }
        row.update({column.key: group[column.key] for column in columns[3:]})
        # The chart's category: program and function together (not a column of the table).
        row["cell"] = f"{group['program__code']} / {row['function']}"
        rows.append(row)
        drill.append(
            {
                **scope.filters.as_query(),
                "program": str(group["program_id"]),
                "function": str(group["function_id"]) if group["function_id"] else "none",
            }
        )
    return Table(
        key="status_matrix",
        title="Status matrix: Implementation Status beside Potential Status",
        columns=columns,
        rows=rows,
        chart=Chart(
            "bar",
            "cell",
            (
                implementation_key(ImplementationStatus.OFF_TRACK),
                potential_key(PotentialStatus.OFF_TRACK),
            ),
        ),
        note="Current statuses of live measures; periods do not narrow it.",
        drill=drill,
    )
