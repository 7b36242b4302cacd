"""``manage.py seed_demo``: the demo organization and synthetic bench tenants."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalRequest, RequestState
from governance.models import (
    ApiToken,
    AuditEvent,
    CaseState,
    DecisionForum,
    ExceptionCase,
    ForumMember,
    ImpactedMeasure,
    Membership,
    Organization,
    Portfolio,
    Program,
    Project,
    Role,
)
from governance.services.grants import grants_held
from measures.models import (
    DOI_ORDER,
    DoI,
    FinancialEntry,
    Measure,
    MeasureMonth,
    MeasurePackage,
    Milestone,
    ProgramMonth,
    Scenario,
    Validation,
)
from reporting.demo import bench_shape
from reporting.models import ReportDefinition, ReportFile, ReportRun, RunState, Snapshot
from reporting.reports.runs import run_now
from reporting.widgets.registry import WIDGETS
from tests.reporting.reports_world import pdf_text

pytestmark = pytest.mark.django_db

DEMO_ROLES = {
    "admin": Role.ADMIN,
    "executive": Role.EXECUTIVE,
    "lead": Role.LEAD,
    "owner": Role.OWNER,
    "owner2": Role.OWNER,
    "controller": Role.CONTROLLER,
    "contributor": Role.CONTRIBUTOR,
    "viewer": Role.VIEWER,
    "integrator": Role.LEAD,
}


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[str]:
    """The demo organization, seeded once for the module (its year takes a while to write) in
    a transaction rolled back at the end: each test runs in a savepoint inside it, so what a
    test writes is undone after it, and nothing outlives the module. Yields the first run's
    output."""
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        yield seed()
        transaction.set_rollback(True)


def inconsistent_ancestors(org: Organization) -> list[str]:
    """Codes of nodes whose stored ancestor keys disagree with their parent's."""
    # A program's only ancestor is its parent, so programs cannot disagree.
    checks = [
        (Project.objects.for_org(org), ~Q(portfolio_id=F("program__portfolio_id"))),
        (
            MeasurePackage.objects.for_org(org),
            ~Q(portfolio_id=F("project__portfolio_id")) | ~Q(program_id=F("project__program_id")),
        ),
        (
            Measure.objects.for_org(org),
            ~Q(portfolio_id=F("package__portfolio_id"))
            | ~Q(program_id=F("package__program_id"))
            | ~Q(project_id=F("package__project_id")),
        ),
    ]
    return [
        code
        for queryset, wrong in checks
        for code in queryset.filter(wrong).values_list("code", flat=True)
    ]


def counts(org: Organization) -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "members": Membership.objects.for_org(org).count(),
        "portfolios": Portfolio.objects.for_org(org).count(),
        "programs": Program.objects.for_org(org).count(),
        "projects": Project.objects.for_org(org).count(),
        "packages": MeasurePackage.objects.for_org(org).count(),
        "measures": Measure.objects.for_org(org).count(),
        "forums": DecisionForum.objects.for_org(org).count(),
        "forum_members": ForumMember.objects.for_org(org).count(),
        "tokens": ApiToken.objects.for_org(org).count(),
        "audit_events": AuditEvent.objects.for_org(org).count(),
        "snapshots": Snapshot.objects.for_org(org).count(),
        "report_definitions": ReportDefinition.objects.for_org(org).count(),
    }


def test_demo_has_one_member_per_role_who_can_sign_in(demo):
    org = Organization.objects.get(slug="acme")
    assert (org.name, org.currency) == ("Acme Manufacturing", "EUR")
    users = get_user_model().objects.filter(username__in=DEMO_ROLES)
    roles = {
        user.username: access.role
        for user in users
        for access in grants_held(user, org)
        if access.level == "organization"
    }
    assert roles == DEMO_ROLES
    assert Membership.objects.for_org(org).filter(user__in=users).count() == len(DEMO_ROLES)
    admin = get_user_model().objects.get(username="admin")
    assert admin.first_name and admin.last_name
    assert admin.check_password(settings.DEMO_PASSWORD)


