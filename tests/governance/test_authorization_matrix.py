"""The authorization matrix, generated from the URL configuration.

Every route, for every persona, with an object in the persona's scope, out of it, and in another
tenant → the expected answer. The expectations come from the role table of the product (written
out below by hand, not computed by the code under test). A meta-test fails when a route exists
that the matrix does not describe, so a new view or endpoint cannot ship unexamined.

Answers are compared by category: ``ok`` (the request passed authorization: 2xx, a redirect
that is not to the login page, or a validation answer 400/409/412/415/422 for the empty bodies sent
here), ``login`` (redirect to the login page), ``401``, ``403`` and ``404``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from approvals.models import ApprovalPolicy
from approvals.services.policies import policies_seed_defaults
from governance.models import LEVELS, Organization, Role
from governance.models.hierarchy import HierarchyNode
from governance.services.grants import assign_role
from governance.services.tokens import token_issue
from measures.models import FinancialEntry, Kpi
from reporting.services.snapshots import snapshot_take
from tests.factories import (
    MeasureFactory,
    MeasurePackageFactory,
    MembershipFactory,
    OrganizationFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    UserFactory,
)
from tests.module_data import built_once

pytestmark = pytest.mark.django_db

SAFE = {"GET", "HEAD", "OPTIONS"}
MANAGE = frozenset({"view", "add", "change", "move", "archive"})

# ---------------------------------------------------------------------------------------------
# Routes: what each one needs. ``methods`` maps an HTTP method to the action it performs;
# ``level`` is the level of the object in the URL (None: a collection or a page without one).


@dataclass(frozen=True)
class Route:
    methods: dict[str, str]
    level: str | None = None
    api: bool = False
    # "org": needs membership of the URL's organization; "user": any signed-in user;
    # "public": anyone.
    audience: str = "org"
    creates: str | None = None  # collection routes that create a node of this level
    answer: str | None = None  # the same answer for everyone
    own: bool = False  # the object is the user's own (a token): anyone else's is 404
    # A row below the measure of ``level`` named in the URL too: "risk" (``risk_pk``, a risk of
    # that measure) or "dependency" (``pk``, an edge whose successor is that measure).
    child: str | None = None
    # Organization-wide rows (approval policies): every member reads them in their organization.
    org_wide: bool = False
    # With ``own``: org admins also reach a colleague's (report runs and files).
    admin_sees: bool = False


def node_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for level in LEVELS:
        routes[f"{level}-list"] = Route({"GET": "view"})
        routes[f"{level}-create"] = Route({"GET": "add", "POST": "add"}, creates=level)
        routes[f"{level}-detail"] = Route({"GET": "view"}, level)
        routes[f"{level}-edit"] = Route({"GET": "change", "POST": "change"}, level)
        routes[f"{level}-archive"] = Route({"POST": "archive"}, level)
        routes[f"{level}-restore"] = Route({"POST": "archive"}, level)
        if level != "portfolio":
            routes[f"{level}-move"] = Route({"GET": "move", "POST": "move"}, level)
        routes[f"api:{level}-list"] = Route({"GET": "view", "POST": "add"}, api=True, creates=level)
        routes[f"api:{level}-detail"] = Route(
            {"GET": "view", "PUT": "change", "PATCH": "change", "DELETE": "archive"}, level, True
        )
        routes[f"api:{level}-move"] = Route({"POST": "move"}, level, True)
        routes[f"api:{level}-restore"] = Route({"POST": "archive"}, level, True)
    return routes


ROUTES: dict[str, Route] = {
    **node_routes(),
    "measure-transition": Route({"POST": "change"}, "measure"),
    "api:measure-transition": Route({"POST": "change"}, "measure", True),
    "api:measure-gates": Route({"GET": "view"}, "measure", True),
    "org-home": Route({"GET": "view"}),
    "measure-import": Route({"GET": "add", "POST": "add"}, creates="measure"),
    "my-measures": Route({"GET": "view"}),
    # Dashboards: any member reads the organization's and their own (figures restricted inside);
    # a node's dashboard is the node's (404 outside the persona's scope).
    "dashboard": Route({"GET": "view"}),
    "dashboard-widget": Route({"GET": "view"}),
    "my-dashboard": Route({"GET": "view"}),
    "my-dashboard-widget": Route({"GET": "view"}),
    **{
        f"{level}-dashboard{page}": Route({"GET": "view"}, level)
        for level in ("portfolio", "program", "project")
        for page in ("", "-widget")
    },
    "api:measure-import": Route({"POST": "add"}, api=True, creates="measure"),
    "token-list": Route({"GET": "view"}),
    "token-create": Route({"GET": "view", "POST": "view"}),
    "token-revoke": Route({"GET": "view", "POST": "view"}, "token", own=True),
    "member-list": Route({"GET": "administer"}),
    "member-add": Route({"GET": "administer", "POST": "administer"}),
    "member-grant": Route({"GET": "administer", "POST": "administer"}),
    "member-detail": Route({"GET": "administer"}, "member"),
    "member-revoke": Route({"GET": "administer", "POST": "administer"}, "member"),
    "member-remove": Route({"GET": "administer", "POST": "administer"}, "member"),
    "home": Route({"GET": "view"}, audience="user"),
    "api:api-org-list": Route({"GET": "view"}, api=True, audience="user"),
    "login": Route({"GET": "view"}, audience="public"),
    "logout": Route({"POST": "view"}, audience="public", answer="login"),
    "healthz": Route({"GET": "view"}, audience="public"),
    "api-schema": Route({"GET": "view"}, audience="public"),
    "api-docs": Route({"GET": "view"}, audience="public"),
    "api-redoc": Route({"GET": "view"}, audience="public"),
    # Financials: a measure whose financials the persona may not see is 404 (see FINANCIALS).
    "measure-financials": Route({"GET": "financials", "POST": "change"}, "measure"),
    "measure-financials-validate": Route({"POST": "validate"}, "measure"),
    "api:measure-financials": Route({"GET": "financials", "PUT": "change"}, "measure", True),
    "api:measure-financials-validate": Route({"POST": "validate"}, "measure", True),
    "api:financials-bulk": Route({"POST": "change"}, api=True),
    "api:rollups": Route({"GET": "view"}, api=True),
    # Any member may upload; rows for measures they may not change are reported as bad rows.
    "financials-import": Route({"GET": "view", "POST": "change"}),
    "api:financials-import": Route({"POST": "change"}, api=True),
    "measure-settings": Route({"GET": "administer", "POST": "administer"}),
    # KPIs: written by who may contribute to their measure (see CONTRIBUTES); level "kpi" is a
    # KPI of the measure of that scope.
    "measure-kpis": Route({"GET": "view", "POST": "contribute"}, "measure"),
    "api:kpi-list": Route({"GET": "view", "POST": "contribute"}, api=True),
    "api:kpi-detail": Route(
        {"GET": "view", "PUT": "contribute", "PATCH": "contribute", "DELETE": "contribute"},
        "kpi",
        True,
    ),
    "api:kpi-values": Route({"GET": "view", "PUT": "contribute"}, "kpi", True),
    # Capacity: every member reads it; admins keep people and availability, whoever may change
    # a measure plans its effort.
    "capacity": Route({"GET": "view", "POST": "administer"}),
    "measure-capacity": Route({"GET": "view", "POST": "change"}, "measure"),
    "api:capacity-people": Route({"GET": "view", "POST": "administer"}, api=True),
    "api:capacity-availability": Route({"GET": "view", "POST": "administer"}, api=True),
    "api:capacity-overallocations": Route({"GET": "view"}, api=True),
    "api:measure-effort": Route({"GET": "view", "PUT": "change"}, "measure", True),
    # Milestones and evidence: who may contribute to the measure writes (see CONTRIBUTES).
    "measure-milestones": Route({"GET": "view", "POST": "contribute"}, "measure"),
    "measure-milestone-edit": Route({"GET": "contribute", "POST": "contribute"}, "measure"),
    "measure-milestone-done": Route({"POST": "contribute"}, "measure"),
    "measure-milestone-delete": Route({"POST": "contribute"}, "measure"),
    "measure-milestone-evidence": Route({"POST": "contribute"}, "measure"),
    "measure-evidence-download": Route({"GET": "view"}, "measure"),
    "api:measure-milestones": Route({"GET": "view", "POST": "contribute"}, "measure", True),
    "api:measure-milestone-detail": Route(
        {"GET": "view", "PUT": "contribute", "PATCH": "contribute", "DELETE": "contribute"},
        "measure",
        True,
    ),
    "api:measure-milestone-evidence": Route({"POST": "contribute"}, "measure", True),
    # Status reports: the measure's owner (or who changes it) reports.
    "measure-status": Route({"GET": "view", "POST": "change"}, "measure"),
    "api:measure-status-reports": Route({"GET": "view", "POST": "change"}, "measure", True),
    # Risks and dependencies: reading follows the measure, writing needs change on it (on the
    # successor for a dependency).
    "measure-risks": Route({"GET": "view", "POST": "change"}, "measure"),
    "measure-dependencies": Route({"GET": "view", "POST": "change"}, "measure"),
    "api:measure-risks": Route({"GET": "view", "POST": "change"}, "measure", True),
    "api:measure-risk-detail": Route(
        {"GET": "view", "PUT": "change", "PATCH": "change", "DELETE": "change"},
        "measure",
        True,
        child="risk",
    ),
    "api:measure-statements": Route({"GET": "view", "PUT": "change"}, "measure", True),
    "api:dependency-list": Route({"GET": "view", "POST": "change"}, api=True),
    "api:dependency-detail": Route({"DELETE": "change"}, "measure", True, child="dependency"),
    # Approvals: a request is seen with its measure; deciding is for holders of the decision
    # (see DECIDES), withdrawing for who may change the measure (the requester here).
    "approvals-inbox": Route({"GET": "view"}),
    "approval-detail": Route({"GET": "view"}, "approval"),
    "approval-approve": Route({"POST": "decide"}, "approval"),
    "approval-reject": Route({"POST": "decide"}, "approval"),
    "approval-withdraw": Route({"POST": "change"}, "approval"),
    "approval-submit": Route({"POST": "change"}, "measure"),
    "api:approval-list": Route({"GET": "view", "POST": "view"}, api=True),
    "api:approval-detail": Route({"GET": "view"}, "approval", True),
    "api:approval-approve": Route({"POST": "decide"}, "approval", True),
    "api:approval-reject": Route({"POST": "decide"}, "approval", True),
    "api:approval-withdraw": Route({"POST": "change"}, "approval", True),
    # The decision log: a record is read with its measure ("decision" is an approval's record).
    "decision-log": Route({"GET": "view"}),
    "api:decision-record-list": Route({"GET": "view"}, api=True),
    "api:decision-record-detail": Route({"GET": "view"}, "decision", True),
    # Exception cases: read with their root measure; with no forum, who holds the decision
    # over the root decides (see DECIDES).
    "exception-inbox": Route({"GET": "view"}),
    "exception-count": Route({"GET": "view"}),
    "exception-case": Route({"GET": "view"}, "case"),
    "exception-decide": Route({"POST": "decide"}, "case"),
    "api:exception-case-list": Route({"GET": "view"}, api=True),
    "api:exception-case-detail": Route({"GET": "view"}, "case", True),
    "api:exception-case-decide": Route({"POST": "decide"}, "case", True),
    "api:exception-case-impacted": Route({"GET": "view"}, "case", True),
    # Approval policies: org admins edit them; every member reads them over the API.
    "approval-policy-settings": Route({"GET": "administer", "POST": "administer"}),
    "api:approval-policy-list": Route({"GET": "view", "POST": "administer"}, api=True),
    "api:approval-policy-detail": Route(
        {"GET": "view", "PUT": "administer", "PATCH": "administer", "DELETE": "administer"},
        "policy",
        True,
        org_wide=True,
    ),
    # Notifications: a person's own ("in"); a colleague's ("out") or another tenant's is 404.
    "notifications": Route({"GET": "view"}),
    "notifications-read-all": Route({"POST": "view"}),
    "notification-read": Route({"POST": "view"}, "notification", own=True),
    "api:notification-list": Route({"GET": "view"}, api=True),
    "api:notification-read-all": Route({"POST": "view"}, api=True),
    "api:notification-read": Route({"POST": "view"}, "notification", True, own=True),
    # History: whoever may see the object reads its audit events.
    "measure-history": Route({"GET": "view"}, "measure"),
    **{f"api:{level}-history": Route({"GET": "view"}, level, True) for level in LEVELS},
    "api:approval-history": Route({"GET": "view"}, "approval", True),
    # Change control: the baseline is read with its measure; asking for (or previewing) a
    # change needs change on it (the measures here are not Decided: 409 for who may ask).
    "measure-baseline": Route({"GET": "view"}, "measure"),
    "measure-baseline-history": Route({"GET": "view"}, "measure"),
    "measure-baseline-request": Route({"POST": "change"}, "measure"),
    "measure-baseline-preview": Route({"POST": "change"}, "measure"),
    "api:measure-change-requests": Route({"GET": "view", "POST": "change"}, "measure", True),
    "api:measure-baselines": Route({"GET": "view"}, "measure", True),
    "api:measure-baselines-compare": Route({"GET": "view"}, "measure", True),
    # Webhooks: the organization administrators' only; "webhook" is an endpoint of the scope's
    # organization ("in" and "out" are both acme's), "delivery" one of its deliveries.
    "webhook-list": Route({"GET": "administer"}),
    "webhook-create": Route({"GET": "administer", "POST": "administer"}),
    "webhook-edit": Route({"GET": "administer", "POST": "administer"}, "webhook"),
    "webhook-delete": Route({"GET": "administer", "POST": "administer"}, "webhook"),
    "webhook-ping": Route({"POST": "administer"}, "webhook"),
    "webhook-deliveries": Route({"GET": "administer"}, "webhook"),
    "webhook-redeliver": Route({"POST": "administer"}, "webhook", child="delivery"),
    "api:webhook-list": Route({"GET": "administer", "POST": "administer"}, api=True),
    "api:webhook-detail": Route(
        {"GET": "administer", "PUT": "administer", "PATCH": "administer", "DELETE": "administer"},
        "webhook",
        True,
    ),
    "api:webhook-ping": Route({"POST": "administer"}, "webhook", True),
    "api:webhook-deliveries": Route({"GET": "administer"}, "webhook", True),
    "api:webhook-redeliver": Route({"POST": "administer"}, "webhook", True, child="delivery"),
    # The validation queue: every member opens it (it lists what they may validate: nothing,
    # for most); an item ("entry", a pending actual benefit of the scope's measure) is seen
    # with its measure's financials and decided only by who validates, never its owner (see
    # VALIDATES). A bulk approval refuses items one may not validate as invalid input (400).
    "validation-queue": Route({"GET": "view"}),
    "validation-count": Route({"GET": "view"}),
    "validation-bulk-approve": Route({"POST": "view"}),
    "validation-entry": Route({"GET": "validate"}, "entry"),
    "validation-decide": Route({"POST": "validate"}, "entry"),
    "api:validation-list": Route({"GET": "view"}, api=True),
    "api:validation-bulk-approve": Route({"POST": "view"}, api=True),
    "api:validation-decide": Route({"POST": "validate"}, "entry", True),
    # Snapshots: every member reads the organization's list; a snapshot's measures are each
    # filtered by where the measure was then ("snapshot" is a snapshot of the scope's tenant).
    "api:snapshot-list": Route({"GET": "view"}, api=True),
    "api:snapshot-detail": Route({"GET": "view"}, "snapshot", True, org_wide=True),
    "api:snapshot-measure-list": Route({"GET": "view"}, "snapshot", True, org_wide=True),
    # Leadership reports: definitions are the organization administrators' ("report" is a
    # definition of the scope's organization); the archive lists what each member received.
    # A file or run ("reportfile", "reportrun") is the persona's own ("in"), a colleague's
    # ("out": org admins see and download it too) or another tenant's.
    "report-definition-list": Route({"GET": "administer"}),
    "report-definition-create": Route({"GET": "administer", "POST": "administer"}),
    "report-definition-edit": Route({"GET": "administer", "POST": "administer"}, "report"),
    "report-definition-delete": Route({"GET": "administer", "POST": "administer"}, "report"),
    "report-definition-run": Route({"POST": "administer"}, "report"),
    "report-archive": Route({"GET": "view"}),
    "snapshot-list": Route({"GET": "view"}),
    "snapshot-compare": Route({"GET": "view"}, "snapshot", org_wide=True),
    "report-file-download": Route({"GET": "view"}, "reportfile", own=True, admin_sees=True),
    "api:report-definition-list": Route({"GET": "administer", "POST": "administer"}, api=True),
    "api:report-definition-detail": Route(
        {"GET": "administer", "PUT": "administer", "PATCH": "administer", "DELETE": "administer"},
        "report",
        True,
    ),
    "api:report-definition-run": Route({"POST": "administer"}, "report", True),
    "api:report-run-list": Route({"GET": "view"}, api=True),
    "api:report-run-detail": Route({"GET": "view"}, "reportrun", True, own=True, admin_sees=True),
}
# The Django admin is for staff only and is covered as one rule (see test_admin_is_staff_only).
COVERED_NAMESPACES = ("admin:",)


def url_names() -> Iterator[str]:
    def walk(patterns: list, namespace: str | None) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or str(pattern.pattern)
                yield f"{namespace}:{name}" if namespace else name

    yield from walk(get_resolver().url_patterns, None)


# ---------------------------------------------------------------------------------------------
# Personas and what the product's role table says they may do. "in" is the subtree of
# portfolio A (where most personas hold their role), "out" the subtree of portfolio B.

PERSONAS = (
    "anonymous",
    "viewer",
    "contributor",
    "owner",
    "lead_other",
    "controller",
    "executive",
    "admin",
    "outsider",
    "token_read",
    "token_write",
)

MAY: dict[str, dict[str, frozenset[str]]] = {
    "viewer": {"in": frozenset({"view"}), "out": frozenset()},
    "contributor": {"in": frozenset({"view"}), "out": frozenset()},
    "owner": {"in": frozenset({"view"}), "out": frozenset()},
    "lead_other": {"in": frozenset(), "out": MANAGE},
    "controller": {"in": frozenset({"view"}), "out": frozenset()},
    "executive": {"in": frozenset({"view"}), "out": frozenset()},
    "admin": {"in": MANAGE, "out": MANAGE},
    "token_read": {"in": MANAGE, "out": frozenset()},
    "token_write": {"in": MANAGE, "out": frozenset()},
}
# The owner edits the measure they own (the "in" measure), nothing else; they also requested
# the "in" approval, which they may withdraw.
OWNED = {
    "owner": {
        ("measure", "in"): frozenset({"change"}),
        ("approval", "in"): frozenset({"change"}),
    }
}
# Who may decide each scope's pending gate request (the sponsor step, no sponsor named: holders
# of ``decide``). The owner requested the "in" one and may not decide it.
DECIDES: dict[str, frozenset[str]] = {
    "lead_other": frozenset({"out"}),
    "executive": frozenset({"in"}),
    "admin": frozenset({"in", "out"}),
    "token_read": frozenset({"in"}),
    "token_write": frozenset({"in"}),
}
# Who sees financials (node_financials, or owning the measure) and who validates (never own).
FINANCIALS: dict[str, frozenset[str]] = {
    "owner": frozenset({"in"}),
    "lead_other": frozenset({"out"}),
    "controller": frozenset({"in"}),
    "executive": frozenset({"in"}),
    "admin": frozenset({"in", "out"}),
    "token_read": frozenset({"in"}),
    "token_write": frozenset({"in"}),
}
VALIDATES: dict[str, frozenset[str]] = {
    "controller": frozenset({"in"}),
    "admin": frozenset({"in", "out"}),
}
# Who contributes (KPIs, milestones): contributors, leads and admins by role, the owner on
# their measure.
CONTRIBUTES: dict[str, frozenset[str]] = {
    "contributor": frozenset({"in"}),
    "owner": frozenset({"in"}),
    "lead_other": frozenset({"out"}),
    "admin": frozenset({"in", "out"}),
    "token_read": frozenset({"in"}),
    "token_write": frozenset({"in"}),
}
# Who administers (members, roles): only the org admin in this world.
ADMINISTERS = {"admin"}
# Who may create nodes of a level somewhere: the admin everywhere; leads below portfolios.
CREATES = {
    "admin": set(LEVELS),
    "lead_other": set(LEVELS) - {"portfolio"},
    "token_read": set(LEVELS) - {"portfolio"},
    "token_write": set(LEVELS) - {"portfolio"},
}


def expected(persona: str, route: Route, scope: str, method: str) -> str:
    if route.answer:
        return route.answer
    if route.audience == "public":
        return "ok"
    signed_in = persona not in ("anonymous",) and not (
        persona.startswith("token") and not route.api
    )
    if not signed_in:
        return "401" if route.api else "login"
    if route.audience == "user":
        return "ok"
    if persona == "outsider":
        return "404"
    if persona == "token_read" and method not in SAFE:
        return "403"
    action = route.methods[method]
    if route.org_wide and action == "view":
        return "404" if scope == "tenant" else "ok"
    if action == "administer":
        if persona not in ADMINISTERS:
            return "403"
        return "404" if scope == "tenant" else "ok"
    if route.own:
        if route.admin_sees and scope == "out" and persona in ADMINISTERS:
            return "ok"
        return "ok" if scope == "in" else "404"
    if route.level is None:
        if route.creates and action == "add":
            return "ok" if route.creates in CREATES.get(persona, ()) else "403"
        return "ok"
    if scope == "tenant":
        return "404"
    allowed = MAY[persona][scope] | OWNED.get(persona, {}).get((route.level, scope), frozenset())
    if action == "contribute":
        if "view" not in allowed:
            return "404"
        may = "change" in allowed or scope in CONTRIBUTES.get(persona, frozenset())
        return "ok" if may else "403"
    if action == "decide":
        if "view" not in allowed:
            return "404"
        return "ok" if scope in DECIDES.get(persona, frozenset()) else "403"
    if route.methods.get("GET") == "financials" or action == "validate":
        # Financial routes exist only for who sees the measure's financials.
        if scope not in FINANCIALS.get(persona, frozenset()):
            return "404"
        if action == "validate":
            return "ok" if scope in VALIDATES.get(persona, frozenset()) else "403"
        return "ok" if action in allowed | {"financials"} else "403"
    if "view" not in allowed:
        return "404"
    return "ok" if action in allowed else "403"


def category(response) -> str:
    status = response.status_code
    if status == 302 and response["Location"].startswith("/login/"):
        return "login"
    if status in (401, 403, 404):
        return str(status)
    if status < 400 or status in (400, 409, 412, 415, 422):
        return "ok"
    return str(status)


# ---------------------------------------------------------------------------------------------
# The world: acme with portfolios A (in) and B (out), globex with one more subtree (tenant).


@dataclass
class World:
    org: Organization
    nodes: dict[tuple[str, str], HierarchyNode] = field(default_factory=dict)
    people: dict[str, object] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    # The persona's own API token ("in"), a colleague's ("out"), another tenant's ("tenant").
    own_tokens: dict[tuple[str, str], int] = field(default_factory=dict)
    # The persona's own notification ("in"), a colleague's ("out"), another tenant's ("tenant").
    own_notifications: dict[tuple[str, str], int] = field(default_factory=dict)
    # A milestone with an evidence file on the measure of each scope.
    milestones: dict[str, int] = field(default_factory=dict)
    evidence: dict[str, int] = field(default_factory=dict)
    # Report runs and files: the persona's own ("in"), a colleague's, another tenant's.
    own_reports: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # Rows below a measure made for routes that name them: (kind, measure id) → row id.
    children: dict[tuple[str, int], int] = field(default_factory=dict)

    def client(self, persona: str) -> APIClient:
        client = APIClient()
        if persona in self.tokens:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[persona]}")
        elif persona != "anonymous":
            client.force_login(self.people[persona])  # type: ignore[arg-type]
        return client


def subtree(org: Organization, prefix: str) -> dict[str, HierarchyNode]:
    portfolio = PortfolioFactory(organization=org, code=f"{prefix}-PF")
    program = ProgramFactory(portfolio=portfolio, code=f"{prefix}-PG")
    project = ProjectFactory(program=program, code=f"{prefix}-PJ")
    package = MeasurePackageFactory(project=project, code=f"{prefix}-MP")
    measure = MeasureFactory(package=package, code=f"{prefix}-ME")
    return dict(zip(LEVELS, (portfolio, program, project, package, measure), strict=True))


def milestone_with_evidence(measure: HierarchyNode) -> tuple[int, int]:
    from django.core.files.base import ContentFile

    from measures.models import Milestone, MilestoneEvidence

    milestone = Milestone.objects.create(
        organization_id=measure.organization_id,
        measure=measure,
        title="Pilot",
        due_date=dt.date.today(),
    )
    evidence = MilestoneEvidence(
        organization_id=measure.organization_id,
        measure=measure,
        milestone=milestone,
        original_name="proof.txt",
        content_type="text/plain",
        size=5,
    )
    evidence.file.save("proof.txt", ContentFile(b"proof"), save=True)
    return milestone.pk, evidence.pk


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The world, built once for the module and rolled back at its end; each test runs in a
    savepoint of it (see ``tests.module_data``). Evidence and report files go to a scratch
    folder, the same for the whole module."""
    media = str(tmp_path_factory.mktemp("matrix-media"))
    with override_settings(MEDIA_ROOT=media), built_once(django_db_blocker, build_world) as built:
        yield built


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Each test starts with empty rate-limit buckets, as with people and tokens of its own (the
    buckets live in the cache, keyed by user and token, and the world's are shared)."""
    cache.clear()


def approval_pending(measure: HierarchyNode, requester: object) -> HierarchyNode:
    """A pending request to move ``measure`` to Decided, awaiting its (unnamed) sponsor."""
    from django.utils import timezone

    from approvals.models import ApprovalRequest, ApprovalStep

    request = ApprovalRequest.objects.create(
        organization_id=measure.organization_id,
        kind="gate:decided",
        measure=measure,
        requested_by=requester,
        proposed_change={"doi": ["detailed", "decided"]},
    )
    ApprovalStep.objects.create(
        organization_id=measure.organization_id,
        request=request,
        order=1,
        approver="sponsor",
        sla_days=10,
        due_at=timezone.now(),
        state="active",
    )
    return request  # type: ignore[return-value]


def decision_of(request: HierarchyNode) -> HierarchyNode:
    """The decision-log record of ``request`` (as if it had been approved)."""
    from governance.models import DecisionRecord

    return DecisionRecord.objects.create(  # type: ignore[return-value]
        organization_id=request.organization_id,
        kind="approved",
        venue="approval",
        measure_id=request.measure_id,  # type: ignore[attr-defined]
        subject_type="approvals.approvalrequest",
        subject_id=request.pk,
        subject_repr=str(request),
        summary="Approved.",
    )


def case_of(measure: HierarchyNode) -> HierarchyNode:
    """An open exception case rooted at ``measure``, before no forum."""
    from django.utils import timezone

    from governance.models import ExceptionCase, ImpactedMeasure

    case = ExceptionCase.objects.create(
        organization_id=measure.organization_id,
        root_id=measure.pk,
        cause="milestone_slip",
        slip_days=10,
        fingerprint="0" * 64,
        opened_at=timezone.now(),
        updated_at=timezone.now(),
    )
    ImpactedMeasure.objects.create(
        organization_id=measure.organization_id, case=case, measure_id=measure.pk, slip_days=10
    )
    return case  # type: ignore[return-value]


def webhook_of(measure: HierarchyNode) -> HierarchyNode:
    """A webhook endpoint of the measure's organization, with one delivered delivery."""
    from django.utils import timezone

    from governance.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        organization_id=measure.organization_id,
        url=f"https://hooks.example.com/{measure.code}",  # type: ignore[attr-defined]
        secret="whsec_matrix",
        events=["measure.stage_changed"],
    )
    WebhookDelivery.objects.create(
        organization_id=measure.organization_id,
        endpoint=endpoint,
        event="measure.stage_changed",
        state="delivered",
        attempts=1,
        delivered_at=timezone.now(),
    )
    return endpoint  # type: ignore[return-value]


