"""Drill-down: a widget row's query on the measure list lists exactly the measures behind it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reporting.widgets.approvals import approvals_by_age
from reporting.widgets.base import Filters, Scope
from reporting.widgets.capacity import capacity_by_function
from reporting.widgets.exceptions import exceptions_by_age, exceptions_by_forum
from tests.reporting.data import generate

pytestmark = pytest.mark.django_db


def listed(client, org, query: dict[str, str]) -> set[str]:
    response = client.get(reverse("measure-list", kwargs={"org_slug": org.slug}), query)
    assert response.status_code == 200
    return {measure.code for measure in response.context["object_list"]}


@pytest.fixture
def world(personas):
    return generate(personas.org, 120, seed=5)


def test_exception_rows_drill_to_the_root_measures_of_their_cases(client, personas, world):
    from governance.models import ExceptionCase

    client.force_login(personas.executive)
    scope = Scope(personas.org, personas.executive, Filters(program=world.programs[0].pk))
    for table in (exceptions_by_age(scope), exceptions_by_forum(scope)):
        total = set()
        for row, query in zip(table.rows, table.drill, strict=True):
            codes = listed(client, personas.org, {**query, "archived": "1"})
            roots = {
                case.root.code
                for case in ExceptionCase.objects.for_org(personas.org).select_related("root")
                if case.root.code in codes and case.state == "open"
            }
            # One measure may root several open cases (one per cause).
            assert len(roots) == len(codes) <= row["count"]
            total |= codes
        assert all(m.program_id == world.programs[0].pk for m in world.measures if m.code in total)


def test_approval_and_capacity_rows_drill_down(client, personas, world):
    client.force_login(personas.executive)
    scope = Scope(personas.org, personas.executive, Filters())
    for row, query in zip(approvals_by_age(scope).rows, approvals_by_age(scope).drill, strict=True):
        assert len(listed(client, personas.org, query)) <= row["count"]
    table = capacity_by_function(scope)
    assert table.drill and all(listed(client, personas.org, q) for q in table.drill[:1])


def test_stage_and_function_filters_narrow_the_measure_list(client, personas, world):
    client.force_login(personas.executive)
    function = world.functions[0]
    codes = listed(client, personas.org, {"stage": "decided,closed", "function": function.pk})
    assert codes == {
        m.code
        for m in world.measures
        if m.doi in ("decided", "closed") and m.function_id == function.pk and not m.archived_at
    }
    assert listed(client, personas.org, {"function": "none"}) == {
        m.code for m in world.measures if m.function_id is None and not m.archived_at
    }


def test_bad_drill_values_are_named_and_left_out(client, personas, world):
    client.force_login(personas.executive)
    url = reverse("measure-list", kwargs={"org_slug": personas.org.slug})
    response = client.get(
        url, {"stage": "nowhere", "function": "x1", "case": "open", "case_age": "9"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "No stage “nowhere”" in text and "No function “x1”" in text
    assert "No exception age “9”" in text
