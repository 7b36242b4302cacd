"""The approvals pages: asking from the gate panel, the inbox, a request's page, decisions."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalRequest, RequestState
from approvals.services.requests import request_submit
from measures.models import DoI
from measures.services.stages import transition
from tests.approvals.helpers import at_detailed, fresh, reload

pytestmark = pytest.mark.django_db

DECIDED = "gate:decided"


def page(measure) -> str:
    return f"/o/acme/measures/{measure.pk}/"


def detail(request) -> str:
    return f"/o/acme/approvals/{request.pk}/"


def test_owner_requests_the_decision_from_the_gate_panel(client, personas):
    measure = at_detailed(personas)
    client.force_login(personas.owner)
    html = client.get(page(measure)).content.decode()
    assert "Request the decision" in html
    assert "go decision" in html
    answer = client.post(
        f"/o/acme/measures/{measure.pk}/request-approval/",
        {"to": "decided", "evidence": "Business case v3", "amount": "120,000"},
    )
    request = ApprovalRequest.objects.for_org(personas.org).get()
    assert answer.status_code == 302 and answer["Location"] == detail(request)
    assert request.evidence == "Business case v3" and str(request.amount) == "120000.00"
    html = client.get(page(measure)).content.decode()
    assert "Awaiting approval" in html and "Request the decision" not in html
    assert "Sponsor of the measure" in html


def test_a_bad_request_keeps_the_input_and_marks_the_error(client, personas):
    measure = at_detailed(personas)
    client.force_login(personas.owner)
    answer = client.post(
        f"/o/acme/measures/{measure.pk}/request-approval/",
        {"to": "decided", "evidence": "Keep me", "amount": "-12"},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "Keep me" in html and 'value="-12"' in html
    assert "is-invalid" in html and 'aria-invalid="true"' in html
    assert "not negative" in html
    assert not ApprovalRequest.objects.for_org(personas.org).exists()


def test_a_request_with_unmet_criteria_lists_them(client, personas):
    measure = at_detailed(personas)
    transition(measure, DoI.ON_HOLD, by=personas.owner)
    client.force_login(personas.owner)
    answer = client.post(f"/o/acme/measures/{measure.pk}/request-approval/", {"to": "decided"})
    assert answer.status_code == 422
    assert "does not move to Decided next" in answer.content.decode()


def test_viewer_may_not_request(client, personas):
    measure = at_detailed(personas)
    client.force_login(personas.viewer)
    assert "Request the decision" not in client.get(page(measure)).content.decode()
    answer = client.post(f"/o/acme/measures/{measure.pk}/request-approval/", {"to": "decided"})
    assert answer.status_code == 403


def test_sponsor_approves_from_the_inbox(client, personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    client.force_login(personas.executive)
    html = client.get("/o/acme/approvals/").content.decode()
    assert f"#{request.pk}" in html and "Awaiting your decision" in html
    answer = client.post(f"/o/acme/approvals/{request.pk}/approve/", {"comment": "Go"})
    assert answer.status_code == 302
    assert fresh(measure).doi == DoI.DECIDED
    assert reload(request).state == RequestState.APPROVED
    assert "Nothing awaits your decision." in client.get("/o/acme/approvals/").content.decode()


def test_rejecting_needs_a_comment_and_keeps_the_form(client, personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    client.force_login(personas.executive)
    answer = client.post(f"/o/acme/approvals/{request.pk}/reject/", {"comment": " "})
    assert answer.status_code == 422
    html = answer.content.decode()
    assert "is-invalid" in html and "Say why you reject the request." in html
    answer = client.post(f"/o/acme/approvals/{request.pk}/reject/", {"comment": "Too vague"})
    assert answer.status_code == 302
    assert reload(request).state == RequestState.REJECTED
    # Back to the owner, who sees why and resubmits from the gate panel.
    client.force_login(personas.owner)
    html = client.get(page(measure)).content.decode()
    assert "Too vague" in html and "Request the decision" in html
    assert f'name="previous" value="{request.pk}"' in html
    answer = client.post(
        f"/o/acme/measures/{measure.pk}/request-approval/",
        {"to": "decided", "previous": str(request.pk), "evidence": "Costed per month"},
    )
    again = ApprovalRequest.objects.for_org(personas.org).get(state="pending")
    assert again.previous_id == request.pk


def test_a_stale_approval_says_why_and_keeps_the_comment(client, personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    transition(measure, DoI.ON_HOLD, by=personas.owner)
    client.force_login(personas.executive)
    answer = client.post(f"/o/acme/approvals/{request.pk}/approve/", {"comment": "Looks fine"})
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "no longer applies" in html and "Looks fine" in html
    assert reload(request).state == RequestState.PENDING


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_requester_may_not_decide_own_request_in_the_ui(client, personas, decision):
    measure = at_detailed(personas, sponsor=personas.lead)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.lead)
    client.force_login(personas.lead)
    assert "Your decision" not in client.get(detail(request)).content.decode()
    answer = client.post(f"/o/acme/approvals/{request.pk}/{decision}/", {"comment": "Self"})
    assert answer.status_code == 403
    assert reload(request).state == RequestState.PENDING


def test_requests_of_invisible_measures_are_404(client, personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    client.force_login(personas.outsider)
    assert client.get(detail(request)).status_code == 404


def test_requester_withdraws_from_the_request_page(client, personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    client.force_login(personas.owner)
    html = client.get(detail(request)).content.decode()
    assert "Withdraw the request" in html
    assert client.post(f"/o/acme/approvals/{request.pk}/withdraw/").status_code == 302
    assert reload(request).state == RequestState.WITHDRAWN


@pytest.mark.parametrize("count", [1, 4])
def test_inbox_queries_do_not_grow_with_requests(
    client, personas, django_assert_num_queries, count
):
    for _ in range(count):
        request_submit(measure=at_detailed(personas), kind=DECIDED, by=personas.owner)
    client.force_login(personas.executive)
    client.get("/o/acme/approvals/")  # warm the per-process caches
    with django_assert_num_queries(QUERIES):
        answer = client.get("/o/acme/approvals/")
    assert answer.content.decode().count("Approve</button>") == count


@pytest.mark.parametrize("count", [1, 4])
def test_my_requests_queries_do_not_grow(client, personas, django_assert_num_queries, count):
    for _ in range(count):
        request_submit(measure=at_detailed(personas), kind=DECIDED, by=personas.owner)
    client.force_login(personas.owner)
    client.get("/o/acme/approvals/")
    with django_assert_num_queries(QUERIES):
        client.get("/o/acme/approvals/")


# + one for the unread notifications counted in the navigation
QUERIES = 16


def test_owner_asks_for_validation_and_may_never_give_it(client, personas):
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
    client.force_login(personas.owner)
    assert "Request validation" in client.get(page(measure)).content.decode()
    assign_role(personas.owner, Role.CONTROLLER, measure.portfolio)
    request = request_submit(measure=measure, kind="gate:closed", by=personas.lead)
    assert "Your decision" not in client.get(detail(request)).content.decode()
    answer = client.post(f"/o/acme/approvals/{request.pk}/approve/", {"comment": "Mine is fine"})
    assert answer.status_code == 403
    assert fresh(measure).doi == DoI.IMPLEMENTED
    client.force_login(personas.controller)
    assert client.post(f"/o/acme/approvals/{request.pk}/approve/").status_code == 302
    assert fresh(measure).doi == DoI.CLOSED


def test_one_person_fills_one_step_in_the_ui(client, personas):
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
    client.force_login(personas.lead)
    assert client.post(f"/o/acme/approvals/{request.pk}/approve/").status_code == 302
    answer = client.post(f"/o/acme/approvals/{request.pk}/approve/")
    assert answer.status_code == 403
    assert fresh(measure).doi == DoI.DETAILED


def test_the_gate_panel_costs_the_same_whatever_the_history(client, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.services.requests import request_reject

    def with_history(rejections: int):
        measure = at_detailed(personas)
        for _ in range(rejections):
            request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
            request_reject(request=request, by=personas.executive, comment="Again")
        request_submit(measure=measure, kind=DECIDED, by=personas.owner)
        return measure

    client.force_login(personas.executive)

    def count(measure) -> int:
        client.get(page(measure))
        with CaptureQueriesContext(connection) as queries:
            html = client.get(page(measure)).content.decode()
        assert "Review and decide" in html
        return len(queries)

    assert count(with_history(1)) == count(with_history(4))