def build_world() -> World:
    org = OrganizationFactory(slug="acme")
    globex = OrganizationFactory(slug="globex")
    world = World(org=org)
    for scope, (owner_org, prefix) in {
        "in": (org, "A"),
        "out": (org, "B"),
        "tenant": (globex, "G"),
    }.items():
        for level, node in subtree(owner_org, prefix).items():
            world.nodes[(level, scope)] = node
        world.nodes[("kpi", scope)] = Kpi.objects.create(  # type: ignore[assignment]
            organization=owner_org,
            measure=world.nodes[("measure", scope)],
            name=f"{prefix} scrap rate",
            direction="lower",
            target=2,
        )
        world.nodes[("entry", scope)] = FinancialEntry.objects.create(  # type: ignore[assignment]
            organization=owner_org,
            measure=world.nodes[("measure", scope)],
            period=dt.date.today().replace(day=1),
            line="benefit",
            scenario="actual",
            amount=100,
            validation="pending",
        )
    for scope in ("in", "out", "tenant"):
        milestone, evidence = milestone_with_evidence(world.nodes[("measure", scope)])
        world.milestones[scope], world.evidence[scope] = milestone, evidence
    a, b = world.nodes[("portfolio", "in")], world.nodes[("portfolio", "out")]
    roles = {
        "viewer": (Role.VIEWER, a),
        "contributor": (Role.CONTRIBUTOR, a),
        "owner": (Role.OWNER, a),
        "lead_other": (Role.LEAD, b),
        "controller": (Role.CONTROLLER, a),
        "executive": (Role.EXECUTIVE, a),
        "admin": (Role.ADMIN, org),
    }
    for persona, (role, node) in roles.items():
        user = UserFactory(username=f"matrix-{persona}")
        MembershipFactory(organization=org, user=user, role="")
        assign_role(user, role, node)
        world.people[persona] = user
    measure = world.nodes[("measure", "in")]
    type(measure).objects.for_org(org).filter(pk=measure.pk).update(owner=world.people["owner"])
    outsider = UserFactory(username="matrix-outsider")
    MembershipFactory(organization=globex, user=outsider, role=Role.ADMIN)
    world.people["outsider"] = outsider
    integrator = UserFactory(username="matrix-integrator")
    MembershipFactory(organization=org, user=integrator, role="", kind="integrator")
    assign_role(integrator, Role.LEAD, a)
    colleague = UserFactory(username="matrix-colleague")
    MembershipFactory(organization=org, user=colleague)
    world.people["colleague"] = colleague
    # A pending gate request per scope: the owner's, a colleague's, another tenant's.
    for scope, requester in (("in", "owner"), ("out", "colleague"), ("tenant", "outsider")):
        world.nodes[("approval", scope)] = approval_pending(
            world.nodes[("measure", scope)], world.people[requester]
        )
    for scope in ("in", "out", "tenant"):
        world.nodes[("decision", scope)] = decision_of(world.nodes[("approval", scope)])
        world.nodes[("case", scope)] = case_of(world.nodes[("measure", scope)])
        world.nodes[("webhook", scope)] = webhook_of(world.nodes[("measure", scope)])
    theirs, _ = token_issue(user=colleague, organization=org, name="theirs", by=colleague)
    foreign, _ = token_issue(user=outsider, organization=globex, name="foreign", by=outsider)
    for persona in PERSONAS:
        user = world.people.get(persona)
        mine = (
            token_issue(user=user, organization=org, name="mine", by=user)[0]
            if persona in roles
            else theirs
        )
        world.own_tokens[(persona, "in")] = mine.pk
        world.own_tokens[(persona, "out")] = theirs.pk
        world.own_tokens[(persona, "tenant")] = foreign.pk
    world_notifications(world, integrator)
    world_reports(world, integrator)
    for scope, organization in (("in", org), ("tenant", globex)):
        policies_seed_defaults(organization)
        world.nodes[("policy", scope)] = ApprovalPolicy.objects.for_org(organization).get(  # type: ignore[assignment]
            kind="gate:decided"
        )
    for scope, organization in (("in", org), ("tenant", globex)):
        world.nodes[("snapshot", scope)] = snapshot_take(  # type: ignore[assignment]
            organization=organization, kind="manual", period=dt.date.today()
        )
    for persona, scope in (("token_read", "read"), ("token_write", "write")):
        _, secret = token_issue(
            user=integrator, organization=org, name=persona, scope=scope, by=integrator
        )
        world.tokens[persona] = secret
    return world


