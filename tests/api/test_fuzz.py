"""Fuzz every operation of the REST API against its own OpenAPI schema.

Schemathesis loads ``/api/schema/`` from the WSGI application in-process (no server) and, for
each operation, sends generated requests — valid ones and deliberately broken ones — with a
real write token of an organization lead. Every answer must be a documented status code with
a documented content type and body, never a 5xx, and the operation must refuse the same request
without credentials.

Generation is derandomized, so a failure reproduces on every run; the tenant's hierarchy is
offered to the generator next to random values, so requests reach the services behind the
endpoints instead of stopping at "does not exist".

Run only this module with ``uv run python -m tests.preflight tests/api -q``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

from approvals.models import ApprovalPolicy, ApprovalRequest, ApprovalStep
from approvals.services.policies import policies_seed_defaults
from config.wsgi import application
from governance.models import (
    AuditEvent,
    DecisionRecord,
    ExceptionCase,
    ImpactedMeasure,
    Notification,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
)
from governance.services.hierarchy import node_archive
from governance.services.tokens import token_issue
from measures.models import (
    CapacityPerson,
    FinancialEntry,
    Kpi,
    Measure,
    MeasureDependency,
    MeasurePackage,
    Milestone,
    Risk,
)
from reporting.services.snapshots import snapshot_take
from tests.factories import (
    BusinessUnitFactory,
    FunctionFactory,
    MeasureFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.module_data import built_once

ORG_SLUG = "fuzz"
# The URL segment of each level and the level above it (what ``move`` takes as ``parent``).
SEGMENTS = {
    "portfolios": ("portfolio", None),
    "programs": ("program", "portfolio"),
    "projects": ("project", "program"),
    "packages": ("package", "project"),
    "measures": ("measure", "package"),
    "kpis": ("kpi", None),
    "approvals": ("approval", None),
    "decisions": ("decision", None),
    "exceptions": ("case", None),
    "approval-policies": ("policy", None),
    "notifications": ("notification", None),
    "webhooks": ("webhook", None),
    "validations": ("entry", None),
    "snapshots": ("snapshot", None),
    "report-definitions": ("report", None),
    "report-runs": ("reportrun", None),
}
# Body fields that hold an id, and the kind of row they point at.
REFERENCES = {
    "portfolio": "portfolio",
    "program": "program",
    "project": "project",
    "package": "package",
    "owner": "member",
    "sponsor": "member",
    "controller": "member",
    "function": "function",
    "business_unit": "business_unit",
    "measure": "measure",
    "predecessor": "measure",
    "successor": "measure",
    "previous": "approval",
}
# Path parameters naming a row below a measure, and the kind of row.
CHILD_PARAMETERS = {"risk_pk": "risk", "milestone_id": "milestone", "delivery_pk": "delivery"}
CODES = st.from_regex(r"[A-Z][A-Z0-9._-]{0,12}", fullmatch=True)

CONFIG = schemathesis.Config.from_dict(
    {
        "parameters": {"path.org_slug": ORG_SLUG},
        # Examples and the example database would make a run depend on earlier runs.
        "generation": {"database": "none"},
        "phases": {
            "examples": {"enabled": False},
            # Re-sending every boundary case without credentials would double the run; the
            # fuzzing phase probes each operation's auth, and the test below every operation's.
            "coverage": {
                "generation": {"mode": "negative"},
                "unexpected-methods": [],
                "checks": {"ignored_auth": {"enabled": False}},
            },
        },
        # PUT and PATCH validate bodies with the serializer POST uses, whose coverage run walks
        # every boundary already; on them it would mostly meet the 404 of a random id.
        "operations": [
            {"include-method": ["PUT", "PATCH"], "phases": {"coverage": {"enabled": False}}}
        ],
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "ignored_auth": {"enabled": True},
        },
    }
)


def _schema() -> Any:
    """The schema ``/api/schema/`` serves, generated without a request (loading happens at
    collection, before any database is open), and the WSGI application to call."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(document)), config=CONFIG
    )
    loaded.app = application
    return loaded


schema = _schema()


@dataclass
class Tenant:
    """The fuzzed organization: a write token and the ids of its rows, by kind."""

    organization_id: int = 0
    key: str = ""
    # An org admin's write token: webhooks are the administrators' (the lead's token gets 403).
    admin_key: str = ""
    ids: dict[str, list[int]] = field(default_factory=dict)


# Filled by the ``tenant`` fixture, read by the generation hooks while a test runs.
TENANT = Tenant()


