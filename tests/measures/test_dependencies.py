"""Dependencies between measures: the rules, cycles, the downstream walk, the page and the API."""

from __future__ import annotations

import itertools
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.errors import AccessDenied, ValidationError
from governance.models import AuditEvent, Role
from governance.services.grants import assign_role
from measures import gates
from measures.models import DoI, Measure, MeasureDependency
from measures.services.dependencies import (
    dependency_create,
    dependency_delete,
    downstream,
    no_dependencies_set,
)
from tests.factories import MeasureFactory, MeasurePackageFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

DECLARED = (
    "Declare the dependencies: link at least one related measure, or state that there are none."
)


@pytest.fixture
def package(personas):
    return MeasurePackageFactory(project__program__portfolio__organization=personas.org)


def measures(package, count, **values):
    return [
        MeasureFactory(package=package, code=f"M-{number}", **values)
        for number in range(1, count + 1)
    ]


def edges(org):
    return MeasureDependency.objects.for_org(org)


def link(org, before, after, by, **values):
    return dependency_create(organization=org, predecessor=before, successor=after, by=by, **values)


def fresh(measure):
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


def test_lead_declares_a_dependency_across_projects(personas, package):
    first = MeasureFactory(package=package, code="M-1")
    other_project = MeasureFactory(
        package=MeasurePackageFactory(project__program__portfolio__organization=personas.org),
        code="M-2",
    )
    edge = link(personas.org, first, other_project, personas.lead, lag_days=-10, note="Parts")
    assert (edge.type, edge.lag_days, edge.note) == ("fs", -10, "Parts")
    assert fresh(other_project).version == other_project.version + 1
    assert AuditEvent.objects.for_org(personas.org).filter(action="dependency.created").exists()


@pytest.mark.parametrize("length", [2, 4])
def test_a_cycle_is_refused_naming_every_measure_in_order(personas, package, length):
    chain = measures(package, length)
    for before, after in itertools.pairwise(chain):
        link(personas.org, before, after, personas.lead)
    count = edges(personas.org).count()
    events = AuditEvent.objects.for_org(personas.org).count()
    with pytest.raises(ValidationError) as refused:
        link(personas.org, chain[-1], chain[0], personas.lead)
    names = " → ".join([m.code for m in [chain[-1], *chain]])
    assert refused.value.message_dict["predecessor"] == [f"This would close a cycle: {names}."]
    assert edges(personas.org).count() == count
    assert AuditEvent.objects.for_org(personas.org).count() == events


def test_the_cycle_in_the_brief_reads_as_expected(personas, package):
    one, three, seven = (MeasureFactory(package=package, code=c) for c in ("M-1", "M-3", "M-7"))
    link(personas.org, seven, three, personas.lead)
    link(personas.org, three, one, personas.lead)
    with pytest.raises(ValidationError, match="This would close a cycle: M-1 → M-7 → M-3 → M-1"):
        link(personas.org, one, seven, personas.lead)


def test_a_cycle_through_a_measure_the_caller_cannot_see_does_not_name_it(personas, package):
    hidden_package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    first, last = measures(package, 2)
    hidden = MeasureFactory(package=hidden_package, code="SECRET")
    link(personas.org, first, hidden, personas.lead)
    link(personas.org, hidden, last, personas.lead)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    assign_role(person, Role.LEAD, package)
    with pytest.raises(ValidationError) as refused:
        link(personas.org, last, first, person)
    message = refused.value.message_dict["predecessor"][0]
    assert "SECRET" not in message and "(a measure you cannot see)" in message


def test_self_and_duplicate_are_refused(personas, package):
    first, second = measures(package, 2)
    with pytest.raises(ValidationError, match="cannot depend on itself"):
        link(personas.org, first, first, personas.lead)
    link(personas.org, first, second, personas.lead)
    with pytest.raises(ValidationError, match="M-2 already depends on M-1"):
        link(personas.org, first, second, personas.lead)
    assert edges(personas.org).count() == 1


@pytest.mark.parametrize(
    ("lag", "words"), [(366, "between -365 and 365"), (-366, "between"), ("x", "whole number")]
)
def test_lag_out_of_range_is_refused(personas, package, lag, words):
    first, second = measures(package, 2)
    with pytest.raises(ValidationError) as refused:
        link(personas.org, first, second, personas.lead, lag_days=lag)
    assert words in refused.value.message_dict["lag_days"][0]
    assert not edges(personas.org).exists()


def test_another_tenants_measure_does_not_exist(personas, package):
    mine = MeasureFactory(package=package)
    theirs = MeasureFactory(package__project__program__portfolio__organization=personas.other_org)
    with pytest.raises(ValidationError) as refused:
        link(personas.org, theirs, mine, personas.lead)
    assert refused.value.message_dict["predecessor"] == ["No such measure."]
    assert not edges(personas.org).exists() and not edges(personas.other_org).exists()