def world_notifications(world: World, integrator: object) -> None:
    """A notification of each persona's own (the integrator's for tokens), a colleague's and
    another tenant's."""
    from governance.models import Notification

    def note(organization: Organization, user: object) -> int:
        return Notification.objects.create(
            organization=organization, recipient=user, kind="test", subject="Hello"
        ).pk

    theirs = note(world.org, world.people["colleague"])
    foreign = note(Organization.objects.get(slug="globex"), world.people["outsider"])
    for persona in PERSONAS:
        user = world.people.get(persona)
        if persona.startswith("token"):
            user = integrator
        mine = note(world.org, user) if user is not None and persona != "outsider" else theirs
        world.own_notifications[(persona, "in")] = mine
        world.own_notifications[(persona, "out")] = theirs
        world.own_notifications[(persona, "tenant")] = foreign


def world_reports(world: World, integrator: object) -> None:
    """A report definition per organization, and a run with one file for each persona (the
    integrator's for tokens), one for a colleague and one in another tenant."""
    from django.core.files.base import ContentFile

    from reporting.models import ReportDefinition, ReportFile, ReportRun

    def run_for(organization: Organization, user: object, definition: object) -> tuple[int, int]:
        run = ReportRun.objects.create(
            organization=organization, definition=definition, triggered_by="beat"
        )
        row = ReportFile(
            organization=organization,
            run=run,
            recipient=user,
            format="csv",
            name="report.csv",
            content_type="text/csv",
            size=4,
        )
        row.file.save("report.csv", ContentFile(b"a,b\n"), save=True)
        return run.pk, row.pk

    globex = Organization.objects.get(slug="globex")
    definitions = {}
    for scope, organization in (("in", world.org), ("tenant", globex)):
        definitions[scope] = ReportDefinition.objects.create(
            organization=organization,
            title=f"Leadership report {scope}",
            sections=["doi_funnel"],
            formats=["csv"],
            audience_roles=["executive"],
        )
        world.nodes[("report", scope)] = definitions[scope]  # type: ignore[assignment]
    theirs = run_for(world.org, world.people["colleague"], definitions["in"])
    foreign = run_for(globex, world.people["outsider"], definitions["tenant"])
    for persona in PERSONAS:
        user = integrator if persona.startswith("token") else world.people.get(persona)
        mine = (
            run_for(world.org, user, definitions["in"])
            if user is not None and persona != "outsider"
            else theirs
        )
        for index, level in enumerate(("reportrun", "reportfile")):
            world.own_reports[(level, persona, "in")] = mine[index]
            world.own_reports[(level, persona, "out")] = theirs[index]
            world.own_reports[(level, persona, "tenant")] = foreign[index]


