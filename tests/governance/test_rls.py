"""Row-level security: the database keeps tenants apart even where the application forgets to.

Every test here runs on PostgreSQL. The tests' own set-up runs as the connecting superuser,
which row-level security does not apply to; requests, tasks and ``tenant_scope`` switch to the
application role (``DATABASE_ROLE``, set by tests/preflight.py), which it does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import (
    ApprovalAction,
    ApprovalPolicy,
    ApprovalPolicyStep,
    ApprovalRequest,
    ApprovalStep,
    BaselineVersion,
    ChangeRequest,
)
from governance.access import node_models
from governance.models import (
    ApiToken,
    AuditEvent,
    BusinessUnit,
    DecisionForum,
    DecisionRecord,
    ExceptionCase,
    ForumMember,
    Function,
    ImpactedMeasure,
    LegalEntity,
    Membership,
    MitigationAction,
    Notification,
    Organization,
    Portfolio,
    Program,
    Project,
    RippleDirty,
    Role,
    TenantModel,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.permissions import permission_models
from governance.rls import sync_row_level_security, tenant_scope
from governance.services.grants import assign_role
from governance.services.tokens import token_issue, token_revoke
from governance.tasks import count_rows
from measures.models import (
    GateSettings,
    Measure,
    MeasureCategory,
    MeasureMonth,
    MeasurePackage,
    ProgramMonth,
    ProgramTally,
)
from reporting.models import (
    ReportDefinition,
    ReportFile,
    ReportRecipient,
    ReportRun,
    Snapshot,
    SnapshotMeasure,
    SnapshotProgram,
)
from reporting.services.snapshots import snapshot_take
from tests.factories import (
    BusinessUnitFactory,
    FunctionFactory,
    MeasureFactory,
    MembershipFactory,
    OrganizationFactory,
    PortfolioFactory,
)
from tests.services import in_ci

pytestmark = pytest.mark.postgres

# The tenant tables the fixture below fills; every other check runs over all tenant tables.
SEEDED = (
    Membership,
    ApiToken,
    AuditEvent,
    BusinessUnit,
    Function,
    LegalEntity,
    DecisionForum,
    ForumMember,
    Portfolio,
    Program,
    Project,
    MeasurePackage,
    MeasureCategory,
    GateSettings,
    Measure,
    MeasureMonth,
    ProgramMonth,
    ProgramTally,
    ApprovalPolicy,
    ApprovalPolicyStep,
    ApprovalRequest,
    ApprovalStep,
    ApprovalAction,
    ChangeRequest,
    BaselineVersion,
    DecisionRecord,
    ExceptionCase,
    ImpactedMeasure,
    MitigationAction,
    RippleDirty,
    Notification,
    WebhookEndpoint,
    WebhookDelivery,
    Snapshot,
    SnapshotMeasure,
    SnapshotProgram,
    ReportDefinition,
    ReportRecipient,
    ReportRun,
    ReportFile,
)


@pytest.fixture
def app_role(postgres: None) -> str:
    if not settings.DATABASE_ROLE:
        message = "DATABASE_ROLE is not set (tests/preflight.py sets it with PostgreSQL)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return settings.DATABASE_ROLE


def tenant_models() -> list[type[TenantModel]]:
    """Every concrete tenant model of every app, found independently of governance.rls."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy
    ]


PERMISSION_TABLES = tuple(table for model in node_models() for table in permission_models(model))


def tenant_tables() -> list[str]:
    return sorted({model._meta.db_table for model in tenant_models()})


def quoted(table: str) -> str:
    return connection.ops.quote_name(table)


def fetch(query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def organizations_in(table: str) -> set[int]:
    """Organization ids of the rows a raw ``SELECT *`` returns."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {quoted(table)}")  # noqa: S608
        column = [description.name for description in cursor.description].index("organization_id")
        return {row[column] for row in cursor.fetchall()}


@contextlib.contextmanager
def raw_app_role(role: str) -> Iterator[None]:
    """The application role, switched to by hand, with no organization or user set."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {quoted(role)}")
            cursor.execute(
                "SELECT set_config('throughline.organization_id', '', true), "
                "set_config('throughline.user_id', '', true)"
            )
        yield
        # Rolling the savepoint back undoes SET LOCAL for the rest of the test.
        transaction.set_rollback(True)


