"""The hierarchy REST API: CRUD, errors, concurrency, pagination, filters, tokens."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from governance.models import ApiToken, AuditEvent, Portfolio, Program
from governance.services.tokens import token_issue, token_revoke
from tests.factories import MeasureFactory, MembershipFactory, PortfolioFactory, ProgramFactory

pytestmark = pytest.mark.django_db


def url(org, segment, pk=None, action=None):
    base = f"/api/v1/orgs/{org.slug}/{segment}/"
    if pk is not None:
        base += f"{pk}/"
    if action:
        base += f"{action}/"
    return base


def test_anonymous_is_refused(api, personas):
    response = api.get(url(personas.org, "portfolios"))
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }


def test_lead_creates_reads_and_lists_a_program(api_as, personas):
    portfolio = PortfolioFactory(organization=personas.org)
    client = api_as(personas.lead)
    response = client.post(
        url(personas.org, "programs"),
        {
            "portfolio": portfolio.pk,
            "code": "PG-1",
            "title": "Network redesign",
            "owner": personas.owner.pk,
            "start_date": "2026-01-01",
            "end_date": "2026-06-30",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["portfolio"] == portfolio.pk and body["owner"] == personas.owner.pk
    assert response["ETag"] == '"1"'
    detail = client.get(url(personas.org, "programs", body["id"]))
    assert detail.json()["title"] == "Network redesign"
    listing = client.get(url(personas.org, "programs"))
    assert [row["code"] for row in listing.json()["results"]] == ["PG-1"]


def test_validation_errors_have_one_shape_and_write_nothing(api_as, personas):
    portfolio = PortfolioFactory(organization=personas.org)
    response = api_as(personas.lead).post(
        url(personas.org, "programs"),
        {
            "portfolio": portfolio.pk,
            "code": "",
            "title": "",
            "start_date": "2026-05-01",
            "end_date": "2026-01-01",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some fields are not valid."
    assert set(body["errors"]) >= {"code", "title"}
    assert not Program.objects.for_org(personas.org).exists()


def test_service_errors_come_back_as_field_errors(api_as, personas):
    portfolio = PortfolioFactory(organization=personas.org, code="TAKEN")
    response = api_as(personas.lead).post(
        url(personas.org, "portfolios"), {"code": "taken", "title": "Another"}
    )
    assert response.status_code == 400
    assert "already used" in response.json()["errors"]["code"][0]
    assert Portfolio.objects.for_org(personas.org).get() == portfolio


def test_child_under_foreign_parent_does_not_exist(api_as, personas):
    foreign = PortfolioFactory(organization=personas.other_org)
    response = api_as(personas.lead).post(
        url(personas.org, "programs"), {"portfolio": foreign.pk, "code": "X", "title": "Sneaky"}
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"]["portfolio"][0]
    assert Program.objects.unscoped().count() == 0


def test_other_tenant_objects_answer_404(api_as, personas):
    foreign = MeasureFactory(package__project__program__portfolio__organization=personas.other_org)
    client = api_as(personas.admin)
    for segment, node in (
        ("portfolios", foreign.portfolio),
        ("programs", foreign.program),
        ("projects", foreign.project),
        ("packages", foreign.package),
        ("measures", foreign),
    ):
        assert client.get(url(personas.org, segment, node.pk)).status_code == 404
        assert client.patch(url(personas.org, segment, node.pk), {"title": "x"}).status_code == 404
        assert client.delete(url(personas.org, segment, node.pk)).status_code == 404
        # And the other org's URL itself is not reachable for a non-member.
        assert client.get(url(personas.other_org, segment)).status_code == 404
        assert client.get(url(personas.other_org, segment, node.pk)).status_code == 404


def test_lists_never_contain_other_tenant_rows(api_as, personas):
    mine = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    MeasureFactory(package__project__program__portfolio__organization=personas.other_org)
    client = api_as(personas.viewer)
    for segment, node in (
        ("portfolios", mine.portfolio),
        ("programs", mine.program),
        ("projects", mine.project),
        ("packages", mine.package),
        ("measures", mine),
    ):
        ids = [row["id"] for row in client.get(url(personas.org, segment)).json()["results"]]
        assert ids == [node.pk]


def test_stale_if_match_is_refused_with_412(api_as, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    client = api_as(personas.lead)
    first = client.patch(
        url(personas.org, "programs", program.pk), {"title": "A"}, HTTP_IF_MATCH='"1"'
    )
    assert first.status_code == 200 and first["ETag"] == '"2"'
    stale = client.patch(
        url(personas.org, "programs", program.pk), {"title": "B"}, HTTP_IF_MATCH='"1"'
    )
    assert stale.status_code == 412
    program.refresh_from_db()
    assert program.title == "A"


def test_patch_cannot_reparent(api_as, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    other = PortfolioFactory(organization=personas.org)
    response = api_as(personas.lead).patch(
        url(personas.org, "programs", program.pk), {"portfolio": other.pk}
    )
    assert response.status_code == 400
    assert "move endpoint" in response.json()["errors"]["portfolio"][0]


def test_move_and_archive_and_restore(api_as, personas):
    measure = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    target = ProgramFactory(portfolio__organization=personas.org)
    client = api_as(personas.lead)
    moved = client.post(
        url(personas.org, "projects", measure.project_id, "move"), {"parent": target.pk}
    )
    assert moved.status_code == 200, moved.json()
    measure.refresh_from_db()
    assert measure.program_id == target.pk
    assert client.delete(url(personas.org, "programs", target.pk)).status_code == 204
    measure.refresh_from_db()
    assert measure.is_archived
    archived_list = client.get(url(personas.org, "measures"), {"archived": "true"}).json()
    assert [row["id"] for row in archived_list["results"]] == [measure.pk]
    assert client.post(url(personas.org, "programs", target.pk, "restore")).status_code == 200
    measure.refresh_from_db()
    assert not measure.is_archived


def test_viewer_may_read_but_not_write(api_as, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    client = api_as(personas.viewer)
    assert client.get(url(personas.org, "programs", program.pk)).status_code == 200
    response = client.patch(url(personas.org, "programs", program.pk), {"title": "x"})
    assert response.status_code == 403
    assert (
        client.post(url(personas.org, "portfolios"), {"code": "P", "title": "T"}).status_code == 403
    )


def test_pagination_is_stable_and_bounded(api_as, personas):
    portfolio = PortfolioFactory(organization=personas.org)
    ProgramFactory.create_batch(7, portfolio=portfolio)
    client = api_as(personas.viewer)
    page = client.get(url(personas.org, "programs"), {"page_size": 3}).json()
    seen = [row["id"] for row in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen)


def test_filters(api_as, personas):
    portfolio_a = PortfolioFactory(organization=personas.org)
    portfolio_b = PortfolioFactory(organization=personas.org)
    wanted = ProgramFactory(
        portfolio=portfolio_a,
        title="Freight savings",
        owner=personas.owner,
        end_date=dt.date(2026, 3, 1),
    )
    ProgramFactory(portfolio=portfolio_b, title="Pricing")
    client = api_as(personas.viewer)

    def ids(**params):
        return [
            row["id"] for row in client.get(url(personas.org, "programs"), params).json()["results"]
        ]

    assert ids(portfolio=portfolio_a.pk) == [wanted.pk]
    assert ids(q="freight") == [wanted.pk]
    assert ids(owner=personas.owner.pk) == [wanted.pk]
    assert ids(end_before="2026-04-01") == [wanted.pk]
    assert ids(code=wanted.code.lower()) == [wanted.pk]
    bad = client.get(url(personas.org, "programs"), {"end_before": "not-a-date"})
    assert bad.status_code == 400 and "end_before" in bad.json()["errors"]


def test_token_reads_its_own_org_only(api, personas):
    PortfolioFactory(organization=personas.org)
    _, key = token_issue(
        user=personas.lead, organization=personas.org, name="ERP", by=personas.admin
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(url(personas.org, "portfolios")).status_code == 200
    assert api.get("/api/v1/orgs/").json()["results"][0]["slug"] == personas.org.slug
    # The lead joins the other organization too; the token still cannot reach it.
    MembershipFactory(organization=personas.other_org, user=personas.lead)
    assert api.get(url(personas.other_org, "portfolios")).status_code == 404


def test_read_only_revoked_and_expired_tokens(api, personas):
    token, key = token_issue(
        user=personas.lead, organization=personas.org, name="BI", by=personas.admin
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = api.post(url(personas.org, "portfolios"), {"code": "P", "title": "T"})
    assert refused.status_code == 403 and "only read" in refused.json()["detail"]
    token_revoke(token=token, by=personas.admin)
    assert api.get(url(personas.org, "portfolios")).status_code == 401
    _, expiring = token_issue(
        user=personas.lead,
        organization=personas.org,
        name="Tmp",
        scope="write",
        by=personas.admin,
        expires_at=timezone.now() + dt.timedelta(seconds=1),
    )
    ApiToken.objects.for_org(personas.org).filter(name="Tmp").update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {expiring}")
    assert api.get(url(personas.org, "portfolios")).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token tl_nothing_here")
    assert api.get(url(personas.org, "portfolios")).status_code == 401


def test_write_token_creates_with_audit(api, personas):
    _, key = token_issue(
        user=personas.lead, organization=personas.org, name="ERP", scope="write", by=personas.admin
    )
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post(url(personas.org, "portfolios"), {"code": "P", "title": "Synced"})
    assert response.status_code == 201
    event = AuditEvent.objects.for_org(personas.org).get(action="portfolio.created")
    assert event.actor == personas.lead


def test_schema_and_docs_are_served_offline(api_as, personas, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/orgs/{org_slug}/measures/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"static/drf_spectacular_sidecar" in docs.content
    assert b"cdn" not in docs.content.lower()


def test_issue_token_command_prints_a_working_key(api, personas):
    out = StringIO()
    call_command(
        "issue_token", personas.lead.username, personas.org.slug, "--scope", "write", stdout=out
    )
    key = out.getvalue().strip().splitlines()[-1]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.post(url(personas.org, "portfolios"), {"code": "P", "title": "T"}).status_code == 201


@pytest.mark.parametrize("segment", ["portfolios", "programs", "projects", "packages", "measures"])
def test_list_endpoint_query_count_does_not_grow(
    api_as, personas, django_assert_max_num_queries, segment
):
    client = api_as(personas.viewer)
    MeasureFactory.create_batch(
        3, package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )
    with django_assert_max_num_queries(12) as small:
        assert client.get(url(personas.org, segment)).status_code == 200
    MeasureFactory.create_batch(
        40, package__project__program__portfolio__organization=personas.org, owner=personas.lead
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url(personas.org, segment)).json()["results"]) >= 40
