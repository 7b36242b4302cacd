"""Every object page shows its history; the API serves it; amounts stay with who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from approvals.models import ApprovalRequest
from governance.audit import audit_record
from governance.audit.history import object_history
from governance.models import Portfolio
from governance.services.hierarchy import node_update
from measures.models import Measure
from tests.factories import MeasureFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def measure(personas: Any) -> Measure:
    return MeasureFactory(package__project__program__portfolio__organization=personas.org)


def events_add(obj: Any, count: int, owner: Any = None) -> None:
    """``count`` events on ``obj``, each by another user, half of them financial; with
    ``owner``, the others also hand ``obj`` to that member."""
    for index in range(count):
        extra = {"owner": [None, owner.pk]} if owner is not None and not index % 2 else {}
        audit_record(
            actor=UserFactory(first_name=f"Person{index}"),
            action="measure.financials_changed" if index % 2 else "measure.updated",
            obj=obj,
            changes={"plan.benefit.2026-01": "125000.00"}
            if index % 2
            else {"title": ["Old", f"New {index}"], "budget": ["10.00", "20.00"], **extra},
        )


def page(client: Any, user: Any, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def history_url(measure: Measure) -> str:
    return reverse("measure-history", kwargs={"org_slug": "acme", "pk": measure.pk})


def test_object_history_is_that_objects_events_newest_first(personas, measure):
    other = MeasureFactory(package=measure.package)
    node_update(node=measure, by=personas.admin, title="First")
    node_update(node=other, by=personas.admin, title="Elsewhere")
    node_update(node=measure, by=personas.admin, title="Second")
    events = list(object_history(measure))
    assert [event.changes["title"][1] for event in events] == ["Second", "First"]
    assert events[0].seq > events[1].seq
    assert events[0].actor == personas.admin


def test_the_measure_history_tab_shows_who_when_and_what(client, personas, measure):
    node_update(node=measure, by=personas.admin, title="Sharper title")
    html = page(client, personas.viewer, history_url(measure))
    assert 'aria-current="page">History</a>' in html
    assert "measure.updated" in html
    assert '<span class="fw-semibold">Title</span>: ' in html
    assert "→ Sharper title" in html
    assert personas.admin.get_username() in html or personas.admin.get_full_name() in html


def test_amounts_in_history_are_hidden_from_roles_without_financials(client, personas, measure):
    events_add(measure, 2)
    viewer = page(client, personas.viewer, history_url(measure))
    assert "125000.00" not in viewer and "20.00" not in viewer
    assert "Financial details are hidden for your role." in viewer
    assert "New 0" in viewer
    controller = page(client, personas.controller, history_url(measure))
    assert "125000.00" in controller and "10.00 → 20.00" in controller


def test_history_tab_of_a_measure_out_of_reach_is_404(client, personas, measure):
    client.force_login(personas.outsider)
    assert client.get(history_url(measure)).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_history_pages_read_a_constant_number_of_queries(
    client, personas, measure, count, django_assert_max_num_queries
):
    events_add(measure, count, owner=personas.owner)
    portfolio = measure.portfolio
    events_add(portfolio, count, owner=personas.owner)
    client.force_login(personas.controller)
    # The same bound at 3 and 30 events, each by another person: no query per event or actor
    # (the navigation adds its unread count).
    with django_assert_max_num_queries(19):
        html = client.get(history_url(measure)).content.decode()
    assert f"Owner</span>: — → {personas.owner.get_full_name() or personas.owner}" in html
    portfolio_url = reverse("portfolio-detail", kwargs={"org_slug": "acme", "pk": portfolio.pk})
    with django_assert_max_num_queries(30):
        html = client.get(portfolio_url).content.decode()
    assert html.count("<td>measure.") == min(count, 25)


def test_the_history_paginates_newest_first(client, personas, measure):
    events_add(measure, 30)
    first = page(client, personas.controller, history_url(measure))
    assert "→ New 28<" in first and "→ New 0<" not in first and "Page 1 of 2" in first
    second = page(client, personas.controller, history_url(measure) + "?history_page=2")
    assert "→ New 0<" in second and "→ New 28<" not in second


def test_the_portfolio_page_lists_its_history(client, personas):
    portfolio = Portfolio.objects.for_org(personas.org).first() or None
    if portfolio is None:
        from tests.factories import PortfolioFactory

        portfolio = PortfolioFactory(organization=personas.org)
    node_update(node=portfolio, by=personas.admin, title="Renamed portfolio")
    url = reverse("portfolio-detail", kwargs={"org_slug": "acme", "pk": portfolio.pk})
    html = page(client, personas.viewer, url)
    assert 'id="object-history"' in html and "→ Renamed portfolio" in html


# --- the API --------------------------------------------------------------------------------------


def api_history(api_as: Any, user: Any, segment: str, pk: int, query: str = "") -> Any:
    return api_as(user).get(f"/api/v1/orgs/acme/{segment}/{pk}/history/{query}")


def test_the_api_serves_a_measures_history_with_its_chain(api_as, personas, measure):
    measure = node_update(node=measure, by=personas.admin, title="Via the API")
    response = api_history(api_as, personas.viewer, "measures", measure.pk)
    assert response.status_code == 200
    [event] = response.json()["results"]
    assert event["actor"] == {
        "id": personas.admin.pk,
        "name": personas.admin.get_full_name() or personas.admin.get_username(),
    }
    assert event["object"] == {"type": "measures.measure", "id": measure.pk, "repr": str(measure)}
    assert event["action"] == "measure.updated"
    assert event["changes"]["title"][1] == "Via the API"
    assert event["changes_hidden"] is False
    assert len(event["hash"]) == 64 and len(event["prev_hash"]) == 64
    assert isinstance(event["seq"], int) and event["created_at"]


def test_the_api_hides_amounts_from_roles_without_financials(api_as, personas, measure):
    events_add(measure, 2)
    rows = api_history(api_as, personas.viewer, "measures", measure.pk).json()["results"]
    assert [row["changes_hidden"] for row in rows] == [True, False]
    assert rows[0]["changes"] is None
    assert rows[1]["changes"] == {"title": ["Old", "New 0"]}
    rows = api_history(api_as, personas.controller, "measures", measure.pk).json()["results"]
    assert rows[0]["changes"] == {"plan.benefit.2026-01": "125000.00"}
    assert rows[1]["changes"]["budget"] == ["10.00", "20.00"]


def test_the_api_history_is_cursor_paginated(api_as, personas, measure):
    events_add(measure, 5)
    first = api_history(api_as, personas.controller, "measures", measure.pk, "?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    seqs = [row["seq"] for row in first["results"]]
    second = api_as(personas.controller).get(first["next"]).json()
    more = [row["seq"] for row in second["results"]]
    assert seqs[0] > seqs[1] > more[0] > more[1]


def test_the_api_history_of_an_invisible_object_is_404(api_as, personas, measure):
    assert api_history(api_as, personas.outsider, "measures", measure.pk).status_code == 404
    other_org_measure = MeasureFactory(
        package__project__program__portfolio__organization=personas.other_org
    )
    response = api_history(api_as, personas.admin, "measures", other_org_measure.pk)
    assert response.status_code == 404
    assert api_history(api_as, personas.admin, "portfolios", 10**12).status_code == 404


def test_every_level_and_approval_requests_have_a_history_route(api_as, personas, measure):
    for segment, node in (
        ("portfolios", measure.portfolio),
        ("programs", measure.program),
        ("projects", measure.project),
        ("packages", measure.package),
    ):
        node_update(node=node, by=personas.admin, title=f"New {segment}")
        rows = api_history(api_as, personas.viewer, segment, node.pk).json()["results"]
        assert rows[0]["changes"]["title"][1] == f"New {segment}", segment
    request = ApprovalRequest.objects.create(
        organization=personas.org,
        measure=measure,
        kind="gate:decided",
        requested_by=personas.owner,
        proposed_change={"doi": ["detailed", "decided"]},
    )
    audit_record(actor=personas.owner, action="approval.submitted", obj=request)
    rows = api_history(api_as, personas.viewer, "approvals", request.pk).json()["results"]
    assert [row["action"] for row in rows] == ["approval.submitted"]
    url = reverse("approval-detail", kwargs={"org_slug": "acme", "pk": request.pk})
    client_html = api_as(personas.viewer).get(url).content.decode()
    assert "Audit trail" in client_html and "approval.submitted" in client_html