def financial_rows_seed(organization: Any, measure: Any) -> None:
    from measures.models import FinancialEntry, FinancialSettings, MeasurePotential
    from measures.services.figures import measure_months_refresh

    month = dt.date.today().replace(day=1)
    FinancialEntry.objects.create(
        organization=organization,
        measure=measure,
        period=month,
        line="benefit",
        scenario="plan",
        amount=1,
    )
    MeasurePotential.objects.create(
        organization=organization,
        measure=measure,
        period=month,
        status="on_track",
        forecast=1,
        reference=1,
        reference_scenario="plan",
    )
    FinancialSettings.objects.create(organization=organization)
    measure_months_refresh(organization_id=organization.pk, measure_ids=[measure.pk])


def kpi_and_capacity_rows_seed(organization: Any, measure: Any) -> None:
    from measures.models import Availability, CapacityPerson, Effort, Kpi, KpiValue

    month = dt.date.today().replace(day=1)
    kpi = Kpi.objects.create(
        organization=organization, measure=measure, name="Scrap", direction="lower", target=2
    )
    KpiValue.objects.create(organization=organization, kpi=kpi, period=month, actual=3)
    person = CapacityPerson.objects.create(organization=organization, name="Planner")
    Availability.objects.create(organization=organization, person=person, period=month, hours=80)
    Effort.objects.create(
        organization=organization, measure=measure, person=person, period=month, planned_hours=10
    )


def milestone_rows_seed(organization: Any, measure: Any) -> None:
    from measures.models import Milestone, MilestoneEvidence, StatusReport

    today = dt.date.today()
    milestone = Milestone.objects.create(
        organization=organization, measure=measure, title="Pilot", due_date=today
    )
    MilestoneEvidence.objects.create(
        organization=organization,
        measure=measure,
        milestone=milestone,
        file="evidence/seed.pdf",
        original_name="seed.pdf",
        content_type="application/pdf",
        size=1,
    )
    StatusReport.objects.create(
        organization=organization,
        measure=measure,
        period=today.replace(day=1),
        status="on_track",
        suggested_status="on_track",
        reported_at=timezone.now(),
    )


def risk_rows_seed(organization: Any, measure: Any) -> None:
    from measures.models import MeasureDependency, Risk

    Risk.objects.create(
        organization=organization, measure=measure, title="Risk", probability=1, impact=1
    )
    before = MeasureFactory(package=measure.package)
    MeasureDependency.objects.create(
        organization=organization, predecessor=before, successor=measure
    )


def approval_rows_seed(organization: Any, measure: Any, requester: Any) -> None:
    from approvals.services.policies import policies_seed_defaults

    policies_seed_defaults(organization)
    request = ApprovalRequest.objects.create(
        organization=organization, kind="gate:decided", measure=measure, requested_by=requester
    )
    step = ApprovalStep.objects.create(
        organization=organization,
        request=request,
        order=1,
        approver="sponsor",
        sla_days=5,
        due_at=timezone.now(),
        state="active",
    )
    ApprovalAction.objects.create(
        organization=organization, request=request, step=step, actor=requester, decision="submit"
    )
    case = ExceptionCase.objects.create(
        organization=organization,
        root=measure,
        cause="milestone_slip",
        fingerprint="0" * 64,
        opened_at=timezone.now(),
        updated_at=timezone.now(),
    )
    ImpactedMeasure.objects.create(organization=organization, case=case, measure=measure)
    MitigationAction.objects.create(
        organization=organization,
        case=case,
        title="Second shift",
        owner=requester,
        due_date=timezone.localdate(),
    )
    RippleDirty.objects.create(
        organization=organization, measure_id=measure.pk, marked_at=timezone.now()
    )
    change = ChangeRequest.objects.create(
        organization=organization,
        request=ApprovalRequest.objects.create(
            organization=organization,
            kind="baseline_change",
            measure=measure,
            requested_by=requester,
        ),
        measure=measure,
        rationale="Re-plan.",
    )
    BaselineVersion.objects.create(
        organization=organization, measure=measure, number=1, change_request=change
    )
    DecisionRecord.objects.create(
        organization=organization,
        kind="approved",
        venue="approval",
        measure=measure,
        subject_type="approvals.approvalrequest",
        subject_id=request.pk,
        subject_repr=str(request),
        summary="Approved.",
        decided_by=requester,
    )


