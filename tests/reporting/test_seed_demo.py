"""``manage.py seed_demo``: the demo organization and synthetic bench tenants."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, Q

from governance.models import (
    ApiToken,
    AuditEvent,
    DecisionForum,
    ForumMember,
    Membership,
    Organization,
    Portfolio,
    Program,
    Project,
    Role,
)
from governance.services.grants import grants_held
from measures.models import Measure, MeasurePackage
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


def test_demo_has_one_member_per_role_who_can_sign_in():
    seed()
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


def test_demo_measures_are_complete_and_ancestor_keys_consistent():
    seed()
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


def test_demo_forums_escalate_to_the_executive_steering_committee():
    seed()
    org = Organization.objects.get(slug="acme")
    top = DecisionForum.objects.for_org(org).get(name="Executive steering committee")
    assert top.parent is None and top.scope is None
    children = DecisionForum.objects.for_org(org).filter(parent=top)
    assert {forum.portfolio.code for forum in children} == {"SCT", "CEX"}
    assert all(forum.memberships.exists() for forum in [top, *children])


def test_seed_demo_twice_changes_nothing_and_shows_the_token_once():
    first = seed()
    org = Organization.objects.get(slug="acme")
    before = counts(org)
    second = seed()
    assert counts(org) == before
    assert before["tokens"] == 1
    key = ApiToken.objects.for_org(org).get().prefix
    assert key in first and key not in second
    assert "http://127.0.0.1:8000" in first and "owner2" in first


def test_demo_has_a_snapshot_and_a_weekly_report_that_runs_now(
    settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    seed()
    org = Organization.objects.get(slug="acme")
    assert Snapshot.objects.for_org(org).count() == 1
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


def test_bench_tenant_has_the_asked_measures_with_consistent_ancestor_keys():
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


def test_bench_tenant_is_rebuilt_for_another_size():
    seed("--measures", "300", "--orgs", "1")
    seed("--measures", "120", "--orgs", "1")
    org = Organization.objects.get(slug="bench-1")
    assert Measure.objects.for_org(org).count() == 120
    assert MeasurePackage.objects.for_org(org).count() == bench_shape(120).packages
    assert inconsistent_ancestors(org) == []


def test_bench_shape_is_proportionate_at_fifty_thousand():
    shape = bench_shape(50_000)
    assert (shape.portfolios, shape.programs, shape.projects, shape.packages) == (2, 20, 100, 500)


def test_ancestor_check_catches_a_stale_key():
    seed()
    org = Organization.objects.get(slug="acme")
    measure = Measure.objects.for_org(org).order_by("code").first()
    other = Project.objects.for_org(org).exclude(pk=measure.project_id).first()
    Measure.objects.for_org(org).filter(pk=measure.pk).update(project_id=other.pk)
    assert inconsistent_ancestors(org) == [measure.code]
