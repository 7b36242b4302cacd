"""The Degree of Implementation through the API and on the measure page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import AuditEvent
from governance.services.hierarchy import node_update
from measures.models import DoI, Measure, MeasureCategory
from measures.services.stages import transition
from tests.factories import MeasureFactory
from tests.measures.helpers import detailed_ready, identified_ready

pytestmark = pytest.mark.django_db


def api_url(measure: Measure, action: str) -> str:
    return f"/api/v1/orgs/acme/measures/{measure.pk}/{action}/"


def page(measure: Measure) -> str:
    return f"/o/acme/measures/{measure.pk}/"


def fresh(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


# --- API ------------------------------------------------------------------------------------


def test_api_transition_moves_and_returns_the_new_etag(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    client = api_as(personas.owner)
    answer = client.post(
        api_url(measure, "transition"), {"to": "identified"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["doi"] == "identified"
    assert answer["ETag"] == '"2"'


def test_api_answers_409_with_every_unmet_criterion(personas, api_as):
    measure = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    answer = api_as(personas.lead).post(
        api_url(measure, "transition"), {"to": "identified"}, format="json"
    )
    assert answer.status_code == 409
    body = answer.json()
    assert body["detail"] == "The measure cannot move to Identified yet."
    assert body["errors"]["criteria"] == [
        "Name the owner.",
        "Write the business reason.",
        "Write the expected outcome.",
        "Choose the category.",
    ]
    assert fresh(measure).doi == DoI.DEFINED


def test_api_stale_if_match_is_412_and_nothing_changes(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    answer = api_as(personas.owner).post(
        api_url(measure, "transition"), {"to": "identified"}, format="json", HTTP_IF_MATCH='"9"'
    )
    assert answer.status_code == 412
    assert fresh(measure).doi == DoI.DEFINED


def test_api_refuses_approval_targets_for_the_owner(personas, api_as):
    measure = detailed_ready(personas.org, personas.owner, personas.executive, personas.controller)
    transition(measure, DoI.IDENTIFIED, by=personas.owner)
    transition(measure, DoI.DETAILED, by=personas.owner)
    answer = api_as(personas.owner).post(
        api_url(measure, "transition"), {"to": "decided"}, format="json"
    )
    assert answer.status_code == 409
    assert "needs the sponsor's go decision" in answer.json()["detail"]


def test_api_transition_is_403_for_a_viewer_and_404_for_an_outsider(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    body = {"to": "identified"}
    assert api_as(personas.viewer).post(api_url(measure, "transition"), body).status_code == 403
    assert api_as(personas.outsider).post(api_url(measure, "transition"), body).status_code == 404
    assert api_as(personas.outsider).get(api_url(measure, "gates")).status_code == 404


def test_api_cancel_without_reason_is_400(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    answer = api_as(personas.lead).post(
        api_url(measure, "transition"), {"to": "cancelled"}, format="json"
    )
    assert answer.status_code == 400
    assert "reason" in answer.json()["errors"]


def test_api_gates_lists_the_next_checklist(personas, api_as):
    measure = identified_ready(personas.org, personas.owner, expected_outcome="")
    answer = api_as(personas.viewer).get(api_url(measure, "gates"))
    assert answer.status_code == 200
    body = answer.json()
    assert (body["doi"], body["next"], body["may_advance"]) == ("defined", "identified", False)
    unmet = [item["problem"] for item in body["criteria"] if not item["met"]]
    assert unmet == ["Write the expected outcome."]


def test_api_doi_is_read_only(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    answer = api_as(personas.lead).patch(
        f"/api/v1/orgs/acme/measures/{measure.pk}/", {"doi": "closed"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["doi"] == "defined"


def test_api_sets_the_new_fields(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    answer = api_as(personas.lead).patch(
        f"/api/v1/orgs/acme/measures/{measure.pk}/",
        {"controller": personas.owner.pk, "impact_type": "cash", "closure_criteria": "Done."},
        format="json",
    )
    assert answer.status_code == 400
    assert "controller" in answer.json()["errors"]
    answer = api_as(personas.lead).patch(
        f"/api/v1/orgs/acme/measures/{measure.pk}/",
        {"controller": personas.controller.pk, "impact_type": "cash"},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["controller"], answer.json()["impact_type"]) == (
        personas.controller.pk,
        "cash",
    )


def test_api_category_of_another_tenant_does_not_exist(personas, api_as):
    measure = identified_ready(personas.org, personas.owner)
    foreign = MeasureCategory.objects.create(organization=personas.other_org, code="x", name="X")
    answer = api_as(personas.lead).patch(
        f"/api/v1/orgs/acme/measures/{measure.pk}/", {"category": foreign.pk}, format="json"
    )
    assert answer.status_code == 400
    assert "category" in answer.json()["errors"]


# --- UI -------------------------------------------------------------------------------------


def test_page_shows_the_checklist_and_the_advance_button(personas, client):
    measure = identified_ready(personas.org, personas.owner, expected_outcome="")
    client.force_login(personas.owner)
    html = client.get(page(measure)).content.decode()
    assert "Write the expected outcome." in html
    assert "Advance to Identified" in html
    assert 'aria-describedby="gate-blocked"' in html  # disabled, with the reason
    client.force_login(personas.viewer)
    assert "Advance to Identified" not in client.get(page(measure)).content.decode()


def test_page_advances_a_ready_measure(personas, client):
    measure = identified_ready(personas.org, personas.owner)
    client.force_login(personas.owner)
    answer = client.post(
        f"{page(measure)}transition/", {"to": "identified", "version": measure.version}
    )
    assert answer.status_code == 302
    assert fresh(measure).doi == DoI.IDENTIFIED


def test_page_shows_every_problem_when_the_gate_refuses(personas, client):
    measure = identified_ready(personas.org, personas.owner, category=None)
    client.force_login(personas.owner)
    answer = client.post(f"{page(measure)}transition/", {"to": "identified"})
    assert answer.status_code == 422
    assert "Choose the category." in answer.content.decode()
    assert fresh(measure).doi == DoI.DEFINED


def test_failed_cancel_keeps_the_reason_and_marks_the_error(personas, client):
    measure = identified_ready(personas.org, personas.owner)
    client.force_login(personas.lead)
    answer = client.post(f"{page(measure)}transition/", {"to": "cancelled", "reason": "x" * 2001})
    html = answer.content.decode()
    assert answer.status_code == 422
    assert "x" * 2001 in html
    assert "Keep the reason to 2000 characters." in html
    answer = client.post(f"{page(measure)}transition/", {"to": "cancelled", "reason": "Sold."})
    assert answer.status_code == 302
    assert fresh(measure).doi == DoI.CANCELLED


def test_page_hold_and_resume(personas, client):
    measure = identified_ready(personas.org, personas.owner)
    client.force_login(personas.owner)
    client.post(f"{page(measure)}transition/", {"to": "on_hold"})
    assert fresh(measure).doi == DoI.ON_HOLD
    assert "Resume to Defined" in client.get(page(measure)).content.decode()
    client.post(f"{page(measure)}transition/", {"to": "defined"})
    assert fresh(measure).doi == DoI.DEFINED


def test_edit_form_offers_the_organizations_categories(personas, client):
    measure = identified_ready(personas.org, personas.owner)
    MeasureCategory.objects.create(organization=personas.other_org, code="x", name="Foreign cat")
    client.force_login(personas.lead)
    html = client.get(f"{page(measure)}edit/").content.decode()
    assert "Revenue growth" in html
    assert "Foreign cat" not in html
    assert 'name="business_reason"' in html


def test_measure_page_queries_do_not_grow_with_data(personas, client):
    small = identified_ready(personas.org, personas.owner)
    large = detailed_ready(personas.org, personas.owner, personas.executive, personas.controller)
    for number in range(15):
        node_update(node=large, by=personas.lead, title=f"Renamed {number}")
        MeasureFactory(package=large.package)
    # Both at the same stage, so both pages check the same gate's criteria.
    transition(large, DoI.IDENTIFIED, by=personas.owner)
    transition(small, DoI.IDENTIFIED, by=personas.owner)
    client.force_login(personas.owner)

    def count(measure: Measure) -> int:
        client.get(page(measure))  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(measure)).status_code == 200
        return len(queries)

    assert count(large) == count(small)
    assert AuditEvent.objects.for_org(personas.org).filter(object_id=large.pk).count() >= 16