def report_rows_seed(organization: Any, admin: Any) -> None:
    """A report definition naming ``admin``, a run of it and the file it delivered."""
    definition = ReportDefinition.objects.create(
        organization=organization,
        title="Leadership report",
        sections=["doi_funnel"],
        formats=["csv"],
    )
    ReportRecipient.objects.create(organization=organization, definition=definition, user=admin)
    run = ReportRun.objects.create(
        organization=organization, definition=definition, triggered_by="beat"
    )
    ReportFile.objects.create(
        organization=organization,
        run=run,
        recipient=admin,
        format="csv",
        file="reports/rls.csv",
        name="report.csv",
        content_type="text/csv",
        size=0,
    )


@pytest.fixture
def two_tenants(personas: Any) -> Any:
    """At least one row in each seeded tenant table, for both organizations of ``personas``."""
    for organization, admin in (
        (personas.org, personas.admin),
        (personas.other_org, personas.outsider),
    ):
        measure = MeasureFactory(
            package__project__program__portfolio__organization=organization, owner=admin
        )
        FunctionFactory(organization=organization)
        BusinessUnitFactory(organization=organization)
        LegalEntity.objects.create(organization=organization, code="LE", name="Legal entity")
        MeasureCategory.objects.create(organization=organization, code="cost", name="Cost")
        GateSettings.objects.create(organization=organization)
        forum = DecisionForum.objects.create(
            organization=organization, name="Steering committee", portfolio=measure.portfolio
        )
        ForumMember.objects.create(organization=organization, forum=forum, user=admin)
        financial_rows_seed(organization, measure)
        kpi_and_capacity_rows_seed(organization, measure)
        milestone_rows_seed(organization, measure)
        risk_rows_seed(organization, measure)
        approval_rows_seed(organization, measure, admin)
        Notification.objects.create(
            organization=organization, recipient=admin, kind="approval.awaiting", subject="Hi"
        )
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url="https://hooks.example.com/",
            secret="whsec_rls",
            events=["measure.stage_changed"],
        )
        WebhookDelivery.objects.create(
            organization=organization, endpoint=endpoint, event="measure.stage_changed"
        )
        snapshot_take(organization=organization, kind="manual", period=dt.date.today())
        report_rows_seed(organization, admin)
        # A token, and the audit event of its issue.
        token_issue(user=admin, organization=organization, name="ERP", by=admin)
        # A role grant (group table) and a direct permission (user table) on every kind of node.
        nodes = [organization, measure.portfolio, measure.program, measure.project]
        for node in [*nodes, measure.package, measure]:
            assign_role(admin, Role.VIEWER, node)
            user_table, _ = permission_models(type(node))
            user_table.objects.create(
                organization=organization,
                user=admin,
                content_object=node,
                permission=Permission.objects.get(
                    content_type=ContentType.objects.get_for_model(type(node)),
                    codename="node_view",
                ),
            )
    for model in SEEDED + PERMISSION_TABLES:
        found = set(model.objects.unscoped().values_list("organization_id", flat=True))
        assert found == {personas.org.pk, personas.other_org.pk}, model.__name__
    return personas


# --- the policies are there -----------------------------------------------------------------------


def test_every_tenant_table_has_row_level_security_and_its_policy(postgres, db):
    tables = tenant_tables()
    assert {"governance_membership", "governance_portfolio", "measures_measure"} <= set(tables)
    enabled = dict(
        fetch(
            "SELECT relname, relrowsecurity AND NOT relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s) AND relkind = 'r' AND pg_table_is_visible(oid)",
            [[*tables, "governance_organization"]],
        )
    )
    policies: dict[str, dict[str, tuple[str, str, str | None]]] = {}
    for table, name, command, qual, check in fetch(
        "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
        "WHERE tablename = ANY(%s)",
        [[*tables, "governance_organization"]],
    ):
        policies.setdefault(table, {})[name] = (command, qual, check)
    # The tenant registry itself is not a tenant table.
    assert enabled.pop("governance_organization") is False
    assert "governance_organization" not in policies
    assert enabled == dict.fromkeys(tables, True)
    same_org = "(organization_id = throughline_current_org())"
    for table in tables:
        expected = {"tenant_isolation": ("ALL", same_org, same_org)}
        if table == "governance_membership":
            expected["own_memberships"] = ("SELECT", "(user_id = throughline_current_user())", None)
        assert policies.get(table) == expected, table