def test_demo_measures_are_complete_and_ancestor_keys_consistent(demo):
    org = Organization.objects.get(slug="acme")
    measures = Measure.objects.for_org(org)
    assert 180 <= measures.count() <= 220
    assert not measures.filter(
        Q(owner__isnull=True)
        | Q(sponsor__isnull=True)
        | Q(function__isnull=True)
        | Q(business_unit__isnull=True)
        | Q(start_date__isnull=True)
        | Q(end_date__isnull=True)
        | Q(end_date__lt=F("start_date"))
    ).exists()
    assert inconsistent_ancestors(org) == []
    functions = set(measures.values_list("function__name", flat=True))
    assert functions == {"Sales", "Procurement", "Production", "Logistics", "Finance"}
    assert Portfolio.objects.for_org(org).count() == 2
    owners = set(measures.values_list("owner__username", flat=True))
    assert {"owner", "owner2"} <= owners


def test_demo_forums_escalate_to_the_executive_steering_committee(demo):
    org = Organization.objects.get(slug="acme")
    top = DecisionForum.objects.for_org(org).get(name="Executive steering committee")
    assert top.parent is None and top.scope is None
    children = DecisionForum.objects.for_org(org).filter(parent=top)
    assert {forum.portfolio.code for forum in children} == {"SCT", "CEX"}
    assert all(forum.memberships.exists() for forum in [top, *children])


def test_seed_demo_twice_changes_nothing_and_shows_the_token_once(demo):
    first = demo
    org = Organization.objects.get(slug="acme")
    before = counts(org)
    second = seed()
    assert counts(org) == before
    assert before["tokens"] == 1
    key = ApiToken.objects.for_org(org).get().prefix
    assert key in first and key not in second
    assert "http://127.0.0.1:8000" in first and "owner2" in first


