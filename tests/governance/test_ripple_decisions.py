"""Trade-off decisions on exception cases: who may decide, each option and its side effects,
escalation by hand and after the forum's SLA."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import (
    CaseState,
    DecisionForum,
    DecisionRecord,
    ExceptionCase,
    ForumMember,
    MitigationAction,
)
from governance.ripple.cases import cases_recompute
from governance.ripple.decisions import case_decide, cases_escalate_overdue
from measures.models import DoI, FinancialEntry, Measure, Milestone
from tests.factories import MeasureFactory, MeasurePackageFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def setting(personas):
    """A slipping measure in a project with a project board (the lead sits on it) under a
    portfolio board (the executive sits on it)."""
    org = personas.org
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    board = DecisionForum.objects.create(
        organization=org, name="Portfolio board", portfolio=package.portfolio, sla_days=7
    )
    project_board = DecisionForum.objects.create(
        organization=org,
        name="Project board",
        portfolio=package.portfolio,
        program=package.program,
        project=package.project,
        parent=board,
        sla_days=3,
    )
    ForumMember.objects.create(organization=org, forum=project_board, user=personas.lead)
    ForumMember.objects.create(organization=org, forum=board, user=personas.executive)
    root = MeasureFactory(package=package, doi="decided", owner=personas.owner)
    other = MeasureFactory(package=package, doi="decided", owner=personas.owner)
    FinancialEntry.objects.create(
        organization=org,
        measure=other,
        period=TODAY.replace(day=1),
        line="benefit",
        scenario="forecast",
        amount=Decimal(4000),
    )
    baseline = TODAY + dt.timedelta(days=30)
    Milestone.objects.create(
        organization=org,
        measure=root,
        title="Tooling ready",
        baseline_due_date=baseline,
        due_date=baseline + dt.timedelta(days=12),
    )
    cases_recompute(organization=org)
    case = ExceptionCase.objects.for_org(org).get()
    assert case.forum == project_board
    return personas, case, other


def test_only_forum_members_or_those_above_decide(setting):
    personas, case, _ = setting
    with pytest.raises(AccessDenied):
        case_decide(case=case, option="accept", by=personas.owner, rationale="Fine")
    case_decide(case=case, option="accept", by=personas.executive, rationale="Within tolerance")
    case.refresh_from_db()
    assert case.state == CaseState.DECIDED and case.decision == "accept"
    record = DecisionRecord.objects.for_org(personas.org).get()
    assert record.venue == "forum" and record.forum == case.forum
    assert record.kind == "trade_off" and record.rationale == "Within tolerance"
    with pytest.raises(Conflict):
        case_decide(case=case, option="accept", by=personas.lead, rationale="Again")


def test_a_decided_impact_does_not_reopen_but_a_worse_one_does(setting):
    personas, case, _ = setting
    case_decide(case=case, option="accept", by=personas.lead, rationale="Absorbed")
    cases_recompute(organization=personas.org)
    assert not ExceptionCase.objects.for_org(personas.org).filter(state="open").exists()
    Milestone.objects.for_org(personas.org).update(due_date=TODAY + dt.timedelta(days=60))
    cases_recompute(organization=personas.org)
    assert ExceptionCase.objects.for_org(personas.org).filter(state="open").count() == 1


def test_mitigation_is_an_action_with_owner_and_due_date(setting):
    personas, case, _ = setting
    with pytest.raises(ValidationError) as refused:
        case_decide(
            case=case,
            option="mitigate",
            by=personas.lead,
            rationale="Second shift",
            mitigation={"title": "", "owner": 0, "due_date": "yesterday"},
        )
    assert set(refused.value.message_dict) == {"title", "owner", "due_date"}
    assert ExceptionCase.objects.for_org(personas.org).get().state == CaseState.OPEN
    due = TODAY + dt.timedelta(days=14)
    case_decide(
        case=case,
        option="mitigate",
        by=personas.lead,
        rationale="Second shift",
        mitigation={"title": "Run a second shift", "owner": personas.owner.pk, "due_date": due},
    )
    action = MitigationAction.objects.for_org(personas.org).get()
    assert action.owner == personas.owner and action.due_date == due


def test_sacrificing_a_measure_pauses_it_with_its_value_recorded(setting):
    personas, case, other = setting
    case_decide(
        case=case,
        option="sacrifice",
        by=personas.lead,
        rationale="Free the tooling team",
        sacrifice={"measure": other.pk, "to": "on_hold"},
    )
    assert Measure.objects.for_org(personas.org).get(pk=other.pk).doi == DoI.ON_HOLD
    record = DecisionRecord.objects.for_org(personas.org).get()
    assert record.details["value_given_up"] == "4000.00"
    assert record.details["measure"] == other.pk


def test_escalation_moves_the_case_up_and_only_to_a_forum_that_exists(setting):
    personas, case, _ = setting
    case_decide(case=case, option="escalate", by=personas.lead, rationale="Beyond our budget")
    case.refresh_from_db()
    assert case.state == CaseState.OPEN and case.forum.name == "Portfolio board"
    assert case.escalations == 1
    with pytest.raises(Conflict, match="no forum above"):
        case_decide(case=case, option="escalate", by=personas.executive, rationale="Up")


def test_a_case_past_its_sla_escalates_one_level(setting):
    personas, case, _ = setting
    assert cases_escalate_overdue(organization=personas.org) == 0
    later = timezone.now() + dt.timedelta(days=4)
    assert cases_escalate_overdue(organization=personas.org, now=later) == 1
    case.refresh_from_db()
    assert case.forum.name == "Portfolio board" and case.due_at > later
    # At the top it stays where it is.
    assert cases_escalate_overdue(organization=personas.org, now=later + dt.timedelta(days=30)) == 0


def test_the_beat_task_escalates_overdue_cases_and_tells_the_new_forum(setting):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from governance.models import Notification
    from governance.tasks import cases_escalate_sweep_task

    personas, case, _ = setting
    call_command("schedule_sync")
    assert PeriodicTask.objects.filter(task="governance.cases_escalate_sweep").count() == 1
    assert PeriodicTask.objects.filter(task="governance.ripple_sweep").count() == 1
    ExceptionCase.objects.for_org(personas.org).update(
        due_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert cases_escalate_sweep_task.delay().get() == 1
    case.refresh_from_db()
    assert case.forum.name == "Portfolio board"
    told = set(
        Notification.objects.for_org(personas.org)
        .filter(kind="case.escalated")
        .values_list("recipient_id", flat=True)
    )
    assert personas.executive.pk in told and personas.owner.pk in told


def test_owners_and_the_forum_hear_when_a_case_opens_and_is_decided(setting):
    from governance.models import Notification

    personas, case, _ = setting
    opened = set(
        Notification.objects.for_org(personas.org)
        .filter(kind="case.opened", object_id=case.pk)
        .values_list("recipient_id", flat=True)
    )
    assert opened == {personas.owner.pk, personas.lead.pk}
    case_decide(case=case, option="accept", by=personas.lead, rationale="Absorbed")
    decided = set(
        Notification.objects.for_org(personas.org)
        .filter(kind="case.decided")
        .values_list("recipient_id", flat=True)
    )
    assert decided == {personas.owner.pk}  # the lead decided: not told of their own act


def test_replanning_raises_a_change_request_on_each_measure(setting):
    from approvals.changes.models import ChangeRequest
    from measures.models import Measure

    personas, case, _ = setting
    root = case.root
    Measure.objects.for_org(personas.org).filter(pk=root.pk).update(
        baseline_start_date=TODAY, baseline_end_date=TODAY + dt.timedelta(days=90)
    )
    with pytest.raises(ValidationError, match="its owner or lead re-plans"):
        case_decide(case=case, option="replan", by=personas.executive, rationale="Move it")
    case_decide(case=case, option="replan", by=personas.lead, rationale="Move it")
    change = ChangeRequest.objects.for_org(personas.org).get(measure=root)
    assert (
        change.diff["measure.baseline_end_date"]["to"]
        == (TODAY + dt.timedelta(days=102)).isoformat()
    )


def test_integrators_get_the_case_events(personas):
    from governance.models import WebhookDelivery, WebhookEndpoint

    org = personas.org
    WebhookEndpoint.objects.create(
        organization=org,
        url="https://hooks.example.com/cases",
        secret="whsec_cases",
        events=["case.opened", "case.decided"],
    )
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    root = MeasureFactory(package=package, doi="decided", owner=personas.owner)
    baseline = TODAY + dt.timedelta(days=30)
    Milestone.objects.create(
        organization=org,
        measure=root,
        title="Tooling ready",
        baseline_due_date=baseline,
        due_date=baseline + dt.timedelta(days=4),
    )
    cases_recompute(organization=org)
    case = ExceptionCase.objects.for_org(org).get()
    case_decide(case=case, option="accept", by=personas.admin, rationale="Small")
    deliveries = {d.event: d.payload for d in WebhookDelivery.objects.for_org(org)}
    assert set(deliveries) == {"case.opened", "case.decided"}
    assert deliveries["case.opened"]["root_code"] == root.code
    assert deliveries["case.decided"]["decision"] == "accept"