def test_the_application_role_is_not_exempt_from_the_policies(app_role, db):
    super_, bypass, login = fetch(
        "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = %s", [app_role]
    )[0]
    assert (super_, bypass, login) == (False, False, False)
    owned = fetch(
        "SELECT relname FROM pg_class WHERE relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = %s)",
        [app_role],
    )
    assert owned == []
    missing = fetch(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND pg_table_is_visible(oid) "
        "AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND NOT (has_table_privilege(%(role)s, oid, 'SELECT') "
        "AND has_table_privilege(%(role)s, oid, 'INSERT') "
        "AND has_table_privilege(%(role)s, oid, 'UPDATE') "
        "AND has_table_privilege(%(role)s, oid, 'DELETE'))",
        {"role": app_role},
    )
    assert missing == []


def test_sync_is_idempotent_and_repairs_what_was_changed(app_role, db):
    with CaptureQueriesContext(connection) as queries:
        sync_row_level_security()
    statements = [query["sql"] for query in queries.captured_queries]
    assert all(sql.startswith(("SELECT", "\n", "SAVEPOINT", "RELEASE")) for sql in statements)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE measures_measure DISABLE ROW LEVEL SECURITY")
        cursor.execute("DROP POLICY tenant_isolation ON governance_portfolio")
        cursor.execute("CREATE POLICY everything ON governance_program USING (true)")
        cursor.execute(
            "CREATE OR REPLACE FUNCTION throughline_current_org() RETURNS bigint "
            "LANGUAGE sql AS $$SELECT 1::bigint$$"
        )
    sync_row_level_security()
    assert fetch("SELECT relrowsecurity FROM pg_class WHERE relname = 'measures_measure'") == [
        (True,)
    ]
    programs = fetch("SELECT policyname FROM pg_policies WHERE tablename = 'governance_program'")
    assert programs == [("tenant_isolation",)]
    portfolios = fetch(
        "SELECT policyname FROM pg_policies WHERE tablename = 'governance_portfolio'"
    )
    assert portfolios == [("tenant_isolation",)]
    with tenant_scope(None):
        assert fetch("SELECT throughline_current_org()") == [(None,)]


def test_sync_refuses_a_role_that_bypasses_row_level_security(postgres, db, settings):
    role = f"throughline_test_{uuid.uuid4().hex[:8]}"
    # Roles are created inside the test's transaction and vanish with it.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN BYPASSRLS")
    settings.DATABASE_ROLE = role
    with pytest.raises(ImproperlyConfigured, match="BYPASSRLS"):
        sync_row_level_security()


def test_sync_creates_a_missing_role_with_the_grants(postgres, db, settings):
    role = f"throughline_test_{uuid.uuid4().hex[:8]}"
    settings.DATABASE_ROLE = role
    sync_row_level_security()
    assert fetch(
        "SELECT rolsuper, rolbypassrls, rolcanlogin, "
        "has_table_privilege(rolname, 'measures_measure', 'DELETE') "
        "FROM pg_roles WHERE rolname = %s",
        [role],
    ) == [(False, False, False, True)]


# --- what the application role sees ---------------------------------------------------------------


def test_without_an_organization_every_tenant_table_is_empty(app_role, two_tenants):
    for scope in (tenant_scope(None), tenant_scope(None, two_tenants.admin.pk)):
        with scope:
            assert fetch("SELECT current_user") == [(app_role,)]
            for table in tenant_tables():
                if table == "governance_membership":
                    continue  # a named user still sees their own memberships; below
                assert organizations_in(table) == set(), table
    with raw_app_role(app_role):
        for table in tenant_tables():
            assert organizations_in(table) == set(), table
    with tenant_scope(None):
        assert organizations_in("governance_membership") == set()


