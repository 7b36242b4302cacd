"""The money widgets sum the program-month roll-up when it is exact, and the measures' monthly
figures otherwise: both give the same grouped figures, and a user whose financial scope is not
whole programs (a project filter, an owner) still gets the figures of exactly their measures.
The program tallies count what counting the measures counts, on the same terms."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, F, Sum

from governance.models import Role
from governance.services.grants import assign_role
from measures.models import FIGURES, Measure, MeasureMonth, ProgramMonth
from reporting.widgets.base import Filters, Scope
from reporting.widgets.months import (
    figure_rows,
    months_in_scope,
    program_months_exact,
    tally_rows,
)
from reporting.widgets.value import value_bridge
from tests.factories import MembershipFactory, UserFactory
from tests.reporting import brute
from tests.reporting.data import World, generate
from tests.reporting.test_money_widgets import expected_bridge, stage_counts
from tests.reporting.test_widgets import filter_sets, of_program

pytestmark = pytest.mark.django_db

GROUPINGS = ("stage", "period", "program_id")


@pytest.fixture
def world(personas) -> World:
    return generate(personas.org, 120)


def grouped(rows: Any) -> dict[str, dict[Any, dict[str, Decimal]]]:
    """The figures summed per stage, per month and per program, as the widgets group them."""
    return {
        grouping: {
            row[grouping]: {name: row[name] for name in FIGURES}
            for row in rows.values(grouping).annotate(**{name: Sum(name) for name in FIGURES})
        }
        for grouping in GROUPINGS
    }


def test_an_organization_wide_executive_sums_the_roll_up_with_the_same_figures(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        exact = filters.project is None and filters.owner is None
        assert program_months_exact(scope) is exact, filters
        rows = figure_rows(scope)
        assert rows.model is (ProgramMonth if exact else MeasureMonth)
        assert grouped(rows) == grouped(months_in_scope(scope)), filters


def test_a_program_lead_sums_the_roll_up_of_their_program(personas, world):
    lead = UserFactory(username="rollup-lead")
    MembershipFactory(organization=personas.org, user=lead, role="")
    assign_role(lead, Role.LEAD, world.programs[0])
    scope = Scope(personas.org, lead, Filters())
    assert program_months_exact(scope)
    assert figure_rows(scope).model is ProgramMonth
    assert set(figure_rows(scope).values_list("program_id", flat=True)) == {world.programs[0].pk}
    assert grouped(figure_rows(scope)) == grouped(months_in_scope(scope))


def test_a_lead_owning_a_measure_elsewhere_gets_its_figures_too(personas, world):
    lead = UserFactory(username="rollup-owner-lead")
    MembershipFactory(organization=personas.org, user=lead, role="")
    assign_role(lead, Role.LEAD, world.programs[0])
    elsewhere = next(
        m for m in world.measures if m.program_id == world.programs[2].pk and m.months.exists()
    )
    Measure.objects.for_org(personas.org).filter(pk=elsewhere.pk).update(owner=lead)
    scope = Scope(personas.org, lead, Filters())
    assert not program_months_exact(scope)
    assert figure_rows(scope).model is MeasureMonth
    visible = of_program(world, 0) | {elsewhere.pk}
    sums = brute.benefit_by_stage(personas.org, Filters(), visible, scope.months)
    table = value_bridge(scope)
    assert [row["plan"] for row in table.rows[1:]] == [
        row["plan"] for row in expected_bridge(sums, stage_counts(world, Filters(), visible))
    ]


def test_an_owner_and_a_project_filter_sum_the_measures_rows(personas, world):
    owner = next(m.owner for m in world.measures if m.owner is not None)
    MembershipFactory(organization=personas.org, user=owner, role=Role.VIEWER)
    mine = {m.pk for m in world.measures if m.owner_id == owner.pk}
    scope = Scope(personas.org, owner, Filters(owner=owner.pk))
    assert not program_months_exact(scope)
    assert set(figure_rows(scope).values_list("measure_id", flat=True)) <= mine
    project = world.measures[0].project_id
    scope = Scope(personas.org, personas.executive, Filters(project=project))
    assert figure_rows(scope).model is MeasureMonth
    by_program: dict[Any, Decimal] = defaultdict(Decimal)
    for row in MeasureMonth.objects.for_org(personas.org).filter(project_id=project):
        if scope.months[0] <= row.period <= scope.months[1]:
            by_program[row.program_id] += row.benefit_plan
    assert {
        program: sums["benefit_plan"]
        for program, sums in grouped(figure_rows(scope))["program_id"].items()
    } == dict(by_program)


def counted(rows: Any, count: Any) -> dict[tuple[Any, ...], int]:
    """Live measures per program, function, stage and statuses, as the count widgets group."""
    keys = ("program_id", "function_id", "stage", "implementation_status", "potential_status")
    return {
        tuple(row[key] for key in keys): row["n"]
        for row in rows.values(*keys).annotate(n=count).order_by()
        if row["n"]
    }


def measures_counted(scope: Scope) -> dict[tuple[Any, ...], int]:
    return counted(scope.live_measures().annotate(stage=F("doi")), Count("pk"))


def test_the_tallies_count_what_counting_the_measures_counts(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        tallies = tally_rows(scope)
        if filters.project is not None or filters.owner is not None:
            assert tallies is None, filters
            continue
        assert tallies is not None, filters
        assert counted(tallies, Sum("measures")) == measures_counted(scope), filters
    lead = UserFactory(username="tally-lead")
    MembershipFactory(organization=personas.org, user=lead, role="")
    assign_role(lead, Role.LEAD, world.programs[0])
    scope = Scope(personas.org, lead, Filters())
    tallies = tally_rows(scope)
    assert tallies is not None
    assert {key[0] for key in counted(tallies, Sum("measures"))} == {world.programs[0].pk}
    assert counted(tallies, Sum("measures")) == measures_counted(scope)
    # Owning a measure in another program: the tallies cannot single it out.
    elsewhere = next(m for m in world.measures if m.program_id == world.programs[2].pk)
    Measure.objects.for_org(personas.org).filter(pk=elsewhere.pk).update(owner=lead)
    assert tally_rows(Scope(personas.org, lead, Filters())) is None