def url_for(name: str, world: World, scope: str, persona: str) -> str:
    route = ROUTES[name]
    kwargs: dict[str, object] = {}
    pattern_kwargs = _pattern_kwargs(name)
    if "org_slug" in pattern_kwargs:
        kwargs["org_slug"] = world.org.slug
    query = ""
    if route.level == "token":
        kwargs["pk"] = world.own_tokens[(persona, scope)]
    elif route.level == "notification":
        kwargs["pk"] = world.own_notifications[(persona, scope)]
    elif route.level in ("reportrun", "reportfile"):
        kwargs["pk"] = world.own_reports[(route.level, persona, scope)]
    elif route.level == "member":
        # A colleague of this organization, or a member of another one only.
        member = world.people["colleague" if scope == "in" else "outsider"]
        kwargs["user_pk"] = member.pk  # type: ignore[attr-defined]
        if name == "member-revoke":
            query = f"?role=viewer&level=organization&node={world.org.pk}"
    elif route.child is not None:
        kwargs.update(child_kwargs(world, route.child, world.nodes[(route.level, scope)]))
    elif route.level is not None:
        kwargs["pk"] = world.nodes[(route.level, scope)].pk
    if "milestone_id" in pattern_kwargs:
        kwargs["milestone_id"] = world.milestones[scope]
    if "key" in pattern_kwargs:
        kwargs["key"] = "exceptions_by_age"  # a dashboard widget's CSV
    if "evidence_id" in pattern_kwargs:
        kwargs["evidence_id"] = world.evidence[scope]
    return reverse(name, kwargs=kwargs) + query


