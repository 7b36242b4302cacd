"""Value widgets: the value bridge from target to validated, and the DoI funnel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Sum

from governance.access import restrict
from governance.models import HierarchyNode, Portfolio, Program, Project
from measures.models import DOI_ORDER, DoI
from measures.services.financials import financial_settings
from reporting.widgets.base import Chart, Column, Scope, Table
from reporting.widgets.months import figure_rows, tally_rows

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The bridge's steps after the target: each counts the measures that reached that stage or a
# later one (On hold and Cancelled reach none).
BRIDGE_STAGES: tuple[str, ...] = (
    DoI.IDENTIFIED,
    DoI.DETAILED,
    DoI.DECIDED,
    DoI.IMPLEMENTED,
    DoI.CLOSED,
)
BRIDGE_FIGURES = ("plan", "forecast", "actual", "risk_adjusted", "validated")
FUNNEL_STAGES: tuple[str, ...] = (*DOI_ORDER, DoI.ON_HOLD, DoI.CANCELLED)


def reached(stage: str) -> list[str]:
    """The stages at or after ``stage`` on the forward path."""
    return list(DOI_ORDER[DOI_ORDER.index(stage) :])


def stage_figures(scope: Scope) -> dict[str, dict[str, Decimal]]:
    """``{stage: {plan, forecast, actual, validated, risk_adjusted}}`` of the benefit in the
    period (one grouped query; the weights are applied to the few grouped sums)."""
    return scope.cached("stage_figures", lambda: _stage_figures(scope))  # type: ignore[no-any-return]


def _stage_figures(scope: Scope) -> dict[str, dict[str, Decimal]]:
    grouped = (
        figure_rows(scope)
        .values_list("stage")
        .annotate(
            plan=Sum("benefit_plan"),
            forecast=Sum("benefit_forecast"),
            actual=Sum("benefit_actual"),
            validated=Sum("benefit_validated"),
        )
    )
    weights = financial_settings(scope.organization).weights()
    figures: dict[str, dict[str, Decimal]] = {}
    for stage, plan, forecast, actual, validated in grouped:
        figures[stage] = {
            "plan": plan,
            "forecast": forecast,
            "actual": actual,
            "validated": validated,
            "risk_adjusted": (forecast * weights.get(stage, Decimal(0))).quantize(
                CENT, rounding=ROUND_HALF_UP
            ),
        }
    return figures


def stage_counts(scope: Scope) -> dict[str, int]:
    """Live measures in scope per stage (one grouped query, over the program tallies when
    they are exact for the user)."""
    return scope.cached("stage_counts", lambda: _stage_counts(scope))  # type: ignore[no-any-return]


def _stage_counts(scope: Scope) -> dict[str, int]:
    tallies = tally_rows(scope)
    if tallies is not None:
        return dict(tallies.values_list("stage").annotate(count=Sum("measures")))
    return dict(scope.live_measures().values_list("doi").annotate(count=Count("pk")).order_by())


def value_target(scope: Scope) -> Decimal | None:
    """The annual value target of the filtered node (project, program or portfolio), or of the
    organization as the sum of its portfolios' targets; ``None`` when none is set."""
    filters = scope.filters
    if any(
        value is not None
        for value in (filters.function, filters.business_unit, filters.legal_entity, filters.owner)
    ):
        return None  # targets are set on the hierarchy, not per function or owner
    model: type[HierarchyNode] = Portfolio
    node_id = filters.portfolio
    if filters.project is not None:
        model, node_id = Project, filters.project
    elif filters.program is not None:
        model, node_id = Program, filters.program
    nodes = restrict(
        model.objects.all(), scope.user, "view_financials", organization=scope.organization
    ).filter(archived_at__isnull=True)
    if node_id is not None:
        nodes = nodes.filter(pk=node_id)
    total = nodes.aggregate(total=Sum("target_value"))["total"]
    return total


def value_bridge(scope: Scope) -> Table:
    """Target → identified → detailed → decided → implemented → validated (Closed): the benefit
    of the measures that reached each stage, in plan, forecast and actual, risk-adjusted by the
    stage weights, and validated by controllers."""
    counts = stage_counts(scope)
    money = scope.may_view_financials
    columns = [Column("step", "Step"), Column("measures", "Measures", "count")]
    if money:
        columns += [
            Column("plan", "Plan", "money"),
            Column("forecast", "Forecast", "money"),
            Column("actual", "Actual", "money"),
            Column("risk_adjusted", "Risk-adjusted", "money"),
            Column("validated", "Validated", "money"),
        ]
    rows: list[dict[str, Any]] = []
    drill: list[dict[str, str]] = []
    note = "On hold and cancelled measures reach no step."
    if money:
        figures = stage_figures(scope)
        target = value_target(scope)
        plan_total = sum((values["plan"] for values in figures.values()), ZERO)
        if target is None:
            target = plan_total
            note += " No value target is set here: the target is the plan total of the scope."
        else:
            note += " The target is the annual value target of the node (or the portfolios)."
        target_row: dict[str, Any] = {"step": "Target", "measures": None, "plan": target}
        rows.append(target_row)
        drill.append(scope.filters.as_query())
    labels = dict(DoI.choices)
    for stage in BRIDGE_STAGES:
        stages = reached(stage)
        label = "Validated (closed)" if stage == DoI.CLOSED else labels[stage]
        row: dict[str, Any] = {
            "step": label,
            "measures": sum(counts.get(name, 0) for name in stages),
        }
        if money:
            for figure in BRIDGE_FIGURES:
                row[figure] = sum(
                    (figures.get(name, {}).get(figure, ZERO) for name in stages), ZERO
                )
        rows.append(row)
        drill.append({**scope.filters.as_query(), "stage": ",".join(stages)})
    return Table(
        key="value_bridge",
        title="Value bridge",
        columns=columns,
        rows=rows,
        chart=Chart(
            "bar",
            "step",
            ("plan", "forecast", "actual", "risk_adjusted") if money else ("measures",),
        ),
        note=note,
        drill=drill,
        currency=scope.organization.currency,
    )


def doi_funnel(scope: Scope) -> Table:
    """Measures and their benefit (plan and forecast in the period) per DoI stage, and how many
    entered each stage since the latest snapshot."""
    from reporting.widgets.movements import movements_since_snapshot

    counts = stage_counts(scope)
    money = scope.may_view_financials
    figures = stage_figures(scope) if money else {}
    moved, moved_note = movements_since_snapshot(scope)
    columns = [
        Column("stage", "Stage"),
        Column("measures", "Measures", "count"),
        Column("entered", "Entered since snapshot", "count"),
        Column("left", "Left since snapshot", "count"),
    ]
    if money:
        columns += [Column("plan", "Plan", "money"), Column("forecast", "Forecast", "money")]
    labels = dict(DoI.choices)
    rows: list[dict[str, Any]] = []
    for stage in FUNNEL_STAGES:
        row: dict[str, Any] = {
            "stage": labels[stage],
            "measures": counts.get(stage, 0),
            "entered": moved.get(stage, (None, None))[0],
            "left": moved.get(stage, (None, None))[1],
        }
        if money:
            row["plan"] = figures.get(stage, {}).get("plan", ZERO)
            row["forecast"] = figures.get(stage, {}).get("forecast", ZERO)
        rows.append(row)
    return Table(
        key="doi_funnel",
        title="DoI funnel",
        columns=columns,
        rows=rows,
        chart=Chart("funnel", "stage", ("measures",)),
        note=moved_note,
        drill=[{**scope.filters.as_query(), "stage": stage} for stage in FUNNEL_STAGES],
        currency=scope.organization.currency,
    )