def _level(context: schemathesis.HookContext) -> tuple[str, str | None] | None:
    operation = context.operation
    if operation is None:
        return None
    parts = operation.path.split("/")
    segment = parts[5] if len(parts) > 5 else ""
    return SEGMENTS.get(segment)


def _known(kind: str | None) -> list[int]:
    return TENANT.ids.get(kind, []) if kind else []


def _real_or(value: Any, kind: str | None) -> st.SearchStrategy:
    """Mostly a real id of ``kind`` in place of a well-typed random one; other values as they are.

    Random ids almost never exist, so without this every request would stop at a 404 or at
    "does not exist"; ill-typed values are left alone, they are what the negative cases test.
    """
    ids = _known(kind)
    if not ids or isinstance(value, bool) or not isinstance(value, int):
        return st.just(value)
    return st.sampled_from([*ids, value])


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy:
    level = _level(context)
    if not path_parameters:
        return st.just(path_parameters)
    kinds = {name: kind for name, kind in CHILD_PARAMETERS.items() if name in path_parameters}
    if "id" in path_parameters:
        if level is not None:
            kinds["id"] = level[0]
        elif context.operation is not None and "/dependencies/" in context.operation.path:
            kinds["id"] = "dependency"
    if not kinds:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {name: _real_or(path_parameters[name], kind) for name, kind in kinds.items()}
    ).map(lambda chosen: {**path_parameters, **chosen})


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    if not isinstance(body, dict):
        return st.just(body)
    level = _level(context)
    choices: dict[str, st.SearchStrategy] = {}
    for name, value in body.items():
        if name == "code" and isinstance(value, str):
            choices[name] = st.one_of(st.just(value), CODES)
        elif name == "parent" and level:
            choices[name] = _real_or(value, level[1])
        elif name in REFERENCES:
            choices[name] = _real_or(value, REFERENCES[name])
    return st.fixed_dictionaries(choices).map(lambda chosen: {**body, **chosen})


@schema.hook
def flatmap_headers(
    context: schemathesis.HookContext, headers: dict[str, Any] | None
) -> st.SearchStrategy:
    """Sometimes ``If-Match: *`` so writes get past the version check."""
    if not headers or "If-Match" not in headers:
        return st.just(headers)
    return st.one_of(st.just(headers), st.just({**headers, "If-Match": "*"}))


@pytest.fixture(scope="module")
def fuzzed_tenant(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[Tenant]:
    """An organization with three branches of the hierarchy, one archived, and a write token:
    built once for the module and rolled back at its end (see ``tests.module_data``)."""
    # The WSGI handler closes the connection after each request, which would end the tests'
    # transaction; Django's own test client disconnects the same receiver.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with (
            override_settings(
                # Evidence files uploaded by the run.
                MEDIA_ROOT=str(tmp_path_factory.mktemp("fuzz-media")),
                # Generated webhook URLs are accepted without resolving their hosts; nothing is
                # sent (the on-commit callbacks of the tests' transaction never run).
                WEBHOOK_ALLOW_PRIVATE_NETWORKS=True,
            ),
            built_once(django_db_blocker, lambda: _populate(TENANT)) as tenant,
        ):
            yield tenant
    finally:
        TENANT.organization_id, TENANT.key, TENANT.admin_key, TENANT.ids = 0, "", "", {}
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tenant(db: None, fuzzed_tenant: Tenant) -> Tenant:
    """The module's tenant; what a test writes is rolled back with the test's savepoint. Each
    test starts with empty rate-limit buckets, as it would with tokens of its own (the buckets
    live in the cache, keyed by token)."""
    cache.clear()
    return fuzzed_tenant