def test_an_organization_scope_hides_every_other_tenants_rows(app_role, two_tenants):
    org, other = two_tenants.org.pk, two_tenants.other_org.pk
    for scoped, hidden in ((org, other), (other, org)):
        with tenant_scope(scoped):
            for table in tenant_tables():
                assert organizations_in(table) == {scoped}, table
            # The application's own escape hatch cannot reach past the database either.
            assert set(Measure.objects.unscoped().values_list("organization_id", flat=True)) == {
                scoped
            }
            assert not Portfolio.objects.unscoped().filter(organization_id=hidden).exists()


def test_a_user_sees_their_own_memberships_everywhere_and_nothing_else(app_role, two_tenants):
    lead = two_tenants.lead
    MembershipFactory(organization=two_tenants.other_org, user=lead)
    with tenant_scope(two_tenants.org.pk, lead.pk):
        visible = fetch("SELECT organization_id, user_id FROM governance_membership")
        # All of this organization's memberships, and the lead's one elsewhere …
        assert {row for row in visible if row[0] == two_tenants.other_org.pk} == {
            (two_tenants.other_org.pk, lead.pk)
        }
        assert len([row for row in visible if row[0] == two_tenants.org.pk]) == 7
        # … but no other tenant table widens with it.
        assert organizations_in("governance_portfolio") == {two_tenants.org.pk}


def test_writing_another_organizations_rows_is_refused(app_role, two_tenants):
    org, other = two_tenants.org, two_tenants.other_org
    refused = pytest.raises(DatabaseError, match="row-level security")
    with refused, tenant_scope(org.pk):
        Function.objects.create(organization=other, code="SNEAK", name="Sneaky")
    with refused, tenant_scope(org.pk), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO governance_legalentity (organization_id, code, name) "
            "VALUES (%s, 'SNEAK', 'Sneaky')",
            [other.pk],
        )
    # Nor may a row of this organization be handed to another.
    with refused, tenant_scope(org.pk):
        Function.objects.unscoped().update(organization_id=other.pk)
    with tenant_scope(org.pk):
        assert Portfolio.objects.unscoped().filter(organization=other).update(title="x") == 0
        assert Function.objects.unscoped().filter(organization=other).delete()[0] == 0
    assert Function.objects.for_org(other).count() == 1
    assert not Function.objects.unscoped().filter(code="SNEAK").exists()


def test_a_nested_scope_gives_the_outer_one_back(app_role, two_tenants):
    org, other = two_tenants.org.pk, two_tenants.other_org.pk
    state = "SELECT current_user, current_setting('throughline.organization_id', true)"
    before = fetch(state)
    with tenant_scope(org, two_tenants.admin.pk):
        with tenant_scope(other):
            assert fetch(state) == [(app_role, str(other))]
            assert organizations_in("governance_project") == {other}
        assert fetch(state) == [(app_role, str(org))]
        assert fetch("SELECT current_setting('throughline.user_id', true)") == [
            (str(two_tenants.admin.pk),)
        ]
        with contextlib.suppress(DatabaseError), tenant_scope(other):
            fetch("SELECT 1/0")
        assert fetch(state) == [(app_role, str(org))]
    assert fetch(state) == before
    assert before[0][0] != app_role


# --- requests -----------------------------------------------------------------------------------


@pytest.mark.urls("tests.governance.rls_urls")
def test_a_request_runs_as_the_application_role_in_its_organization(client, app_role, two_tenants):
    client.force_login(two_tenants.viewer)
    own_portfolios = sorted(
        Portfolio.objects.for_org(two_tenants.org).values_list("code", flat=True)
    )
    body = client.get(f"/o/{two_tenants.org.slug}/careless/").json()
    assert body["role"] == app_role
    assert body["organization_id"] == str(two_tenants.org.pk)
    assert body["user_id"] == str(two_tenants.viewer.pk)
    # The view forgot to filter by organization: the database did it.
    assert body["portfolios"] == own_portfolios
    assert body["functions"] == list(
        Function.objects.for_org(two_tenants.org).values_list("code", flat=True)
    )
    for path in ("/o/no-such-org/careless/", "/careless/"):
        body = client.get(path).json()
        assert (body["role"], body["portfolios"], body["functions"]) == (app_role, [], [])


