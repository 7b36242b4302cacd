"""Approval requests over the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalRequest, RequestState
from approvals.services.requests import request_reject, request_submit
from measures.models import DoI
from measures.services.stages import transition
from tests.approvals.helpers import at_detailed, fresh, reload

pytestmark = pytest.mark.django_db

URL = "/api/v1/orgs/acme/approvals/"
DECIDED = "gate:decided"


def test_owner_submits_a_gate_request_and_the_sponsor_approves_it(personas, api_as):
    measure = at_detailed(personas)
    answer = api_as(personas.owner).post(
        URL, {"measure": measure.pk, "kind": DECIDED, "evidence": "Case v3"}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["state"] == "pending"
    assert body["proposed_change"] == {"doi": ["detailed", "decided"]}
    assert [step["approver"] for step in body["steps"]] == ["sponsor"]
    answer = api_as(personas.executive).post(
        f"{URL}{body['id']}/approve/", {"comment": "Go"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["state"] == "approved"
    assert fresh(measure).doi == DoI.DECIDED


def test_submitting_for_a_measure_out_of_sight_is_a_field_error(personas, api_as):
    measure = at_detailed(personas)
    answer = api_as(personas.outsider).post(
        "/api/v1/orgs/globex/approvals/", {"measure": measure.pk, "kind": DECIDED}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["measure"] == ["Choose a measure you can see."]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": DECIDED}, "measure"),
        ({"measure": 1, "kind": "gate:nowhere"}, "kind"),
        ({"measure": 1, "kind": DECIDED, "amount": "1e20"}, "amount"),
        ({"measure": 1, "kind": DECIDED, "amount": "-1"}, "amount"),
        ({"measure": 1, "kind": DECIDED, "previous": "x"}, "previous"),
    ],
)
def test_bad_submissions_are_400_with_the_field(personas, api_as, body, field):
    measure = at_detailed(personas)
    if "measure" in body:
        body["measure"] = measure.pk
    answer = api_as(personas.owner).post(URL, body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["errors"]
    assert not ApprovalRequest.objects.for_org(personas.org).exists()


def test_unmet_criteria_are_409_with_each_one(personas, api_as):
    measure = at_detailed(personas)
    transition(measure, DoI.ON_HOLD, by=personas.owner)
    answer = api_as(personas.owner).post(
        URL, {"measure": measure.pk, "kind": DECIDED}, format="json"
    )
    assert answer.status_code == 409


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_segregation_of_duties_in_the_api(personas, api_as, decision):
    measure = at_detailed(personas, sponsor=personas.lead)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.lead)
    answer = api_as(personas.lead).post(
        f"{URL}{request.pk}/{decision}/", {"comment": "Mine"}, format="json"
    )
    assert answer.status_code == 403
    assert "own request" in answer.json()["detail"]
    assert reload(request).state == RequestState.PENDING


def test_owner_never_validates_own_benefit_in_the_api(personas, api_as):
    from approvals.models import ApprovalPolicy, ApprovalPolicyStep
    from approvals.services.policies import policies_seed_defaults
    from governance.models import Role
    from governance.services.grants import assign_role
    from tests.approvals.helpers import at_implemented

    policies_seed_defaults(personas.org)
    closed = ApprovalPolicy.objects.for_org(personas.org).get(kind="gate:closed")
    ApprovalPolicyStep.objects.for_org(personas.org).filter(policy=closed).update(
        approver="role", role=Role.CONTROLLER
    )
    measure = at_implemented(personas)
    assign_role(personas.owner, Role.CONTROLLER, measure.program)
    request = request_submit(measure=measure, kind="gate:closed", by=personas.lead)
    answer = api_as(personas.owner).post(f"{URL}{request.pk}/approve/", {}, format="json")
    assert answer.status_code == 403
    assert "never validates" in answer.json()["detail"]
    assert fresh(measure).doi == DoI.IMPLEMENTED


def test_reject_needs_a_comment_and_withdraw_is_the_requesters(personas, api_as):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    answer = api_as(personas.executive).post(f"{URL}{request.pk}/reject/", {}, format="json")
    assert answer.status_code == 400
    assert "comment" in answer.json()["errors"]
    assert api_as(personas.viewer).post(f"{URL}{request.pk}/withdraw/").status_code == 403
    answer = api_as(personas.owner).post(f"{URL}{request.pk}/withdraw/", {"comment": "Later"})
    assert answer.status_code == 200 and answer.json()["state"] == "withdrawn"
    assert api_as(personas.owner).post(f"{URL}{request.pk}/withdraw/").status_code == 409


def test_a_stale_request_is_409_and_nothing_changes(personas, api_as):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    transition(measure, DoI.ON_HOLD, by=personas.owner)
    answer = api_as(personas.executive).post(f"{URL}{request.pk}/approve/", {}, format="json")
    assert answer.status_code == 409
    assert "no longer applies" in answer.json()["detail"]
    assert reload(request).state == RequestState.PENDING


def test_resubmission_links_the_rejected_request(personas, api_as):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    request_reject(request=request, by=personas.executive, comment="Vague")
    answer = api_as(personas.owner).post(
        URL, {"measure": measure.pk, "kind": DECIDED, "previous": request.pk}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["previous"] == request.pk


def test_list_filters(personas, api_as):
    first = request_submit(measure=at_detailed(personas), kind=DECIDED, by=personas.owner)
    second = request_submit(measure=at_detailed(personas), kind=DECIDED, by=personas.lead)
    request_reject(request=second, by=personas.executive, comment="No")
    executive = api_as(personas.executive)

    def ids(query: str) -> list[int]:
        answer = executive.get(f"{URL}?{query}")
        assert answer.status_code == 200, answer.json()
        return [row["id"] for row in answer.json()["results"]]

    assert ids("") == [first.pk, second.pk]
    assert ids("awaiting_me=true") == [first.pk]
    assert ids("state=rejected") == [second.pk]
    assert ids("kind=gate:closed") == []
    assert ids("mine=true") == []
    assert api_as(personas.lead).get(f"{URL}?mine=true").json()["results"][0]["id"] == second.pk
    assert executive.get(f"{URL}?state=nonsense").status_code == 400
    assert executive.get(f"{URL}?awaiting_me=perhaps").status_code == 400
    page = executive.get(f"{URL}?page_size=1").json()
    assert len(page["results"]) == 1 and page["next"]
    assert api_as(personas.outsider).get("/api/v1/orgs/globex/approvals/").json()["results"] == []


@pytest.mark.parametrize("count", [1, 4])
def test_list_queries_do_not_grow(personas, api_as, count):
    for _ in range(count):
        request_submit(measure=at_detailed(personas), kind=DECIDED, by=personas.owner)
    client = api_as(personas.executive)
    client.get(f"{URL}?awaiting_me=true")
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(f"{URL}?awaiting_me=true")
    assert len(answer.json()["results"]) == count
    assert len(queries) == LIST_QUERIES


LIST_QUERIES = 13


def test_one_person_fills_one_step_in_the_api(personas, api_as):
    from approvals.models import ApprovalPolicy, ApprovalPolicyStep
    from approvals.services.policies import policies_seed_defaults
    from governance.models import Role

    policies_seed_defaults(personas.org)
    decided = ApprovalPolicy.objects.for_org(personas.org).get(kind=DECIDED)
    ApprovalPolicyStep.objects.create(
        organization=personas.org, policy=decided, order=2, approver="role", role=Role.LEAD
    )
    measure = at_detailed(personas, sponsor=personas.lead)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    client = api_as(personas.lead)
    assert client.post(f"{URL}{request.pk}/approve/", {}, format="json").status_code == 200
    answer = client.post(f"{URL}{request.pk}/approve/", {}, format="json")
    assert answer.status_code == 403 and "already approved a step" in answer.json()["detail"]
    assert fresh(measure).doi == DoI.DETAILED