def _populate(tenant: Tenant) -> Tenant:
    org = OrganizationFactory(slug=ORG_SLUG, name="Fuzz Industries")
    lead = UserFactory(username="fuzz-lead")
    owner = UserFactory(username="fuzz-owner")
    MembershipFactory(organization=org, user=lead, role=Role.LEAD)
    MembershipFactory(organization=org, user=owner, role=Role.OWNER)
    branch = {"package__project__program__portfolio__organization": org}
    measures = [
        MeasureFactory(**branch, owner=owner),
        MeasureFactory(**branch, sponsor=lead),
        MeasureFactory(**branch),
    ]
    # Restoring anything under the archived program is refused until the program comes back.
    node_archive(node=measures[2].program, by=lead)
    _, key = token_issue(user=lead, organization=org, name="fuzz", scope="write", by=lead)
    tenant.organization_id, tenant.key = org.pk, key
    tenant.ids = {
        level: [getattr(measure, f"{level}_id") for measure in measures]
        for level in ("portfolio", "program", "project", "package")
    }
    tenant.ids["measure"] = [measure.pk for measure in measures]
    tenant.ids["member"] = [lead.pk, owner.pk]
    tenant.ids["function"] = [FunctionFactory(organization=org).pk]
    tenant.ids["business_unit"] = [BusinessUnitFactory(organization=org).pk]
    tenant.ids["person"] = [
        CapacityPerson.objects.create(organization=org, name="Planner", function_id=None).pk
    ]
    tenant.ids["kpi"] = [
        Kpi.objects.create(
            organization=org, measure=measures[0], name="Scrap", direction="lower", target=2
        ).pk
    ]
    tenant.ids["milestone"] = [
        Milestone.objects.create(
            organization=org, measure=measures[0], title="Pilot", due_date=dt.date.today()
        ).pk
    ]
    # Written directly: the credentials test counts the audit events of the services.
    tenant.ids["risk"] = [
        Risk.objects.create(
            organization=org, measure=measures[0], title="Fuzz", probability=2, impact=3
        ).pk
    ]
    tenant.ids["dependency"] = [
        MeasureDependency.objects.create(
            organization=org, predecessor=measures[1], successor=measures[2]
        ).pk
    ]
    # Two Detailed measures: one awaits its sponsor's decision, the other may be asked for one.
    awaiting, askable = (MeasureFactory(**branch, owner=owner, doi="detailed") for _ in range(2))
    request = ApprovalRequest.objects.create(
        organization=org,
        kind="gate:decided",
        measure=awaiting,
        requested_by=owner,
        proposed_change={"doi": ["detailed", "decided"]},
    )
    ApprovalStep.objects.create(
        organization=org,
        request=request,
        order=1,
        approver="sponsor",
        sla_days=10,
        due_at=timezone.now() + dt.timedelta(days=10),
        state="active",
    )
    # A Decided measure (its baseline may be changed by a change request).
    decided = MeasureFactory(**branch, owner=owner, sponsor=lead, doi="decided")
    tenant.ids["measure"] += [awaiting.pk, askable.pk, decided.pk]
    tenant.ids["decided"] = [decided.pk]
    tenant.ids["approval"] = [request.pk]
    case = ExceptionCase.objects.create(
        organization=org,
        root=awaiting,
        cause="milestone_slip",
        slip_days=5,
        fingerprint="0" * 64,
        opened_at=timezone.now(),
        updated_at=timezone.now(),
    )
    ImpactedMeasure.objects.create(organization=org, case=case, measure=awaiting, slip_days=5)
    tenant.ids["case"] = [case.pk]
    tenant.ids["decision"] = [
        DecisionRecord.objects.create(
            organization=org,
            kind="approved",
            venue="approval",
            measure=awaiting,
            subject_type="approvals.approvalrequest",
            subject_id=request.pk,
            subject_repr=str(request),
            summary="Approved.",
            decided_by=owner,
        ).pk
    ]
    # Claimed benefits awaiting validation (the lead's token sees them but may not validate).
    tenant.ids["entry"] = [
        FinancialEntry.objects.create(
            organization=org,
            measure=measure,
            period=dt.date.today().replace(day=1),
            line="benefit",
            scenario="actual",
            amount=100,
            validation="pending",
        ).pk
        for measure in measures[:2]
    ]
    tenant.ids["askable"] = [askable.pk]
    policies_seed_defaults(org)
    tenant.ids["policy"] = list(
        ApprovalPolicy.objects.for_org(org).order_by("id").values_list("pk", flat=True)
    )
    tenant.ids["notification"] = [
        Notification.objects.create(
            organization=org, recipient=lead, kind="approval.awaiting", subject="Fuzz"
        ).pk
    ]
    admin = UserFactory(username="fuzz-admin")
    MembershipFactory(organization=org, user=admin, role=Role.ADMIN)
    tenant.admin_key = token_issue(
        user=admin, organization=org, name="fuzz-admin", scope="write", by=admin
    )[1]
    endpoint = WebhookEndpoint.objects.create(
        organization=org,
        url="https://hooks.example.com/fuzz",
        secret="whsec_fuzz",
        events=["measure.stage_changed"],
    )
    tenant.ids["webhook"] = [endpoint.pk]
    tenant.ids["snapshot"] = [
        snapshot_take(organization=org, kind="manual", period=dt.date.today()).pk
    ]
    tenant.ids["delivery"] = [
        WebhookDelivery.objects.create(
            organization=org,
            endpoint=endpoint,
            event="measure.stage_changed",
            state="delivered",
            attempts=1,
            delivered_at=timezone.now(),
        ).pk
    ]
    report_rows_seed(tenant, org, admin)
    return tenant


