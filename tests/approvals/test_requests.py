"""Approval requests: policies and their steps, the gate they open, segregation of duties."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from approvals.models import (
    ApprovalAction,
    ApprovalPolicy,
    ApprovalPolicyStep,
    ApprovalStep,
    Approver,
    RequestState,
    StepState,
)
from approvals.services.policies import policies_seed_defaults, policy_for
from approvals.services.requests import (
    request_approve,
    request_reject,
    request_submit,
    request_withdraw,
    requests_expire,
)
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import AuditEvent, Role
from governance.services.grants import assign_role
from measures.models import DoI, FinancialEntry
from measures.services.gate_fields import gate_settings_update
from measures.services.stages import transition
from tests.approvals.helpers import at_detailed, at_implemented, fresh, reload
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

DECIDED = "gate:decided"
CLOSED = "gate:closed"


def policy(org, kind, *steps):
    """Replace the organization's policy for ``kind`` with ``steps``:
    ``(order, approver, role, amount_above, sla_days, approvals_required)``."""
    policies_seed_defaults(org)
    found, _ = ApprovalPolicy.objects.for_org(org).get_or_create(
        organization=org, kind=kind, defaults={"name": kind}
    )
    ApprovalPolicyStep.objects.for_org(org).filter(policy=found).delete()
    for order, approver, role, above, sla, required in steps:
        ApprovalPolicyStep.objects.create(
            organization=org,
            policy=found,
            order=order,
            approver=approver,
            role=role,
            amount_above=above,
            sla_days=sla,
            approvals_required=required,
        )
    return found


def events(org, action):
    return AuditEvent.objects.for_org(org).filter(action=action).count()


def steps_of(request):
    return list(ApprovalStep.objects.for_org(request.organization_id).filter(request=request))


# --- policies ---


def test_defaults_are_seeded_once_per_organization(personas):
    policies_seed_defaults(personas.org)
    policies_seed_defaults(personas.org)
    decided = policy_for(personas.org, DECIDED)
    closed = policy_for(personas.org, CLOSED)
    assert [(s.approver, s.order) for s in decided.steps.all()] == [(Approver.SPONSOR, 1)]
    assert [(s.approver, s.order) for s in closed.steps.all()] == [(Approver.CONTROLLER, 1)]
    change = policy_for(personas.org, "baseline_change")
    assert [(s.approver, s.order) for s in change.steps.all()] == [(Approver.SPONSOR, 1)]
    assert ApprovalPolicy.objects.for_org(personas.org).count() == 3
    assert not ApprovalPolicy.objects.for_org(personas.other_org).exists()


# --- the gate to Decided ---


def test_sponsor_approves_and_the_measure_is_decided_with_its_baseline_frozen(personas):
    measure = at_detailed(personas)
    request = request_submit(
        measure=measure, kind=DECIDED, by=personas.owner, evidence="Business case v3"
    )
    assert request.state == RequestState.PENDING
    assert request.proposed_change == {"doi": [DoI.DETAILED, DoI.DECIDED]}
    (step,) = steps_of(request)
    assert step.state == StepState.ACTIVE and step.approver == Approver.SPONSOR
    assert step.due_at > timezone.now() + dt.timedelta(days=9)
    request = request_approve(request=request, by=personas.executive, comment="Go")
    assert reload(request).state == RequestState.APPROVED
    measure = fresh(measure)
    assert measure.doi == DoI.DECIDED
    baseline = FinancialEntry.objects.for_org(personas.org).filter(
        measure=measure, scenario="baseline"
    )
    assert {row.line: row.amount for row in baseline} == {
        "benefit": Decimal("1000"),
        "one_time_cost": Decimal("200"),
    }
    for action in ("approval.submitted", "approval.step_approved", "approval.approved"):
        assert events(personas.org, action) == 1, action


def test_a_request_needs_the_gate_criteria_met(personas):
    measure = at_detailed(personas)
    gate_settings_update(
        organization=personas.org, by=personas.admin, extra_fields={"decided": ["closure_criteria"]}
    )
    with pytest.raises(Conflict) as refused:
        request_submit(measure=fresh(measure), kind=DECIDED, by=personas.owner)
    assert refused.value.problems == ["Write the closure criteria."]
    assert not reload_all(personas.org)


def reload_all(org):
    from approvals.models import ApprovalRequest

    return list(ApprovalRequest.objects.for_org(org))


def test_only_who_may_change_the_measure_requests(personas):
    measure = at_detailed(personas)
    for who in (personas.viewer, personas.controller, personas.executive):
        with pytest.raises(AccessDenied):
            request_submit(measure=measure, kind=DECIDED, by=who)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "gate:nowhere"}, "kind"),
        ({"kind": "gate:identified"}, "kind"),
        ({"kind": DECIDED, "amount": "-5"}, "amount"),
        ({"kind": DECIDED, "amount": "1e13"}, "amount"),
        ({"kind": DECIDED, "amount": "abc"}, "amount"),
        ({"kind": DECIDED, "evidence": "x" * 5001}, "evidence"),
        ({"kind": DECIDED, "evidence": "a\x00b"}, "evidence"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(personas, values, field):
    measure = at_detailed(personas)
    with pytest.raises(ValidationError) as refused:
        request_submit(measure=measure, by=personas.owner, **values)
    assert field in refused.value.message_dict
    assert not reload_all(personas.org)


def test_a_measure_that_is_not_next_to_the_gate_cannot_be_requested(personas):
    measure = at_detailed(personas)
    with pytest.raises(Conflict, match="does not move to Closed next"):
        request_submit(measure=measure, kind=CLOSED, by=personas.owner)


def test_one_pending_request_per_measure_and_kind(personas):
    measure = at_detailed(personas)
    request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    with pytest.raises(Conflict, match="pending already"):
        request_submit(measure=measure, kind=DECIDED, by=personas.lead)


# --- steps: sequential, parallel, amounts, SLA ---


def test_sequential_steps_wait_for_each_other(personas):
    policy(
        personas.org,
        DECIDED,
        (1, Approver.ROLE, Role.LEAD, None, 3, 1),
        (2, Approver.SPONSOR, "", None, 5, 1),
    )
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    first, second = steps_of(request)
    assert (first.state, second.state) == (StepState.ACTIVE, StepState.WAITING)
    assert second.due_at - first.due_at == dt.timedelta(days=5)
    # The sponsor's step is not open yet.
    with pytest.raises(AccessDenied, match="not an approver"):
        request_approve(request=request, by=personas.executive)
    request_approve(request=request, by=personas.lead)
    first, second = steps_of(request)
    assert (first.state, second.state) == (StepState.APPROVED, StepState.ACTIVE)
    assert fresh(measure).doi == DoI.DETAILED
    request_approve(request=request, by=personas.executive)
    assert fresh(measure).doi == DoI.DECIDED


def test_parallel_steps_all_approve_in_any_order(personas):
    policy(
        personas.org,
        DECIDED,
        (1, Approver.ROLE, Role.LEAD, None, 3, 1),
        (1, Approver.SPONSOR, "", None, 3, 1),
    )
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    assert [step.state for step in steps_of(request)] == [StepState.ACTIVE, StepState.ACTIVE]
    request_approve(request=request, by=personas.executive)
    assert reload(request).state == RequestState.PENDING
    request_approve(request=request, by=personas.lead)
    assert reload(request).state == RequestState.APPROVED
    assert fresh(measure).doi == DoI.DECIDED


def test_a_step_can_need_several_approvers(personas):
    policy(personas.org, "spend", (1, Approver.ROLE, Role.ADMIN, None, 3, 2))
    second_admin = MembershipFactory(organization=personas.org, role=Role.ADMIN).user
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind="spend", by=personas.owner, amount="10")
    request_approve(request=request, by=personas.admin)
    assert reload(request).state == RequestState.PENDING
    with pytest.raises(AccessDenied, match="already approved a step"):
        request_approve(request=request, by=personas.admin)
    request_approve(request=request, by=second_admin)
    assert reload(request).state == RequestState.APPROVED


@pytest.mark.parametrize(("amount", "approvers"), [("50000", 1), ("150000", 2), (None, 1)])
def test_a_step_with_an_amount_limit_applies_only_above_it(personas, amount, approvers):
    policy(
        personas.org,
        "spend",
        (1, Approver.ROLE, Role.LEAD, None, 3, 1),
        (2, Approver.ROLE, Role.EXECUTIVE, Decimal("100000"), 3, 1),
    )
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind="spend", by=personas.owner, amount=amount)
    assert len(steps_of(request)) == approvers
    request_approve(request=request, by=personas.lead)
    state = reload(request).state
    assert state == (RequestState.APPROVED if approvers == 1 else RequestState.PENDING)


def test_a_request_past_its_sla_expires(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    assert requests_expire(now=timezone.now() + dt.timedelta(days=9)) == 0
    assert requests_expire(now=timezone.now() + dt.timedelta(days=11)) == 1
    assert reload(request).state == RequestState.EXPIRED
    assert {step.state for step in steps_of(request)} == {StepState.CLOSED}
    assert events(personas.org, "approval.expired") == 1
    with pytest.raises(Conflict, match="expired already"):
        request_approve(request=request, by=personas.executive)
    assert requests_expire(now=timezone.now() + dt.timedelta(days=30)) == 0


def test_a_submission_dated_in_the_past_is_overdue_from_then(personas):
    measure = at_detailed(personas)
    asked = timezone.now() - dt.timedelta(days=16)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner, now=asked)
    assert reload(request).created_at == asked
    submitted = ApprovalAction.objects.for_org(personas.org).get(request=request)
    assert submitted.created_at == asked
    assert [step.due_at for step in steps_of(request)] == [asked + dt.timedelta(days=10)]
    assert requests_expire(now=timezone.now()) == 1


# --- segregation of duties ---


def test_nobody_approves_their_own_request(personas):
    measure = at_detailed(personas, sponsor=personas.lead)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.lead)
    with pytest.raises(AccessDenied, match="own request"):
        request_approve(request=request, by=personas.lead)
    with pytest.raises(AccessDenied, match="own request"):
        request_reject(request=request, by=personas.lead, comment="No")
    assert fresh(measure).doi == DoI.DETAILED


def test_owner_never_validates_the_benefit_of_their_measure(personas):
    policy(personas.org, CLOSED, (1, Approver.ROLE, Role.CONTROLLER, None, 5, 1))
    measure = at_implemented(personas)
    assign_role(personas.owner, Role.CONTROLLER, measure.portfolio)
    request = request_submit(measure=measure, kind=CLOSED, by=personas.lead)
    with pytest.raises(AccessDenied, match="never validates"):
        request_approve(request=request, by=personas.owner)
    request_approve(request=request, by=personas.controller)
    assert fresh(measure).doi == DoI.CLOSED


def test_one_person_fills_one_step_of_a_request(personas):
    policy(
        personas.org,
        DECIDED,
        (1, Approver.ROLE, Role.LEAD, None, 3, 1),
        (2, Approver.SPONSOR, "", None, 3, 1),
    )
    measure = at_detailed(personas, sponsor=personas.lead)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    request_approve(request=request, by=personas.lead)
    with pytest.raises(AccessDenied, match="already approved a step"):
        request_approve(request=request, by=personas.lead)
    assert fresh(measure).doi == DoI.DETAILED


def test_controller_closes_the_measure(personas):
    measure = at_implemented(personas)
    request = request_submit(measure=measure, kind=CLOSED, by=personas.owner)
    for who in (personas.viewer, personas.executive):
        with pytest.raises(AccessDenied):
            request_approve(request=request, by=who)
    request_approve(request=request, by=personas.controller)
    assert fresh(measure).doi == DoI.CLOSED


# --- stale requests, rejection, withdrawal ---


def test_a_stale_request_fails_cleanly_when_the_stage_moved(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    transition(measure, DoI.ON_HOLD, by=personas.owner)
    with pytest.raises(Conflict, match="now On hold"):
        request_approve(request=request, by=personas.executive)
    assert reload(request).state == RequestState.PENDING
    assert fresh(measure).doi == DoI.ON_HOLD
    assert not ApprovalAction.objects.for_org(personas.org).filter(decision="approve").exists()
    assert events(personas.org, "approval.step_approved") == 0


def test_a_stale_request_fails_cleanly_when_a_criterion_is_no_longer_met(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    gate_settings_update(
        organization=personas.org, by=personas.admin, extra_fields={"decided": ["closure_criteria"]}
    )
    with pytest.raises(Conflict) as refused:
        request_approve(request=request, by=personas.executive)
    assert refused.value.problems == ["Write the closure criteria."]
    assert "nothing was changed" in refused.value.message
    assert fresh(measure).doi == DoI.DETAILED
    assert reload(request).state == RequestState.PENDING
    assert not FinancialEntry.objects.for_org(personas.org).filter(scenario="baseline").exists()


def test_rejection_needs_a_reason_and_the_requester_resubmits(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    with pytest.raises(ValidationError) as refused:
        request_reject(request=request, by=personas.executive, comment="  ")
    assert "comment" in refused.value.message_dict
    assert reload(request).state == RequestState.PENDING
    request_reject(request=request, by=personas.executive, comment="Costs too vague")
    rejected = reload(request)
    assert rejected.state == RequestState.REJECTED
    assert rejected.decision_comment == "Costs too vague"
    assert rejected.decided_by == personas.executive
    again = request_submit(
        measure=measure, kind=DECIDED, by=personas.owner, previous=rejected, evidence="v4"
    )
    assert again.previous_id == rejected.pk and again.state == RequestState.PENDING
    with pytest.raises(Conflict, match="still pending"):
        request_submit(measure=measure, kind=DECIDED, by=personas.owner, previous=again)
    request_approve(request=again, by=personas.executive)
    assert fresh(measure).doi == DoI.DECIDED


def test_requester_withdraws_and_others_may_not(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    with pytest.raises(AccessDenied):
        request_withdraw(request=request, by=personas.viewer)
    request_withdraw(request=request, by=personas.owner, comment="Not yet")
    assert reload(request).state == RequestState.WITHDRAWN
    with pytest.raises(Conflict, match="withdrawn already"):
        request_approve(request=request, by=personas.executive)


# --- concurrency ---


@pytest.mark.django_db(transaction=True)
def test_two_approvers_on_the_last_step_carry_the_action_out_once(personas):
    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    barrier = threading.Barrier(2)
    results: list[str] = []
    user_model = type(personas.owner)

    def approve(user_id: int) -> None:
        try:
            barrier.wait()
            request_approve(request=request, by=user_model.objects.get(pk=user_id))
            results.append("approved")
        except Conflict as conflict:
            results.append(f"conflict: {conflict.message}")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve, args=(user.pk,))
        for user in (personas.executive, personas.admin)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["approved", "conflict: This request is approved already."]
    measure = fresh(measure)
    assert measure.doi == DoI.DECIDED
    stage_changes = AuditEvent.objects.for_org(personas.org).filter(
        action="measure.stage_changed", object_id=measure.pk, changes__doi=["detailed", "decided"]
    )
    assert stage_changes.count() == 1
    assert events(personas.org, "approval.approved") == 1


def test_the_expiry_task_expires_overdue_requests_of_its_organization(personas):
    from approvals.tasks import requests_expire_task

    measure = at_detailed(personas)
    request = request_submit(measure=measure, kind=DECIDED, by=personas.owner)
    assert requests_expire_task.apply(kwargs={"organization_id": personas.org.pk}).get() == 0
    ApprovalStep.objects.for_org(personas.org).filter(request=request).update(
        due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    other = requests_expire_task.apply(kwargs={"organization_id": personas.other_org.pk}).get()
    assert other == 0
    assert requests_expire_task.apply(kwargs={"organization_id": personas.org.pk}).get() == 1
    assert reload(request).state == RequestState.EXPIRED