def child_kwargs(world: World, child: str, measure: HierarchyNode) -> dict[str, int]:
    """A risk of the measure, or a dependency on it from a second measure of its package; made
    once per test (outside the requests' rolled-back transactions, inside the test's savepoint).
    For "delivery", ``measure`` is a webhook endpoint and the row its delivery."""
    from measures.models import MeasureDependency, Risk

    if child == "delivery":
        delivery = measure.deliveries.order_by("pk").first()  # type: ignore[attr-defined]
        return {"pk": measure.pk, "delivery_pk": delivery.pk}

    key = (child, measure.pk)
    if key not in world.children:
        organization = measure.organization_id
        if child == "risk":
            world.children[key] = Risk.objects.create(
                organization_id=organization,
                measure=measure,
                title="Matrix",
                probability=1,
                impact=1,
            ).pk
        else:
            before = MeasureFactory(package=measure.package, code=f"{measure.code}-PRE")  # type: ignore[attr-defined]
            world.children[key] = MeasureDependency.objects.create(
                organization_id=organization, predecessor=before, successor=measure
            ).pk
    if child == "risk":
        return {"pk": measure.pk, "risk_pk": world.children[key]}
    return {"pk": world.children[key]}


def _pattern_kwargs(name: str) -> set[str]:
    resolver = get_resolver()
    namespace, _, short = name.rpartition(":")
    if namespace:
        resolver = resolver.namespace_dict[namespace][1]
    possibilities = resolver.reverse_dict.getlist(short)
    return set(possibilities[0][0][0][1]) if possibilities else set()