def report_rows_seed(tenant: Tenant, org: Any, admin: Any) -> None:
    """A leadership report definition and a run that delivered a file to the admin."""
    from django.core.files.base import ContentFile

    from reporting.models import ReportDefinition, ReportFile, ReportRun

    definition = ReportDefinition.objects.create(
        organization=org,
        title="Fuzz leadership report",
        sections=["doi_funnel"],
        formats=["csv"],
        audience_roles=["admin"],
    )
    run = ReportRun.objects.create(organization=org, definition=definition, triggered_by="beat")
    row = ReportFile(
        organization=org,
        run=run,
        recipient=admin,
        format="csv",
        name="report.csv",
        content_type="text/csv",
        size=4,
    )
    row.file.save("report.csv", ContentFile(b"a,b\n"), save=True)
    tenant.ids["report"] = [definition.pk]
    tenant.ids["reportrun"] = [run.pk]


# Endpoints that are the organization administrators' (the lead's token gets 403 or nothing).
ADMIN_PATHS = ("/webhooks/", "/report-definitions/", "/report-runs/")


def _key(path: str) -> str:
    """The token a generated request of ``path`` is sent with."""
    return TENANT.admin_key if any(part in path for part in ADMIN_PATHS) else TENANT.key


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    # Fixture data and rejected inputs are the point here, not a sign of a slow or bad strategy.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_operation_answers_as_documented(case: schemathesis.Case, tenant: Tenant) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {_key(case.operation.path)}"})