@pytest.mark.urls("tests.governance.rls_urls")
def test_a_request_that_fails_writes_nothing(client, app_role, personas):
    client.raise_request_exception = False
    client.force_login(personas.admin)
    assert client.get(f"/o/{personas.org.slug}/failing/").status_code == 500
    assert not Function.objects.for_org(personas.org).exists()


def test_the_organization_list_shows_the_users_memberships(api_as, app_role, personas):
    MembershipFactory(organization=personas.other_org, user=personas.lead)
    slugs = [row["slug"] for row in api_as(personas.lead).get("/api/v1/orgs/").json()["results"]]
    assert slugs == [personas.org.slug, personas.other_org.slug]


# --- tokens -------------------------------------------------------------------------------------


def test_a_token_authenticates_under_row_level_security(api, app_role, two_tenants):
    lead = two_tenants.lead
    MembershipFactory(organization=two_tenants.other_org, user=lead)
    token, key = token_issue(
        user=lead, organization=two_tenants.org, name="ERP", scope="write", by=two_tenants.admin
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    # No organization in the URL: the token's own is the only one listed.
    orgs = api.get("/api/v1/orgs/")
    assert [row["slug"] for row in orgs.json()["results"]] == [two_tenants.org.slug]
    listing = api.get(f"/api/v1/orgs/{two_tenants.org.slug}/portfolios/")
    assert listing.status_code == 200
    assert [row["code"] for row in listing.json()["results"]] == list(
        Portfolio.objects.for_org(two_tenants.org).values_list("code", flat=True)
    )
    created = api.post(
        f"/api/v1/orgs/{two_tenants.org.slug}/portfolios/", {"code": "API", "title": "By token"}
    )
    assert created.status_code == 201
    assert ApiToken.objects.for_org(two_tenants.org).get(pk=token.pk).last_used_at is not None
    # A member of both organizations, but the token belongs to one.
    assert api.get(f"/api/v1/orgs/{two_tenants.other_org.slug}/portfolios/").status_code == 404


def test_bad_tokens_are_refused_under_row_level_security(api, app_role, personas):
    path = f"/api/v1/orgs/{personas.org.slug}/portfolios/"
    token, key = token_issue(user=personas.lead, organization=personas.org, name="BI", by=None)
    _, expired = token_issue(
        user=personas.lead,
        organization=personas.org,
        name="Old",
        by=None,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    ApiToken.objects.for_org(personas.org).filter(name="Old").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    token_revoke(token=token, by=None)
    prefix = key.split("_")[1]
    for presented in (key, expired, f"tl_{prefix}_wrong-secret", "tl_unknown_secret", "junk"):
        api.credentials(HTTP_AUTHORIZATION=f"Token {presented}")
        assert api.get(path).status_code == 401, presented
        assert api.get("/api/v1/orgs/").status_code == 401, presented


# --- tasks --------------------------------------------------------------------------------------


def test_a_tenant_task_runs_in_its_organizations_scope(app_role, two_tenants):
    PortfolioFactory(organization=two_tenants.org)
    for organization in (two_tenants.org, two_tenants.other_org):
        result = count_rows.apply(
            kwargs={"organization_id": organization.pk, "model_label": "governance.portfolio"}
        )
        assert result.get() == Portfolio.objects.for_org(organization).count()


def test_a_tenant_task_without_an_organization_refuses_to_run(db):
    with pytest.raises(TypeError, match="organization_id"):
        count_rows.apply(kwargs={"model_label": "governance.portfolio"}).get()
    with pytest.raises(ValueError, match="not a tenant table"):
        count_rows.apply(
            kwargs={"organization_id": 1, "model_label": "governance.organization"}
        ).get()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_task_sees_only_its_organizations_rows(app_role, celery_worker):
    mine, theirs = OrganizationFactory(), OrganizationFactory()
    PortfolioFactory.create_batch(3, organization=mine)
    PortfolioFactory(organization=theirs)
    empty = Organization.objects.create(name="Empty", slug="empty")
    for organization, expected in ((mine, 3), (theirs, 1), (empty, 0)):
        result = count_rows.apply_async(
            kwargs={"organization_id": organization.pk, "model_label": "governance.portfolio"}
        )
        assert result.get(timeout=30) == expected
