"""The exception inbox and case page, and the same over the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.models import CaseState, ExceptionCase
from measures.models import Measure
from tests.factories import MeasureFactory
from tests.ripple import slipping_chain

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
API = "/api/v1/orgs/acme/exceptions/"


def test_the_inbox_lists_my_cases_and_the_navigation_counts_them(personas, client):
    chain, case = slipping_chain(personas)
    client.force_login(personas.owner)
    page = client.get("/o/acme/exceptions/", {"scope": "mine"})
    assert page.status_code == 200
    text = page.content.decode()
    assert f"#{case.pk}" in text and chain[0].code in text
    assert "/o/acme/exceptions/count/" in text
    badge = client.get("/o/acme/exceptions/count/").content.decode()
    assert ">1<" in badge


def test_a_bad_filter_is_named_and_its_value_kept(personas, client):
    client.force_login(personas.owner)
    page = client.get("/o/acme/exceptions/", {"older_than_days": "soon", "min_value": "lots"})
    assert page.status_code == 400
    text = page.content.decode()
    assert 'value="soon"' in text and "Give a whole number of days" in text
    assert 'value="lots"' in text and "Give an amount" in text


def test_the_case_page_draws_the_ripple_and_tables_it(personas, client):
    chain, case = slipping_chain(personas)
    client.force_login(personas.executive)
    text = client.get(f"/o/acme/exceptions/{case.pk}/").content.decode()
    assert "<svg" in text and 'id="impacted-table"' in text
    for measure in chain:
        assert measure.code in text
    assert "+40 d" in text
    assert "Decide the trade-off" in text
    # What it reaches, named: the chain's program and project.
    assert 'id="case-reach"' in text and chain[0].program.code in text


def test_a_viewer_sees_the_case_without_its_value(personas, client):
    _, case = slipping_chain(personas)
    client.force_login(personas.viewer)
    text = client.get(f"/o/acme/exceptions/{case.pk}/").content.decode()
    assert "Not shown to your role" in text and "2,500" not in text
    assert "Decide the trade-off" not in text


def test_a_decision_without_its_details_keeps_the_input(personas, client):
    _, case = slipping_chain(personas)
    client.force_login(personas.executive)
    answer = client.post(
        f"/o/acme/exceptions/{case.pk}/decide/",
        {"option": "mitigate", "rationale": "Second supplier", "title": "Qualify B"},
    )
    assert answer.status_code == 400
    text = answer.content.decode()
    assert 'value="Qualify B"' in text and "Second supplier" in text
    assert "is-invalid" in text
    assert ExceptionCase.objects.for_org(personas.org).get().state == CaseState.OPEN


def test_sacrifice_by_code_from_the_page(personas, client):
    chain, case = slipping_chain(personas)
    other = MeasureFactory(package=chain[0].package, owner=personas.owner, doi="decided")
    client.force_login(personas.executive)
    answer = client.post(
        f"/o/acme/exceptions/{case.pk}/decide/",
        {
            "option": "sacrifice",
            "rationale": "Free the team",
            "sacrifice_code": other.code,
            "sacrifice_to": "on_hold",
        },
    )
    assert answer.status_code == 302
    assert Measure.objects.for_org(personas.org).get(pk=other.pk).doi == "on_hold"


def test_the_inbox_takes_the_same_queries_at_any_size(personas, client):
    client.force_login(personas.admin)
    counts = []
    for _ in range(2):
        slipping_chain(personas)
        ExceptionCase.objects.for_org(personas.org).update(state=CaseState.OPEN)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/o/acme/exceptions/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_api_lists_filters_and_decides(personas, api_as):
    chain, case = slipping_chain(personas)
    body = api_as(personas.owner).get(API, {"scope": "mine"}).json()
    assert [row["id"] for row in body["results"]] == [case.pk]
    assert body["results"][0]["value_at_risk"] is not None
    assert body["results"][0]["reach"]["programs"] == [chain[0].program_id]
    assert api_as(personas.viewer).get(f"{API}{case.pk}/").json()["value_at_risk"] is None
    impacted = api_as(personas.owner).get(f"{API}{case.pk}/impacted/").json()["results"]
    assert [row["measure"] for row in impacted] == [m.pk for m in chain]
    assert api_as(personas.owner).get(API, {"cause": "nope"}).status_code == 400
    refused = api_as(personas.owner).post(
        f"{API}{case.pk}/decide/", {"option": "accept", "rationale": "ok"}, format="json"
    )
    assert refused.status_code == 403
    decided = api_as(personas.executive).post(
        f"{API}{case.pk}/decide/", {"option": "accept", "rationale": "Absorbed"}, format="json"
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["state"] == "decided"
    assert decided.json()["decisions"][0]["rationale"] == "Absorbed"
    assert api_as(personas.outsider).get(f"{API}{case.pk}/").status_code == 404