def test_the_caller_needs_change_on_the_successor(personas, package):
    first, second = measures(package, 2)
    with pytest.raises(AccessDenied):
        link(personas.org, first, second, personas.viewer)
    assert not edges(personas.org).exists()


def test_gate_criterion_is_reported_until_dependencies_are_declared(personas, package):
    first, second = measures(package, 2)
    assert DECLARED in gates.unmet(first, DoI.DETAILED)
    edge = link(personas.org, first, second, personas.lead)
    # Either direction counts.
    assert DECLARED not in gates.unmet(fresh(first), DoI.DETAILED)
    assert DECLARED not in gates.unmet(fresh(second), DoI.DETAILED)
    with pytest.raises(ValidationError, match="remove them before"):
        no_dependencies_set(measure=first, value=True, by=personas.lead)
    dependency_delete(dependency=edge, by=personas.lead)
    assert DECLARED in gates.unmet(fresh(first), DoI.DETAILED)
    no_dependencies_set(measure=first, value=True, by=personas.lead)
    assert DECLARED not in gates.unmet(fresh(first), DoI.DETAILED)


def brute_force_downstream(graph: dict[int, set[int]], starts: set[int]) -> set[int]:
    found: set[int] = set()
    stack = list(starts)
    while stack:
        for following in graph.get(stack.pop(), ()):
            if following not in found:
                found.add(following)
                stack.append(following)
    return found


def test_downstream_matches_a_brute_force_walk_of_a_random_dag(personas, package):
    generator = random.Random(20261201)
    nodes = measures(package, 40)
    graph: dict[int, set[int]] = {}
    rows = []
    # Edges only from a lower to a higher position: a DAG with many shared paths.
    for low in range(len(nodes)):
        for high in range(low + 1, len(nodes)):
            if generator.random() < 0.08:
                graph.setdefault(nodes[low].pk, set()).add(nodes[high].pk)
                rows.append(
                    MeasureDependency(
                        organization=personas.org, predecessor=nodes[low], successor=nodes[high]
                    )
                )
    MeasureDependency.objects.bulk_create(rows)
    for _ in range(15):
        starts = {m.pk for m in generator.sample(nodes, generator.randint(1, 3))}
        with CaptureQueriesContext(connection) as queries:
            found = downstream(starts, organization=personas.org)
        assert len(queries.captured_queries) == 1
        assert found == brute_force_downstream(graph, starts)
    assert downstream([], organization=personas.org) == set()
    # Another tenant's ids reach nothing here.
    assert downstream([nodes[0].pk], organization=personas.other_org) == set()


# --- the page ------------------------------------------------------------------------------------


def page_url(measure):
    return f"/o/acme/measures/{measure.pk}/dependencies/"


