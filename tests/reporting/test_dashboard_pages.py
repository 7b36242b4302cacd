"""Dashboard pages: every level renders its widgets, filters live in the URL (htmx answers the
body only), bad filter values give a message (never a 500), other tenants' ids are left out,
CSV downloads, and the number of queries does not grow with the data."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Role
from governance.services.grants import assign_role
from reporting.services.snapshots import snapshot_take
from reporting.widgets.registry import WIDGETS
from tests.factories import MembershipFactory, ProgramFactory, UserFactory
from tests.reporting.data import generate

pytestmark = pytest.mark.django_db

MONEY_LABELS = {
    "Plan",
    "Baseline",
    "Forecast",
    "Actual",
    "Risk-adjusted",
    "Validated",
    "Value at risk",
    "Amount requested",
    "Cost baseline",
    "Cost forecast",
    "Cost actual",
    "Forecast minus baseline",
}


def page_urls(org, world) -> list[str]:
    program = world.programs[0]
    project = world.measures[0].project
    slug = {"org_slug": org.slug}
    return [
        reverse("dashboard", kwargs=slug),
        reverse("portfolio-dashboard", kwargs={**slug, "pk": program.portfolio_id}),
        reverse("program-dashboard", kwargs={**slug, "pk": program.pk}),
        reverse("project-dashboard", kwargs={**slug, "pk": project.pk}),
        reverse("my-dashboard", kwargs=slug),
    ]


@pytest.fixture
def world(personas):
    return generate(personas.org, 60, seed=3)


def test_every_dashboard_page_shows_every_widget(client, personas, world):
    client.force_login(personas.executive)
    for url in page_urls(personas.org, world):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        for key in WIDGETS:
            assert f'id="widget-{key}"' in text, (url, key)
        assert "chart-value_bridge" in text
        assert 'hx-push-url="true"' in text


def test_htmx_filter_change_answers_the_body_and_a_full_load_renders_the_same(
    client, personas, world
):
    client.force_login(personas.executive)
    url = reverse("dashboard", kwargs={"org_slug": personas.org.slug})
    query = {"program": world.programs[0].pk, "function": world.functions[0].pk}
    partial = client.get(url, query, headers={"HX-Request": "true"})
    full = client.get(url, query)
    assert partial.status_code == full.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and 'id="dashboard-body"' in body
    assert body.strip() in full.content.decode()
    assert partial.context["form"].filters.program == world.programs[0].pk


def test_bad_filter_values_are_named_not_a_server_error(client, personas, world):
    client.force_login(personas.executive)
    url = reverse("dashboard", kwargs={"org_slug": personas.org.slug})
    response = client.get(
        url, {"program": "abc", "period_from": "2026-13", "period_to": "soon", "function": "99999"}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "No program “abc”" in text
    assert "“2026-13” is not a month" in text
    assert "No function “99999”" in text
    assert response.context["form"].filters.program is None


def test_another_tenants_ids_are_left_out_with_a_message(client, personas, world):
    foreign = ProgramFactory(portfolio__organization=personas.other_org)
    client.force_login(personas.executive)
    url = reverse("dashboard", kwargs={"org_slug": personas.org.slug})
    response = client.get(url, {"program": foreign.pk})
    assert response.status_code == 200
    assert response.context["form"].filters.program is None
    assert f"No program “{foreign.pk}”" in response.content.decode()
    # And another tenant's node page is simply not there.
    page = reverse("program-dashboard", kwargs={"org_slug": personas.org.slug, "pk": foreign.pk})
    assert client.get(page).status_code == 404


def test_a_program_lead_cannot_open_another_programs_dashboard(client, personas, world):
    lead = UserFactory(username="lead-0")
    MembershipFactory(organization=personas.org, user=lead, role="")
    assign_role(lead, Role.LEAD, world.programs[0])
    client.force_login(lead)
    slug = personas.org.slug
    ok = reverse("program-dashboard", kwargs={"org_slug": slug, "pk": world.programs[0].pk})
    other = reverse("program-dashboard", kwargs={"org_slug": slug, "pk": world.programs[1].pk})
    assert client.get(ok).status_code == 200
    assert client.get(other).status_code == 404
    # The organization's page offers only their program.
    response = client.get(reverse("dashboard", kwargs={"org_slug": slug}))
    assert [pk for pk, _ in response.context["form"].choices["program"]] == [world.programs[0].pk]


def test_widget_csv_downloads_the_table_for_the_filters(client, personas, world):
    client.force_login(personas.executive)
    slug = personas.org.slug
    url = reverse("dashboard-widget", kwargs={"org_slug": slug, "key": "exceptions_by_age"})
    response = client.get(url, {"program": world.programs[0].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Open for", "Open cases", "Value at risk"]
    missing = reverse("dashboard-widget", kwargs={"org_slug": slug, "key": "nothing"})
    assert client.get(missing).status_code == 404


def test_a_viewer_gets_no_money_on_the_page_or_in_the_csv(client, personas, world):
    client.force_login(personas.viewer)
    slug = personas.org.slug
    response = client.get(reverse("dashboard", kwargs={"org_slug": slug}))
    assert response.status_code == 200
    assert not response.context["money"]
    assert all(not shown.table.has_money for shown in response.context["tables"])
    for key in WIDGETS:
        url = reverse("dashboard-widget", kwargs={"org_slug": slug, "key": key})
        header = set(next(csv.reader(io.StringIO(client.get(url).content.decode()))))
        assert not header & MONEY_LABELS, (key, header)


@pytest.mark.parametrize("size", [20, 120])
def test_query_count_of_every_dashboard_page_is_constant(
    client, personas, size, django_assert_max_num_queries
):
    world = generate(personas.org, size, seed=size)
    # With a snapshot, so the movements since it are read too.
    snapshot_take(organization=personas.org, kind="manual", period=timezone.localdate())
    client.force_login(personas.executive)
    for url in page_urls(personas.org, world):
        client.get(url)  # the session's first request fills caches
        with django_assert_max_num_queries(QUERY_BUDGET):
            response = client.get(url, {"function": world.functions[0].pk})
        assert response.status_code == 200
    with django_assert_max_num_queries(QUERY_BUDGET):
        client.get(reverse("dashboard-widget", kwargs={"org_slug": "acme", "key": "value_bridge"}))


# Session, membership and grants, the navigation, the filters' choices (six), every widget's
# grouped queries and the movements since the snapshot: fixed, whatever the number of measures
# (41 on the owner's own work, 39 on the others, at both sizes).
QUERY_BUDGET = 41


def test_my_work_shows_what_awaits_me_and_my_own_measures_only(client, personas, world):
    owner = world.measures[0].owner or world.measures[1].owner
    MembershipFactory(organization=personas.org, user=owner, role=Role.VIEWER)
    client.force_login(owner)
    response = client.get(reverse("my-dashboard", kwargs={"org_slug": personas.org.slug}))
    assert response.status_code == 200
    tables = {shown.table.key: shown.table for shown in response.context["tables"]}
    assert "approvals_awaiting_me" in tables
    mine = sum(1 for m in world.measures if m.owner_id == owner.pk and m.archived_at is None)
    funnel = tables["doi_funnel"]
    assert sum(row["measures"] for row in funnel.rows) == mine
    url = reverse(
        "my-dashboard-widget",
        kwargs={"org_slug": personas.org.slug, "key": "approvals_awaiting_me"},
    )
    assert client.get(url).status_code == 200


def test_an_empty_organization_renders_every_widget(client, personas):
    client.force_login(personas.admin)
    response = client.get(reverse("dashboard", kwargs={"org_slug": personas.org.slug}))
    assert response.status_code == 200
    assert "Nothing to show for these filters." in response.content.decode()


def test_node_pages_and_my_measures_link_to_their_dashboards(client, personas, world):
    client.force_login(personas.executive)
    slug = personas.org.slug
    program = world.programs[0]
    detail = client.get(reverse("program-detail", kwargs={"org_slug": slug, "pk": program.pk}))
    assert reverse("program-dashboard", kwargs={"org_slug": slug, "pk": program.pk}) in (
        detail.content.decode()
    )
    mine = client.get(reverse("my-measures", kwargs={"org_slug": slug})).content.decode()
    assert reverse("my-dashboard", kwargs={"org_slug": slug}) in mine
    assert f'href="{reverse("dashboard", kwargs={"org_slug": slug})}"' in mine  # navigation


def test_a_program_dashboards_filters_compose_with_its_node(client, personas, world):
    from measures.fiscal import add_months
    from reporting.widgets.base import Filters, Scope
    from reporting.widgets.value import value_bridge

    client.force_login(personas.executive)
    program = world.programs[0]
    first = add_months(world.first_month, 1)
    url = reverse("program-dashboard", kwargs={"org_slug": personas.org.slug, "pk": program.pk})
    response = client.get(
        url,
        {
            "function": world.functions[1].pk,
            "period_from": f"{first:%Y-%m}",
            "period_to": f"{add_months(first, 3):%Y-%m}",
            "program": world.programs[1].pk,  # the page's own node wins
        },
    )
    filters = response.context["form"].filters
    assert filters == Filters(
        portfolio=program.portfolio_id,
        program=program.pk,
        function=world.functions[1].pk,
        period_from=first,
        period_to=add_months(first, 3),
    )
    shown = {s.table.key: s.table for s in response.context["tables"]}
    assert (
        shown["value_bridge"].rows
        == value_bridge(Scope(personas.org, personas.executive, filters)).rows
    )