def test_demo_has_two_weekly_snapshots_and_a_weekly_report_that_runs_now(
    demo, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = Organization.objects.get(slug="acme")
    snapshots = Snapshot.objects.for_org(org).order_by("period")
    assert [snapshot.kind for snapshot in snapshots] == ["weekly", "weekly"]
    assert (snapshots[1].period - snapshots[0].period).days == 7
    definition = ReportDefinition.objects.for_org(org).select_related("periodic_task").get()
    assert definition.title == "Weekly leadership report"
    assert definition.sections == list(WIDGETS)
    assert (definition.formats, definition.audience_roles) == (["pdf", "xlsx"], ["executive"])
    assert (definition.cron_minute, definition.cron_hour, definition.cron_day_of_week) == (
        "0",
        "7",
        "1",
    )
    assert definition.periodic_task is not None and definition.periodic_task.enabled

    # "Run now" as `make demo` runs it: tasks eager, no worker.
    monkeypatch.setattr(app.conf, "task_always_eager", True)
    admin = get_user_model().objects.get(username="admin")
    with django_capture_on_commit_callbacks(execute=True):
        run = run_now(definition=definition, by=admin)
    run = ReportRun.objects.for_org(org).get(pk=run.pk)
    assert (run.state, run.reason) == (RunState.DONE, "")
    executive = get_user_model().objects.get(username="executive")
    pdf = ReportFile.objects.for_org(org).get(run=run, recipient=executive, format="pdf")
    with pdf.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Weekly leadership report" in text and "DoI funnel" in text


def test_bench_tenant_has_the_asked_measures_with_consistent_ancestor_keys(demo):
    out = seed("--measures", "300", "--orgs", "1")
    org = Organization.objects.get(slug="bench-1")
    shape = bench_shape(300)
    assert Measure.objects.for_org(org).count() == 300
    assert MeasurePackage.objects.for_org(org).count() == shape.packages
    assert inconsistent_ancestors(org) == []
    admin = get_user_model().objects.get(username="bench-1-admin")
    assert [access.role for access in grants_held(admin, org)] == [Role.ADMIN]
    assert "bench-1: 300 measures seeded" in out
    before = counts(org)
    assert "bench-1: already has 300 measures, skipped" in seed("--measures", "300", "--orgs", "1")
    assert counts(org) == before


def test_bench_tenant_is_rebuilt_for_another_size(demo):
    seed("--measures", "300", "--orgs", "1")
    seed("--measures", "120", "--orgs", "1")
    org = Organization.objects.get(slug="bench-1")
    assert Measure.objects.for_org(org).count() == 120
    assert MeasurePackage.objects.for_org(org).count() == bench_shape(120).packages
    assert inconsistent_ancestors(org) == []


def test_bench_shape_is_proportionate_at_fifty_thousand():
    shape = bench_shape(50_000)
    assert (shape.portfolios, shape.programs, shape.projects, shape.packages) == (2, 20, 100, 500)


def test_ancestor_check_catches_a_stale_key(demo):
    org = Organization.objects.get(slug="acme")
    measure = Measure.objects.for_org(org).order_by("code").first()
    other = Project.objects.for_org(org).exclude(pk=measure.project_id).first()
    Measure.objects.for_org(org).filter(pk=measure.pk).update(project_id=other.pk)
    assert inconsistent_ancestors(org) == [measure.code]


# --- The demo's year -------------------------------------------------------------------------

FORWARD = list(DOI_ORDER)
STOPPED_FROM = {"on_hold": "decided", "cancelled": "identified"}


def tables_of(client, username: str, name: str = "dashboard", **kwargs: object) -> dict:
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(reverse(name, kwargs={"org_slug": "acme", **kwargs}))
    assert response.status_code == 200
    return {shown.table.key: shown.table for shown in response.context["tables"]}


def test_demo_dashboard_shows_value_stages_cases_and_approvals(demo, client):
    tables = tables_of(client, "executive")
    bridge = {row["step"]: row for row in tables["value_bridge"].rows}
    assert bridge["Target"]["plan"] > bridge["Identified"]["plan"] > bridge["Decided"]["plan"]
    assert bridge["Decided"]["plan"] > bridge["Implemented"]["plan"] > 0
    assert bridge["Implemented"]["actual"] > bridge["Validated (closed)"]["validated"] > 0
    funnel = {row["stage"]: row for row in tables["doi_funnel"].rows}
    assert all(row["measures"] > 0 for row in funnel.values())  # on hold and cancelled too
    assert funnel["Defined"]["measures"] < funnel["Decided"]["measures"]
    assert sum(row["entered"] for row in funnel.values()) > 0  # moved since the last snapshot
    assert sum(row["count"] for row in tables["exceptions_by_age"].rows) >= 5
    assert len(tables["exceptions_by_forum"].rows) >= 2
    ages = {row["age"]: row["count"] for row in tables["approvals_by_age"].rows}
    assert ages["Up to a week"] >= 3 and ages["8 to 30 days"] == 2  # two past their SLA
    assert tables["top_slips"].rows
    trend = tables["value_trend"].rows
    assert len(trend) == 2 and trend[1]["actual"] > trend[0]["actual"] > 0
    variance = tables["budget_variance"].rows
    assert variance and all(row["baseline"] > 0 for row in variance)


def test_demo_program_and_personal_dashboards_have_something_to_show(demo, client):
    org = Organization.objects.get(slug="acme")
    program = Program.objects.for_org(org).get(code="LNR")
    tables = tables_of(client, "lead", "program-dashboard", pk=program.pk)
    funnel = tables["doi_funnel"].rows
    assert sum(1 for row in funnel if row["measures"]) >= 5
    assert sum(row["count"] for row in tables["exceptions_by_age"].rows) > 0
    mine = tables_of(client, "controller", "my-dashboard")
    assert mine["approvals_awaiting_me"].rows  # closures awaiting the controller's validation


def test_demo_measures_went_through_every_gate_with_its_history(demo):
    org = Organization.objects.get(slug="acme")
    stages = dict(Measure.objects.for_org(org).values_list("pk", "doi"))
    assert {stage for stage in stages.values()} == {*FORWARD, "on_hold", "cancelled"}
    assert sum(1 for stage in stages.values() if stage == "defined") < len(stages) / 5
    # One audit event per gate passed (and per hold or cancellation): nothing was set directly.
    moves = sum(
        FORWARD.index(STOPPED_FROM.get(stage, stage)) + (stage in STOPPED_FROM)
        for stage in stages.values()
    )
    changed = AuditEvent.objects.for_org(org).filter(action="measure.stage_changed")
    assert changed.count() == moves
    closed = [pk for pk, stage in stages.items() if stage == "closed"]
    validated = FinancialEntry.objects.for_org(org).filter(
        scenario=Scenario.ACTUAL, line="benefit", validation=Validation.VALIDATED
    )
    assert set(validated.filter(measure_id__in=closed).values_list("measure_id", flat=True)) == set(
        closed
    )
    assert (
        validated.count()
        > FinancialEntry.objects.for_org(org).filter(validation=Validation.PENDING).count()
        > 0
    )  # the controller's queue has work left
    baselined = [
        pk for pk, stage in stages.items() if stage in ("decided", "implemented", "closed")
    ]
    assert set(
        FinancialEntry.objects.for_org(org)
        .filter(scenario=Scenario.BASELINE)
        .values_list("measure_id", flat=True)
    ) >= set(baselined)
    implemented = [pk for pk, stage in stages.items() if stage in ("implemented", "closed")]
    assert (
        not Milestone.objects.for_org(org)
        .filter(measure_id__in=implemented, completed_on__isnull=True)
        .exists()
    )
    assert Milestone.objects.for_org(org).filter(evidence__isnull=False).exists()


def test_demo_monthly_figures_equal_a_rebuild_from_the_series(demo):
    from measures.services.figures import measure_months_rebuild

    org = Organization.objects.get(slug="acme")

    def figures() -> tuple[set, set]:
        months = MeasureMonth.objects.for_org(org).values_list(
            "measure_id",
            "period",
            "stage",
            "benefit_plan",
            "benefit_forecast",
            "benefit_actual",
            "benefit_validated",
            "cost_actual",
        )
        programs = ProgramMonth.objects.for_org(org).values_list(
            "program_id",
            "period",
            "stage",
            "function_id",
            "benefit_plan",
            "benefit_validated",
            "measures",
        )
        return set(months), set(programs)

    before = figures()
    assert before[0] and before[1]
    measure_months_rebuild(organization_id=org.pk)
    assert figures() == before


def test_demo_has_open_cases_a_rippling_slip_and_green_activity_over_red_value(demo):
    org = Organization.objects.get(slug="acme")
    cases = ExceptionCase.objects.for_org(org).filter(state=CaseState.OPEN)
    causes = set(cases.values_list("cause", flat=True))
    assert {"milestone_slip", "value_below", "approval_overdue", "status_off_track"} <= causes
    slip = cases.filter(cause="milestone_slip").order_by("-slip_days").first()
    assert slip.slip_days >= 30 and slip.forum is not None
    assert ImpactedMeasure.objects.for_org(org).filter(case=slip).count() >= 2  # it rippled
    assert (
        Measure.objects.for_org(org)
        .filter(implementation_status__in=["on_track", "done"], potential_status="off_track")
        .exists()
    )
    pending = ApprovalRequest.objects.for_org(org).filter(state=RequestState.PENDING)
    assert {"gate:decided", "gate:closed"} <= set(pending.values_list("kind", flat=True))
    overdue = pending.filter(steps__state="active", steps__due_at__lt=timezone.now())
    assert overdue.count() == 2
    assert all(request.created_at < timezone.now() - dt.timedelta(days=10) for request in overdue)
    late = Milestone.objects.for_org(org).filter(
        completed_on__isnull=True, due_date__lt=timezone.localdate()
    )
    assert late.exists()
    assert Measure.objects.for_org(org).filter(doi=DoI.DEFINED).exists()
    assert (
        sum(
            FinancialEntry.objects.for_org(org)
            .filter(scenario=Scenario.ACTUAL, line="benefit")
            .values_list("amount", flat=True),
            Decimal(0),
        )
        > 0
    )