def test_page_adds_by_code_and_shows_the_cycle_in_words(client, personas, package):
    first, second = measures(package, 2)
    client.force_login(personas.lead)
    answer = client.post(
        page_url(second), {"action": "add", "direction": "predecessor", "code": "m-1"}
    )
    assert answer.status_code == 302
    page = client.get(page_url(second)).content.decode()
    assert "M-1" in page and first.get_doi_display() in page
    answer = client.post(
        page_url(second),
        {"action": "add", "direction": "successor", "code": "M-1", "lag_days": "5", "note": "x"},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "This would close a cycle: M-2 → M-1 → M-2" in html
    assert 'value="M-1"' in html and 'value="5"' in html and 'aria-invalid="true"' in html
    assert edges(personas.org).count() == 1


def test_page_keeps_input_on_a_bad_lag_and_unknown_code(client, personas, package):
    _, second = measures(package, 2)
    client.force_login(personas.lead)
    answer = client.post(
        page_url(second), {"action": "add", "code": "NOPE", "lag_days": "400", "note": "n"}
    )
    assert answer.status_code == 422
    assert "No measure NOPE among those you can see." in answer.content.decode()
    answer = client.post(
        page_url(second),
        {"action": "add", "direction": "predecessor", "code": "M-1", "lag_days": "400"},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'id="dep-lag-error"' in html and 'value="400"' in html
    assert not edges(personas.org).exists()


def test_page_removes_and_states_none(client, personas, package):
    first, second = measures(package, 2)
    edge = link(personas.org, first, second, personas.lead)
    client.force_login(personas.lead)
    answer = client.post(page_url(second), {"action": "remove", "dependency": edge.pk})
    assert answer.status_code == 302 and not edges(personas.org).exists()
    answer = client.post(page_url(second), {"action": "no_dependencies", "value": "1"})
    assert answer.status_code == 302 and fresh(second).no_dependencies


def test_page_access(client, personas, package):
    first, second = measures(package, 2)
    client.force_login(personas.outsider)
    assert client.get(page_url(first)).status_code == 404
    client.force_login(personas.viewer)
    assert client.get(page_url(first)).status_code == 200
    answer = client.post(page_url(second), {"action": "add", "code": "M-1"})
    assert answer.status_code == 403 and not edges(personas.org).exists()


def page_queries(client, personas, package, count):
    edges(personas.org).delete()
    center = Measure.objects.for_org(personas.org).get(code="M-1")
    others = Measure.objects.for_org(personas.org).exclude(pk=center.pk).order_by("id")[:count]
    for number, other in enumerate(others):
        before, after = (other, center) if number % 2 else (center, other)
        MeasureDependency.objects.create(
            organization=personas.org, predecessor=before, successor=after
        )
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(center)).status_code == 200
    return len(queries.captured_queries)


def test_page_query_count_does_not_grow_with_dependencies(client, personas, package):
    measures(package, 31)
    client.force_login(personas.lead)
    assert page_queries(client, personas, package, 3) == page_queries(client, personas, package, 30)


# --- the API -------------------------------------------------------------------------------------

API = "/api/v1/orgs/acme/dependencies/"


def test_api_creates_lists_filters_and_deletes(personas, package, api_as):
    first, second, third = measures(package, 3)
    api = api_as(personas.lead)
    created = api.post(
        API, {"predecessor": first.pk, "successor": second.pk, "lag_days": 3}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["predecessor_code"] == "M-1"
    link(personas.org, second, third, personas.lead)
    assert len(api.get(API).json()["results"]) == 2
    assert [r["successor"] for r in api.get(API, {"predecessor": second.pk}).json()["results"]] == [
        third.pk
    ]
    assert len(api.get(API, {"measure": second.pk}).json()["results"]) == 2
    assert len(api.get(API, {"successor": third.pk}).json()["results"]) == 1
    assert api.get(API, {"measure": "x"}).status_code == 400
    assert api.delete(f"{API}{created.json()['id']}/").status_code == 204
    assert edges(personas.org).count() == 1


def test_api_cycle_is_400_naming_the_cycle_and_nothing_written(personas, package, api_as):
    first, second = measures(package, 2)
    link(personas.org, first, second, personas.lead)
    answer = api_as(personas.lead).post(
        API, {"predecessor": second.pk, "successor": first.pk}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["predecessor"] == ["This would close a cycle: M-2 → M-1 → M-2."]
    assert edges(personas.org).count() == 1


def test_api_cross_tenant_and_invisible_measures_do_not_exist(personas, package, api_as):
    mine = MeasureFactory(package=package)
    theirs = MeasureFactory(package__project__program__portfolio__organization=personas.other_org)
    api = api_as(personas.lead)
    answer = api.post(API, {"predecessor": theirs.pk, "successor": mine.pk}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["predecessor"] == ["No such measure."]
    # The outsider cannot reach this organization's endpoint at all.
    outsider = api_as(personas.outsider)
    assert (
        outsider.post(
            API, {"predecessor": mine.pk, "successor": theirs.pk}, format="json"
        ).status_code
        == 404
    )
    globex = "/api/v1/orgs/globex/dependencies/"
    answer = outsider.post(globex, {"predecessor": mine.pk, "successor": theirs.pk}, format="json")
    assert answer.status_code == 400
    assert answer.json()["errors"]["predecessor"] == ["No such measure."]
    assert not edges(personas.org).exists() and not edges(personas.other_org).exists()


def test_api_viewer_gets_403_on_writes(personas, package, api_as):
    first, second = measures(package, 2)
    edge = link(personas.org, first, second, personas.lead)
    viewer = api_as(personas.viewer)
    assert viewer.get(API).status_code == 200
    answer = viewer.post(API, {"predecessor": second.pk, "successor": first.pk}, format="json")
    assert answer.status_code == 403
    assert viewer.delete(f"{API}{edge.pk}/").status_code == 403
    assert edges(personas.org).count() == 1


def test_api_removal_is_guarded_by_the_successors_version(personas, package, api_as):
    first, second = measures(package, 2)
    edge = link(personas.org, first, second, personas.lead)
    api = api_as(personas.lead)
    etag = api.get(f"/api/v1/orgs/acme/measures/{second.pk}/")["ETag"]
    assert etag == f'"{fresh(second).version}"'
    stale = f'"{fresh(second).version - 1}"'
    answer = api.delete(f"{API}{edge.pk}/", HTTP_IF_MATCH=stale)
    assert answer.status_code == 412
    assert edges(personas.org).filter(pk=edge.pk).exists()
    assert fresh(second).version == int(etag.strip('"'))
    # The predecessor's version is not the one that guards the edge.
    other = f'"{fresh(first).version + 100}"'
    assert api.delete(f"{API}{edge.pk}/", HTTP_IF_MATCH=other).status_code == 412
    answer = api.delete(f"{API}{edge.pk}/", HTTP_IF_MATCH=etag)
    assert answer.status_code == 204 and not edges(personas.org).exists()
    assert answer["ETag"] == f'"{fresh(second).version}"' != etag
