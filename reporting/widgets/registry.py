"""Every widget by key: its selector, its title, and whether it shows financial figures.

The dashboards draw these in order; the leadership reports render the same tables into PDF,
XLSX and CSV by key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reporting.widgets.approvals import approvals_awaiting_me, approvals_by_age
from reporting.widgets.base import Scope, Table
from reporting.widgets.capacity import capacity_by_function
from reporting.widgets.exceptions import exceptions_by_age, exceptions_by_forum, top_slips
from reporting.widgets.series import budget_variance, plan_vs_actual
from reporting.widgets.status import status_matrix
from reporting.widgets.trend import value_trend
from reporting.widgets.value import doi_funnel, value_bridge


@dataclass(frozen=True)
class Widget:
    key: str
    title: str
    compute: Callable[[Scope], Table]
    # Whether the widget shows money (left out, or counts only, without view_financials).
    financial: bool


WIDGETS: dict[str, Widget] = {
    widget.key: widget
    for widget in (
        Widget("value_bridge", "Value bridge", value_bridge, True),
        Widget("doi_funnel", "DoI funnel", doi_funnel, True),
        Widget("plan_vs_actual", "Plan vs baseline vs forecast vs actual", plan_vs_actual, True),
        Widget("status_matrix", "Status matrix", status_matrix, False),
        Widget("exceptions_by_age", "Open exceptions by age", exceptions_by_age, True),
        Widget("exceptions_by_forum", "Open exceptions by forum", exceptions_by_forum, True),
        Widget("approvals_by_age", "Approvals pending by age", approvals_by_age, True),
        Widget(
            "capacity_by_function", "Capacity pressure by function", capacity_by_function, False
        ),
        Widget("budget_variance", "Budget variance by program", budget_variance, True),
        Widget("top_slips", "Top slips since the last report", top_slips, True),
        Widget("value_trend", "Trend across snapshots", value_trend, True),
    )
}


# Shown on "my work" only, first: what waits for the user, whoever owns the measure.
PERSONAL_WIDGETS: dict[str, Widget] = {
    "approvals_awaiting_me": Widget(
        "approvals_awaiting_me", "Approvals awaiting my decision", approvals_awaiting_me, False
    ),
}


def widget(key: str) -> Widget:
    """The widget of ``key``; ``KeyError`` for an unknown one."""
    return WIDGETS[key]


def compute_all(scope: Scope, keys: tuple[str, ...] | None = None) -> list[Table]:
    """The tables of ``keys`` (every widget by default), in registry order."""
    return [item.compute(scope) for key, item in WIDGETS.items() if keys is None or key in keys]