OPERATIONS = [result.ok() for result in schema.get_all_operations()]
# What a caller without valid credentials may send; each must be refused the same way.
NO_VALID_CREDENTIALS: dict[str, dict[str, Any]] = {
    "nothing": {},
    "unknown token": {"headers": {"Authorization": "Token tl_000000000000_unknown"}},
    "malformed token": {"headers": {"Authorization": "Token tl_\x00_\x00"}},
    "token in three words": {"headers": {"Authorization": "Token tl_a b"}},
    "forged session": {"cookies": {"sessionid": "forged\x00session\x00key"}},
}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_operation_refuses_callers_without_valid_credentials(
    operation: Any, tenant: Tenant
) -> None:
    """401 on every operation for a request the token gets through with, and nothing written."""
    level = _level(schemathesis.HookContext(operation=operation))
    path_parameters: dict[str, Any] = {"org_slug": ORG_SLUG}
    # Enough for any operation to pass with the token (``to``: a measure's transition).
    body: dict[str, Any] = {"code": "ANON-1", "title": "Anonymous", "to": "on_hold"}
    if level:
        path_parameters["id"] = _known(level[0])[0]
        if level[1]:
            body[level[1]] = body["parent"] = _known(level[1])[0]
    path_parameters["milestone_id"] = _known("milestone")[0]
    path, month = operation.path, f"{dt.date.today():%Y-%m}"
    if "/milestones/" in path or path.endswith("/status-reports/"):
        # A milestone's fields; a status report's month and status.
        body = {"title": "Anonymous", "due_date": f"{dt.date.today()}", "period": month}
        body["status"] = "on_track"
    path_parameters["risk_pk"] = _known("risk")[0]
    if "/dependencies/" in operation.path:
        path_parameters["id"] = _known("dependency")[0]
        # The first measure waits for the second: no cycle, no duplicate.
        body = {"predecessor": _known("measure")[1], "successor": _known("measure")[0]}
    if "/risks/" in operation.path:
        body = {"title": "Anonymous", "probability": 2, "impact": 3}
    if operation.path.endswith("/statements/"):
        body = {"no_dependencies": True}
    media_type = None
    if operation.body:
        media_types = [alternative.media_type for alternative in operation.body]
        media_type = "application/json" if "application/json" in media_types else media_types[0]
    if media_type == "multipart/form-data":
        # The spreadsheet import: a one-row file, checked only.
        package = MeasurePackage.objects.for_org(tenant.organization_id).order_by("id").first()
        assert package is not None
        sheet = f"code,package,title\nANON-1,{package.code},Anonymous\n".encode()
        body = {"file": sheet, "dry_run": "true"}
        if path.endswith("/evidence/"):
            body = {"file": b"proof of the milestone", "name": "proof.txt"}
    # Financial operations take their own bodies; validating is a controller's, not the lead's
    # whose token this is, so a valid call there is refused for the role (403), not the token.
    if path.endswith("/imports/financials/"):
        # The financials import: one forecast of a measure the token's lead may change, checked.
        measure = Measure.objects.for_org(tenant.organization_id).get(pk=_known("measure")[0])
        sheet = (
            f"measure,period,line,scenario,amount\n{measure.code},{month},benefit,forecast,1\n"
        ).encode()
        body = {"file": sheet, "dry_run": "true"}
    elif path.endswith("/financials/bulk/"):
        body = {
            "period": month,
            "rows": [
                {
                    "measure": _known("measure")[0],
                    "line": "benefit",
                    "scenario": "actual",
                    "amount": "1.00",
                }
            ],
        }
    elif path.endswith("/effort/") or "/capacity/" in path:
        body = {
            "period": month,
            "rows": [
                {
                    "person": _known("person")[0],
                    "period": month,
                    "planned_hours": "10",
                    "hours": "80",
                }
            ],
            "name": "Planner",
        }
    elif "/kpis/" in path:
        body = {
            "measure": _known("measure")[0],
            "name": "Scrap rate",
            "direction": "lower",
            "target": "2",
            "period": month,
            "actual": "3",
        }
    elif path.endswith("/financials/") or path.endswith("/financials/validate/"):
        body = {
            "rows": [{"period": month, "line": "benefit", "scenario": "plan", "amount": "1"}],
            "period": month,
            "line": "benefit",
            "decision": "validate",
        }
    if "/validations/" in path:
        body = {"decision": "validate", "ids": _known("entry"), "comment": "Checked."}
    if path.endswith("/approvals/"):
        # A gate request on the Detailed measure without one; deciding or withdrawing the
        # pending request (the owner's) is the lead's to do.
        body = {"measure": _known("askable")[0], "kind": "gate:decided"}
    elif path.endswith(("/approve/", "/reject/", "/withdraw/")):
        body = {"comment": "Checked."}
    if path.endswith("/change-requests/"):
        # A change to the baseline end date of the Decided measure.
        path_parameters["id"] = _known("decided")[0]
        body = {"rationale": "Re-plan.", "dates": {"baseline_end_date": f"{dt.date.today()}"}}
    if "/exceptions/" in path and path.endswith("/decide/"):
        # The lead holds the decision over the case's root (no forum): accepting is theirs.
        body = {"option": "accept", "rationale": "Within tolerance."}
    if "/report-definitions/" in path:
        body = {
            "title": "Anonymous",
            "sections": ["doi_funnel"],
            "formats": ["csv"],
            "audience_roles": ["executive"],
        }
    if "/webhooks/" in path:
        path_parameters["delivery_pk"] = _known("delivery")[0]
        body = {"url": "https://hooks.example.com/anonymous", "events": ["case.opened"]}
    case = operation.Case(
        path_parameters={p.name: path_parameters[p.name] for p in operation.path_parameters},
        body=body if operation.body else NOT_SET,
        media_type=media_type,
    )
    for name, credentials in NO_VALID_CREDENTIALS.items():
        response = case.call(**credentials)
        assert response.status_code == 401, (name, response.status_code, response.text)
        case.validate_response(response, headers=credentials.get("headers"))
    written = AuditEvent.objects.for_org(tenant.organization_id).exclude(
        action__in=["token.issued", "program.archived"]
    )
    assert not written.exists()
    response = case.call(headers={"Authorization": f"Token {_key(path)}"})
    if path.endswith("/financials/validate/") or (
        "/validations/" in path and path.endswith("/decide/")
    ):
        assert response.status_code == 403, response.text
        return
    if "/approval-policies/" in path and operation.method.upper() != "GET":
        # Approval policies are the organization admins', not the lead's.
        assert response.status_code == 403, response.text
        return
    if path.endswith("/validations/bulk-approve/"):
        # Not the lead's to validate: the whole selection is refused, each item named.
        assert response.status_code == 400, response.text
        assert set(response.json()["errors"]) == {f"ids.{pk}" for pk in _known("entry")}
        return
    if operation.method.upper() == "POST" and "/capacity/" in path:
        # People and availability are the organization admins', not the lead's.
        assert response.status_code == 403, response.text
        return
    assert response.status_code < 300, response.text
