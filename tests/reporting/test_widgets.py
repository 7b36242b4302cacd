"""Every widget's figures equal a brute-force computation over all rows, filters compose, and
each user sees only their scope (no money without the financial permission)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from governance.models import Role
from governance.services.grants import assign_role
from measures.fiscal import add_months
from reporting.widgets.ages import AGE_BUCKETS
from reporting.widgets.approvals import approvals_by_age
from reporting.widgets.base import Filters, Scope
from reporting.widgets.capacity import capacity_by_function, pressure
from reporting.widgets.exceptions import exceptions_by_age, exceptions_by_forum, top_slips
from tests.factories import MembershipFactory, UserFactory
from tests.reporting import brute
from tests.reporting.data import World, generate

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")


@pytest.fixture
def world(personas) -> World:
    return generate(personas.org, 240)


@pytest.fixture
def lead(personas, world):
    """A lead of the first program only."""
    user = UserFactory(username="program-lead")
    MembershipFactory(organization=personas.org, user=user, role="")
    assign_role(user, Role.LEAD, world.programs[0])
    return user


def everyone(world: World) -> set[int]:
    return {m.pk for m in world.measures}


def of_program(world: World, index: int) -> set[int]:
    return {m.pk for m in world.measures if m.program_id == world.programs[index].pk}


def filter_sets(world: World) -> list[Filters]:
    """No filter, each filter alone, and filters composed (program + function + period)."""
    first = world.first_month
    return [
        Filters(),
        Filters(program=world.programs[0].pk),
        Filters(portfolio=world.programs[2].portfolio_id),
        Filters(function=world.functions[1].pk),
        Filters(business_unit=world.units[0].pk),
        Filters(period_from=add_months(first, 2), period_to=add_months(first, 6)),
        Filters(
            program=world.programs[0].pk,
            function=world.functions[0].pk,
            period_from=add_months(first, 1),
            period_to=add_months(first, 4),
        ),
    ]


def by_label(table, key: str) -> dict[str, dict]:
    return {row[key]: row for row in table.rows}


def test_exceptions_by_age_equal_brute_force_for_every_filter(personas, world):
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        table = exceptions_by_age(scope)
        expected = brute.exceptions_by_age(personas.org, filters, everyone(world), everyone(world))
        rows = by_label(table, "age")
        for bucket in AGE_BUCKETS:
            count, value = expected.get(bucket.key, (0, ZERO))
            assert rows[bucket.label]["count"] == count, (filters, bucket)
            assert rows[bucket.label]["value_at_risk"] == value, (filters, bucket)
        assert sum(row["count"] for row in table.rows) > 0 or filters != Filters()


def test_exceptions_by_forum_equal_brute_force(personas, world):
    for filters in filter_sets(world):
        table = exceptions_by_forum(Scope(personas.org, personas.executive, filters))
        expected = brute.exceptions_by_forum(
            personas.org, filters, everyone(world), everyone(world)
        )
        got = {row["forum"]: (row["count"], row["value_at_risk"]) for row in table.rows}
        assert got == expected, filters


def test_approvals_by_age_equal_brute_force(personas, world):
    for filters in filter_sets(world):
        table = approvals_by_age(Scope(personas.org, personas.executive, filters))
        expected = brute.approvals_by_age(personas.org, filters, everyone(world), everyone(world))
        rows = by_label(table, "age")
        for bucket in AGE_BUCKETS:
            count, value = expected.get(bucket.key, (0, ZERO))
            assert (rows[bucket.label]["count"], rows[bucket.label]["amount"]) == (count, value)


def test_capacity_by_function_equals_brute_force(personas, world):
    names = {f.pk: f.name for f in world.functions}
    for filters in filter_sets(world):
        scope = Scope(personas.org, personas.executive, filters)
        table = capacity_by_function(scope)
        expected = brute.capacity_by_function(personas.org, filters, everyone(world), scope.months)
        got = {
            row["function"]: (row["planned"], row["actual"], row["available"], row["pressure"])
            for row in table.rows
        }
        assert got == {
            names.get(key, "No function"): (
                planned,
                actual,
                available,
                pressure(planned, available),
            )
            for key, (planned, actual, available) in expected.items()
        }, filters


def test_top_slips_are_the_largest_open_slips_of_the_last_week(personas, world):
    table = top_slips(Scope(personas.org, personas.executive, Filters()))
    from django.utils import timezone

    from governance.models import ExceptionCase

    since = timezone.now() - dt.timedelta(days=7)
    expected = sorted(
        (
            case
            for case in ExceptionCase.objects.for_org(personas.org).select_related("root")
            if case.state == "open"
            and case.opened_at >= since
            and case.slip_days > 0
            and case.root.archived_at is None
        ),
        key=lambda case: (-case.slip_days, -case.value_at_risk, -case.pk),
    )[:10]
    assert [row["slip_days"] for row in table.rows] == [case.slip_days for case in expected]
    assert table.drill == [{"id": str(case.root_id)} for case in expected]


def test_a_program_lead_sees_only_their_programs_figures(personas, world, lead):
    mine = of_program(world, 0)
    for filters in (Filters(), Filters(function=world.functions[2].pk)):
        table = exceptions_by_age(Scope(personas.org, lead, filters))
        expected = brute.exceptions_by_age(personas.org, filters, mine, mine)
        assert {row["age"]: row["count"] for row in table.rows} == {
            bucket.label: expected.get(bucket.key, (0, ZERO))[0] for bucket in AGE_BUCKETS
        }
        forums = exceptions_by_forum(Scope(personas.org, lead, filters))
        assert {r["forum"]: (r["count"], r["value_at_risk"]) for r in forums.rows} == (
            brute.exceptions_by_forum(personas.org, filters, mine, mine)
        )
    # Another program's filter: nothing of it.
    other = Scope(personas.org, lead, Filters(program=world.programs[1].pk))
    assert sum(row["count"] for row in exceptions_by_age(other).rows) == 0
    assert sum(row["count"] for row in approvals_by_age(other).rows) == 0


def test_a_viewer_without_financials_gets_counts_and_no_money(personas, world):
    scope = Scope(personas.org, personas.viewer, Filters())
    assert not scope.may_view_financials
    for table in (exceptions_by_age(scope), exceptions_by_forum(scope), approvals_by_age(scope)):
        assert not table.has_money
        assert all(column.kind != "money" for column in table.columns)
        assert "value_at_risk" not in table.csv() and sum(r["count"] for r in table.rows) > 0
    assert not top_slips(scope).has_money


def test_widget_csv_has_a_header_of_labels_and_a_line_per_row(personas, world):
    table = exceptions_by_age(Scope(personas.org, personas.executive, Filters()))
    lines = table.csv().strip().splitlines()
    assert lines[0] == "Open for,Open cases,Value at risk"
    assert len(lines) == 1 + len(AGE_BUCKETS)


def test_status_matrix_counts_both_statuses_per_program_and_function(personas, world, lead):
    from reporting.widgets.status import status_matrix

    for user, visible in ((personas.executive, everyone(world)), (lead, of_program(world, 0))):
        for filters in filter_sets(world):
            table = status_matrix(Scope(personas.org, user, filters))
            expected = brute.status_matrix(personas.org, filters, visible)
            got = {
                (
                    int(query["program"]),
                    None if query["function"] == "none" else int(query["function"]),
                ): {
                    key: value
                    for key, value in row.items()
                    if key not in ("program", "function", "cell") and value
                }
                for row, query in zip(table.rows, table.drill, strict=True)
            }
            assert got == {key: dict(counts) for key, counts in expected.items()}, filters
    assert not status_matrix(Scope(personas.org, personas.viewer, Filters())).has_money