def cases() -> Iterator[tuple[str, str, str]]:
    for name, route in ROUTES.items():
        scopes = (
            ("in", "tenant")
            if route.level in ("member", "policy", "snapshot", "report")
            else ("in", "out", "tenant")
            if route.level
            else ("in",)
        )
        for method in route.methods:
            for scope in scopes:
                yield name, method, scope


# ---------------------------------------------------------------------------------------------


def test_every_route_is_in_the_matrix():
    unknown = [
        name
        for name in url_names()
        if name not in ROUTES and not name.startswith(COVERED_NAMESPACES)
    ]
    assert unknown == [], f"Routes without an authorization expectation: {unknown}"
    stale = set(ROUTES) - set(url_names())
    assert stale == set(), f"Matrix entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(persona, world):
    # The rows made below measures for this test are rolled back with its savepoint.
    world.children.clear()
    client = world.client(persona)
    mismatches = []
    for name, method, scope in cases():
        route = ROUTES[name]
        path = url_for(name, world, scope, persona)
        # Signing out must not sign the rest of the run out.
        sender = world.client(persona) if name == "logout" else client
        with transaction.atomic():
            send = getattr(sender, method.lower())
            data = dict(parse_qsl(path.partition("?")[2])) if method == "POST" else {}
            response = send(path, data, format="json" if route.api else "multipart")
            transaction.set_rollback(True)
        want = expected(persona, route, scope, method)
        got = category(response)
        if got != want:
            mismatches.append(f"{method} {path} ({name}, {scope}): expected {want}, got {got}")
    assert mismatches == [], "\n".join(mismatches)


def visible_codes(persona: str) -> set[str]:
    prefixes = {"in": "A", "out": "B"}
    return {
        prefixes[scope]
        for scope in ("in", "out")
        if "view" in MAY.get(persona, {}).get(scope, frozenset())
    }


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p in MAY])
def test_lists_return_exactly_the_permitted_rows(persona, world):
    client = world.client(persona)
    suffix = {"portfolio": "PF", "program": "PG", "project": "PJ", "package": "MP", "measure": "ME"}
    segment = {"package": "packages"}
    for level in LEVELS:
        plural = segment.get(level, f"{level}s")
        want = {f"{prefix}-{suffix[level]}" for prefix in visible_codes(persona)}
        api = client.get(f"/api/v1/orgs/acme/{plural}/")
        assert {row["code"] for row in api.json()["results"]} == want, (persona, level)
        if not persona.startswith("token"):
            page = client.get(f"/o/acme/{plural}/").content.decode()
            shown = {f"{p}-{suffix[level]}" for p in "ABG" if f"{p}-{suffix[level]}" in page}
            assert shown == want, (persona, level)


def test_admin_is_staff_only(client):
    person = UserFactory(username="not-staff")
    client.force_login(person)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
