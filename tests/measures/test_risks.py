"""Risks of a measure: the rules, the gate criterion, the page and the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.errors import AccessDenied, ValidationError
from governance.models import AuditEvent
from measures import gates
from measures.models import DoI, Measure, Risk
from measures.services.risks import (
    no_material_risk_set,
    risk_create,
    risk_delete,
    risk_update,
)
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

RISKS_ASSESSED = (
    "Assess the risks: record at least one risk, or state that there is no material risk."
)


@pytest.fixture
def measure(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )


def risks(measure):
    return Risk.objects.for_org(measure.organization_id).filter(measure=measure)


def fresh(measure):
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


def page_url(measure):
    return f"/o/{measure.organization.slug}/measures/{measure.pk}/risks/"


def api_url(measure, risk=None):
    base = f"/api/v1/orgs/{measure.organization.slug}/measures/{measure.pk}/risks/"
    return f"{base}{risk.pk}/" if risk else base


def test_owner_records_a_risk_scored_probability_times_impact(personas, measure):
    risk = risk_create(
        measure=measure,
        by=personas.owner,
        title="Supplier delay",
        probability=4,
        impact="3",
        owner=personas.lead,
        mitigation="Second source",
    )
    assert (risk.score, risk.status, risk.owner, risk.mitigation) == (
        12,
        "open",
        personas.lead,
        "Second source",
    )
    risk = risk_update(risk=risk, by=personas.owner, impact=5)
    assert fresh_risk(risk).score == 20
    assert AuditEvent.objects.for_org(personas.org).filter(action="risk.changed").count() == 1


def fresh_risk(risk):
    return Risk.objects.for_org(risk.organization_id).get(pk=risk.pk)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("probability", 0, "from 1 to 5 (not 0)"),
        ("probability", 6, "from 1 to 5 (not 6)"),
        ("impact", -1, "from 1 to 5"),
        ("impact", "abc", "whole number"),
        ("impact", 2.5, "whole number"),
        ("probability", None, "Rate the probability"),
        ("title", "  ", "Give the title."),
        ("title", "x" * 201, "200 characters"),
        ("status", "gone", "Choose one of"),
    ],
)
def test_bad_values_are_refused_per_field_and_nothing_written(
    personas, measure, field, value, words
):
    values = {"title": "Delay", "probability": 3, "impact": 3, field: value}
    with pytest.raises(ValidationError) as refused:
        risk_create(measure=measure, by=personas.owner, **values)
    assert words in " ".join(refused.value.message_dict[field])
    assert not risks(measure).exists()
    assert not AuditEvent.objects.for_org(personas.org).filter(action="risk.created").exists()


def test_an_update_out_of_range_changes_nothing(personas, measure):
    risk = risk_create(measure=measure, by=personas.owner, title="A", probability=2, impact=2)
    with pytest.raises(ValidationError):
        risk_update(risk=risk, by=personas.owner, probability=9, title="B")
    assert (fresh_risk(risk).probability, fresh_risk(risk).title) == (2, "A")


def test_the_owner_must_be_a_member(personas, measure):
    with pytest.raises(ValidationError) as refused:
        risk_create(
            measure=measure,
            by=personas.owner,
            title="A",
            probability=1,
            impact=1,
            owner=personas.outsider,
        )
    assert "member of this organization" in refused.value.message_dict["owner"][0]


@pytest.mark.parametrize("persona", ["viewer", "contributor", "controller", "executive"])
def test_who_may_not_change_the_measure_cannot_record_risks(personas, measure, persona):
    with pytest.raises(AccessDenied):
        risk_create(
            measure=measure, by=getattr(personas, persona), title="A", probability=1, impact=1
        )
    assert not risks(measure).exists()


def test_gate_criterion_is_reported_until_risks_are_assessed(personas, measure):
    assert RISKS_ASSESSED in gates.unmet(measure, DoI.DETAILED)
    items = {item.key: item for item in gates.checklist(measure, DoI.DETAILED)}
    assert items["risks_assessed"].label == "Risks assessed" and not items["risks_assessed"].met
    risk = risk_create(measure=measure, by=personas.owner, title="A", probability=1, impact=1)
    assert RISKS_ASSESSED not in gates.unmet(fresh(measure), DoI.DETAILED)
    risk_delete(risk=risk, by=personas.owner)
    assert RISKS_ASSESSED in gates.unmet(fresh(measure), DoI.DETAILED)
    no_material_risk_set(measure=measure, value=True, by=personas.owner)
    assert RISKS_ASSESSED not in gates.unmet(fresh(measure), DoI.DETAILED)


def test_no_material_risk_is_refused_while_open_risks_exist(personas, measure):
    risk = risk_create(measure=measure, by=personas.owner, title="Strike", probability=2, impact=4)
    with pytest.raises(ValidationError) as refused:
        no_material_risk_set(measure=measure, value=True, by=personas.owner)
    assert "still has open risks (Strike)" in refused.value.message_dict["no_material_risk"][0]
    assert fresh(measure).no_material_risk is False
    risk_update(risk=risk, by=personas.owner, status="closed")
    no_material_risk_set(measure=measure, value=True, by=personas.owner)
    assert fresh(measure).no_material_risk is True
    event = AuditEvent.objects.for_org(personas.org).get(action="measure.no_material_risk_changed")
    assert event.actor == personas.owner and event.changes["no_material_risk"] == [False, True]
    assert event.created_at is not None


def test_an_open_risk_withdraws_the_no_material_risk_statement(personas, measure):
    no_material_risk_set(measure=measure, value=True, by=personas.owner)
    risk_create(measure=measure, by=personas.owner, title="New", probability=3, impact=3)
    assert fresh(measure).no_material_risk is False


def test_the_statement_is_not_a_field_of_the_generic_measure_edit(personas, measure, api_as):
    answer = api_as(personas.owner).patch(
        f"/api/v1/orgs/acme/measures/{measure.pk}/", {"no_material_risk": True}, format="json"
    )
    assert answer.status_code == 200
    assert fresh(measure).no_material_risk is False


# --- the page ------------------------------------------------------------------------------------


def test_page_lists_risks_by_score_with_the_heat_indication(client, personas, measure):
    risk_create(measure=measure, by=personas.owner, title="Low one", probability=1, impact=2)
    risk_create(measure=measure, by=personas.owner, title="High one", probability=5, impact=4)
    client.force_login(personas.viewer)
    page = client.get(page_url(measure))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("High one") < html.index("Low one")
    assert 'id="risk-heat"' in html and "1 at probability 5, impact 4" in html
    assert "Record a risk" not in html  # a viewer gets no form


def test_failed_form_keeps_every_input_and_marks_each_error(client, personas, measure):
    client.force_login(personas.owner)
    answer = client.post(
        page_url(measure),
        {
            "action": "save",
            "title": "Keep me",
            "probability": "7",
            "impact": "x",
            "mitigation": "Plan B",
            "status": "open",
        },
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'value="Keep me"' in html and ">Plan B</textarea>" in html and 'value="7"' in html
    assert 'id="risk-probability-error"' in html and 'id="risk-impact-error"' in html
    assert html.count('aria-invalid="true"') == 2 and "is-invalid" in html
    assert not risks(measure).exists()


def test_page_edits_a_risk_and_sets_the_statement(client, personas, measure):
    risk = risk_create(measure=measure, by=personas.owner, title="A", probability=1, impact=1)
    client.force_login(personas.owner)
    assert 'value="A"' in client.get(page_url(measure) + f"?edit={risk.pk}").content.decode()
    values = {"action": "save", "risk": risk.pk, "title": "B", "probability": 2, "impact": 3}
    assert client.post(page_url(measure), {**values, "status": "closed"}).status_code == 302
    assert (fresh_risk(risk).title, fresh_risk(risk).score) == ("B", 6)
    answer = client.post(page_url(measure), {"action": "no_material_risk", "value": "1"})
    assert answer.status_code == 302 and fresh(measure).no_material_risk


def test_statement_refusal_is_shown_in_words(client, personas, measure):
    risk_create(measure=measure, by=personas.owner, title="Open one", probability=1, impact=1)
    client.force_login(personas.owner)
    answer = client.post(page_url(measure), {"action": "no_material_risk", "value": "1"})
    assert answer.status_code == 422
    assert "still has open risks (Open one)" in answer.content.decode()


def test_page_access(client, personas, measure):
    client.force_login(personas.outsider)
    assert client.get(page_url(measure)).status_code == 404
    client.force_login(personas.viewer)
    answer = client.post(page_url(measure), {"title": "A", "probability": 1, "impact": 1})
    assert answer.status_code == 403
    assert not risks(measure).exists()


def page_queries(client, measure, count, owner):
    risks(measure).delete()
    for number in range(count):
        risk_create(
            measure=measure,
            by=owner,
            title=f"Risk {number}",
            probability=number % 5 + 1,
            impact=(number * 3) % 5 + 1,
            owner=owner,
        )
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(measure)).status_code == 200
    return len(queries.captured_queries)


def test_page_query_count_does_not_grow_with_risks(client, personas, measure):
    client.force_login(personas.owner)
    assert page_queries(client, measure, 3, personas.owner) == page_queries(
        client, measure, 30, personas.owner
    )


# --- the API -------------------------------------------------------------------------------------


def test_api_crud_with_filter_and_pagination(personas, measure, api_as):
    api = api_as(personas.owner)
    created = api.post(
        api_url(measure),
        {"title": "Delay", "probability": 4, "impact": 5, "owner": personas.lead.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["score"] == 20
    risk = Risk.objects.for_org(personas.org).get(pk=created.json()["id"])
    for number in range(3):
        risk_create(measure=measure, by=personas.owner, title=f"R{number}", probability=1, impact=1)
    changed = api.patch(api_url(measure, risk), {"status": "mitigating"}, format="json")
    assert changed.status_code == 200 and changed.json()["status"] == "mitigating"
    listed = api.get(api_url(measure), {"status": "mitigating"})
    assert [row["id"] for row in listed.json()["results"]] == [risk.pk]
    first = api.get(api_url(measure), {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    assert api.get(api_url(measure), {"status": "nonsense"}).status_code == 400
    assert api.get(api_url(measure, risk)).json()["title"] == "Delay"
    assert api.delete(api_url(measure, risk)).status_code == 204
    assert not risks(measure).filter(pk=risk.pk).exists()


def test_api_out_of_range_is_400_per_field_and_nothing_written(personas, measure, api_as):
    answer = api_as(personas.owner).post(
        api_url(measure), {"title": "A", "probability": 6, "impact": 0}, format="json"
    )
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert "from 1 to 5" in errors["probability"][0] and "from 1 to 5" in errors["impact"][0]
    assert not risks(measure).exists()


def test_api_access(personas, measure, api_as):
    risk = risk_create(measure=measure, by=personas.owner, title="A", probability=1, impact=1)
    outsider = api_as(personas.outsider)
    assert outsider.get(api_url(measure)).status_code == 404
    viewer = api_as(personas.viewer)
    assert viewer.get(api_url(measure)).status_code == 200
    body = {"title": "B", "probability": 1, "impact": 1}
    assert viewer.post(api_url(measure), body, format="json").status_code == 403
    assert viewer.patch(api_url(measure, risk), {"title": "C"}, format="json").status_code == 403
    assert viewer.delete(api_url(measure, risk)).status_code == 403
    assert risks(measure).count() == 1 and fresh_risk(risk).title == "A"


def test_api_statements_follow_the_same_rules(personas, measure, api_as):
    url = f"/api/v1/orgs/acme/measures/{measure.pk}/statements/"
    api = api_as(personas.owner)
    assert api.get(url).json() == {"no_material_risk": False, "no_dependencies": False}
    risk = risk_create(measure=measure, by=personas.owner, title="Open", probability=1, impact=1)
    refused = api.put(url, {"no_material_risk": True}, format="json")
    assert refused.status_code == 400
    assert "still has open risks" in refused.json()["errors"]["no_material_risk"][0]
    risk_update(risk=risk, by=personas.owner, status="closed")
    answer = api.put(url, {"no_material_risk": True, "no_dependencies": True}, format="json")
    assert answer.json() == {"no_material_risk": True, "no_dependencies": True}
    assert (
        api_as(personas.viewer).put(url, {"no_dependencies": False}, format="json").status_code
        == 403
    )
    assert fresh(measure).no_dependencies is True


def test_api_risk_writes_are_guarded_by_the_measures_version(personas, measure, api_as):
    api = api_as(personas.owner)
    risk = risk_create(measure=measure, by=personas.owner, title="A", probability=1, impact=1)
    read = api.get(api_url(measure, risk))
    etag = read["ETag"]
    assert etag == f'"{fresh(measure).version}"'
    assert api.get(api_url(measure))["ETag"] == etag
    stale = f'"{fresh(measure).version - 1}"'
    for answer in (
        api.put(
            api_url(measure, risk),
            {"title": "B", "probability": 2, "impact": 2},
            format="json",
            HTTP_IF_MATCH=stale,
        ),
        api.patch(api_url(measure, risk), {"title": "B"}, format="json", HTTP_IF_MATCH=stale),
        api.delete(api_url(measure, risk), HTTP_IF_MATCH=stale),
    ):
        assert answer.status_code == 412, answer.json()
    assert fresh_risk(risk).title == "A" and fresh(measure).version == int(etag.strip('"'))
    changed = api.patch(api_url(measure, risk), {"title": "B"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and fresh_risk(risk).title == "B"
    assert changed["ETag"] == f'"{fresh(measure).version}"' != etag
    again = api.patch(api_url(measure, risk), {"title": "C"}, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 412 and fresh_risk(risk).title == "B"
    replaced = api.put(
        api_url(measure, risk),
        {"title": "D", "probability": 2, "impact": 3},
        format="json",
        HTTP_IF_MATCH=changed["ETag"],
    )
    assert replaced.status_code == 200 and fresh_risk(risk).score == 6
    removed = api.delete(api_url(measure, risk), HTTP_IF_MATCH=replaced["ETag"])
    assert removed.status_code == 204 and not risks(measure).exists()
    assert removed["ETag"] == f'"{fresh(measure).version}"' != replaced["ETag"]


def test_api_statements_are_guarded_by_the_measures_version(personas, measure, api_as):
    url = f"/api/v1/orgs/acme/measures/{measure.pk}/statements/"
    api = api_as(personas.owner)
    etag = api.get(url)["ETag"]
    assert etag == f'"{fresh(measure).version}"'
    stale = f'"{fresh(measure).version - 1}"'
    body = {"no_material_risk": True, "no_dependencies": True}
    answer = api.put(url, body, format="json", HTTP_IF_MATCH=stale)
    assert answer.status_code == 412
    assert fresh(measure).no_material_risk is False and fresh(measure).no_dependencies is False
    assert api.put(url, {}, format="json", HTTP_IF_MATCH=stale).status_code == 412
    answer = api.put(url, body, format="json", HTTP_IF_MATCH=etag)
    assert answer.status_code == 200 and answer.json() == body
    assert answer["ETag"] == f'"{fresh(measure).version}"' != etag
    assert api.put(url, {"no_dependencies": False}, HTTP_IF_MATCH=etag).status_code == 412
    assert fresh(measure).no_dependencies is True
