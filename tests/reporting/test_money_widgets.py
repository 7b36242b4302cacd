"""The money widgets (value bridge, DoI funnel, plan vs actual, budget variance) equal sums of
the raw series rows, for every filter, within the user's financial scope."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.models import Role
from governance.services.grants import assign_role
from measures.models import DOI_ORDER
from reporting.widgets.base import Filters, Scope
from reporting.widgets.series import budget_variance, plan_vs_actual
from reporting.widgets.value import BRIDGE_STAGES, FUNNEL_STAGES, doi_funnel, value_bridge
from tests.factories import MembershipFactory, UserFactory
from tests.reporting import brute
from tests.reporting.data import World, generate
from tests.reporting.test_widgets import everyone, filter_sets, of_program

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
COSTS = ("one_time_cost", "recurring_cost")


@pytest.fixture
def world(personas) -> World:
    return generate(personas.org, 240)


def expected_bridge(sums, counts):
    rows = []
    for stage in BRIDGE_STAGES:
        reached = DOI_ORDER[DOI_ORDER.index(stage) :]
        rows.append(
            {
                "measures": sum(counts.get(name, 0) for name in reached),
                "plan": sum((sums[name]["plan"] for name in reached), ZERO),
                "forecast": sum((sums[name]["forecast"] for name in reached), ZERO),
                "actual": sum((sums[name]["actual"] for name in reached), ZERO),
                "validated": sum((sums[name]["validated"] for name in reached), ZERO),
                "risk_adjusted": sum(
                    (brute.risk_adjusted(sums[name]["forecast"], name) for name in reached), ZERO
                ),
            }
        )
    return rows


def stage_counts(world: World, filters: Filters, visible: set[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for measure in world.measures:
        if brute.keeps(measure, filters, visible):
            counts[measure.doi] = counts.get(measure.doi, 0) + 1
    return counts


def test_value_bridge_equals_brute_force_for_every_filter(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        table = value_bridge(scope)
        sums = brute.benefit_by_stage(personas.org, filters, everyone(world), scope.months)
        counts = stage_counts(world, filters, everyone(world))
        target, *steps = table.rows
        assert [{k: row[k] for k in expected_bridge(sums, counts)[0]} for row in steps] == (
            expected_bridge(sums, counts)
        ), filters
        # No value target on the generated nodes: the plan total of the scope, said so.
        assert target["plan"] == sum((values["plan"] for values in sums.values()), ZERO)
        assert "plan total" in table.note


def test_value_bridge_target_is_the_nodes_value_target(personas, world):
    program = world.programs[0]
    type(program).objects.for_org(personas.org).filter(pk=program.pk).update(
        target_value=Decimal("1234567.00")
    )
    table = value_bridge(Scope(personas.org, personas.executive, Filters(program=program.pk)))
    assert table.rows[0]["plan"] == Decimal("1234567.00")
    assert "annual value target" in table.note


def test_doi_funnel_counts_and_values_per_stage(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        table = doi_funnel(scope)
        sums = brute.benefit_by_stage(personas.org, filters, everyone(world), scope.months)
        counts = stage_counts(world, filters, everyone(world))
        assert [(r["measures"], r["plan"], r["forecast"]) for r in table.rows] == [
            (counts.get(stage, 0), sums[stage]["plan"], sums[stage]["forecast"])
            for stage in FUNNEL_STAGES
        ], filters


def test_plan_vs_actual_per_month_and_cumulative(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        table = plan_vs_actual(scope)
        sums = brute.series(
            personas.org,
            filters,
            everyone(world),
            scope.months,
            lines=("benefit",),
            group=lambda measure, entry: entry.period,
        )
        running = dict.fromkeys(("plan", "baseline", "forecast", "actual"), ZERO)
        assert len(table.rows) == 12 or filters.period_from is not None
        # The running actual stops after the current month or the last month with an actual.
        horizon = max(
            [scope.today.replace(day=1)]
            + [month for month, found in sums.items() if found["actual"]]
        )
        for row in table.rows:
            for scenario in running:
                running[scenario] += sums[row["month"]][scenario]
                assert row[scenario] == sums[row["month"]][scenario], (filters, row["month"])
                expected = running[scenario]
                if scenario == "actual" and row["month"] > horizon:
                    expected = None
                assert row[f"cumulative_{scenario}"] == expected


def test_budget_variance_by_program(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        table = budget_variance(scope)
        sums = brute.series(
            personas.org,
            filters,
            everyone(world),
            scope.months,
            lines=COSTS,
            group=lambda measure, entry: measure.program_id,
        )
        got = {
            query["program"]: (row["baseline"], row["forecast"], row["actual"], row["variance"])
            for row, query in zip(table.rows, table.drill, strict=True)
        }
        assert got == {
            str(program): (
                values["baseline"],
                values["forecast"],
                values["actual"],
                values["forecast"] - values["baseline"],
            )
            for program, values in sums.items()
        }, filters


def test_a_program_lead_sums_only_their_program(personas, world):
    lead = UserFactory(username="money-lead")
    MembershipFactory(organization=personas.org, user=lead, role="")
    assign_role(lead, Role.LEAD, world.programs[0])
    mine = of_program(world, 0)
    scope = Scope(personas.org, lead, Filters())
    sums = brute.benefit_by_stage(personas.org, Filters(), mine, scope.months)
    table = value_bridge(scope)
    assert [row["plan"] for row in table.rows[1:]] == [
        row["plan"] for row in expected_bridge(sums, stage_counts(world, Filters(), mine))
    ]
    assert [row["program"] for row in budget_variance(scope).rows] == [
        f"{world.programs[0].code} {world.programs[0].title}"
    ]


def test_a_viewer_sees_stage_counts_but_no_money(personas, world):
    scope = Scope(personas.org, personas.viewer, Filters())
    for table in (value_bridge(scope), doi_funnel(scope), plan_vs_actual(scope)):
        assert not table.has_money
    counts = stage_counts(world, Filters(), everyone(world))
    assert [row["measures"] for row in doi_funnel(scope).rows] == [
        counts.get(stage, 0) for stage in FUNNEL_STAGES
    ]
    assert budget_variance(scope).rows == []


def test_an_owner_without_financial_grants_sees_the_money_of_their_own_measures(personas, world):
    owner = next(m.owner for m in world.measures if m.owner is not None)
    MembershipFactory(organization=personas.org, user=owner, role=Role.VIEWER)
    mine = {m.pk for m in world.measures if m.owner_id == owner.pk}
    assert not Scope(personas.org, owner, Filters()).may_view_financials
    scope = Scope(personas.org, owner, Filters(owner=owner.pk))
    assert scope.may_view_financials
    sums = brute.benefit_by_stage(personas.org, Filters(owner=owner.pk), mine, scope.months)
    table = value_bridge(scope)
    assert [row["plan"] for row in table.rows[1:]] == [
        row["plan"]
        for row in expected_bridge(sums, stage_counts(world, Filters(owner=owner.pk), mine))
    ]
