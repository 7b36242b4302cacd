"""Change control over the API and on the Baseline tab, and direct edits of baselined fields
refused after Decided (API, pages, import) while before Decided nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from approvals.changes.models import BaselineVersion, ChangeRequest
from approvals.changes.selectors import baseline_snapshot
from approvals.models import ApprovalRequest
from measures.financial_imports import import_financials
from measures.imports import read_table
from measures.models import FinancialEntry, Kpi, Scenario
from tests.approvals.change_helpers import MONTH, at_decided, kpi_of, milestone_of
from tests.approvals.helpers import THIS_MONTH, at_detailed, fresh

pytestmark = pytest.mark.django_db

BODY = {
    "rationale": "The supplier contract moved.",
    "financials": [{"period": MONTH, "line": "benefit", "amount": "1300"}],
    "dates": {"baseline_end_date": "2027-01-01"},
}


def api_url(personas, measure, tail="change-requests/"):
    return f"/api/v1/orgs/{personas.org.slug}/measures/{measure.pk}/{tail}"


def page_url(personas, measure, tail=""):
    return f"/o/{personas.org.slug}/measures/{measure.pk}/baseline/{tail}"


# --- API ----------------------------------------------------------------------------------------


def test_api_asks_for_a_change_and_answers_the_impact(api_as, personas):
    measure = at_decided(personas)
    response = api_as(personas.owner).post(api_url(personas, measure), BODY, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "pending" and data["amount"] == "300.00"
    assert data["impact"]["value_shift"] == "300.00"
    assert data["impact"]["dates"][0]["days"] == 14
    assert data["diff"][f"financial.benefit.{MONTH}"]["to"] == "1300.00"
    request = ApprovalRequest.objects.for_org(personas.org).get(pk=data["request"])
    assert request.kind == "baseline_change"
    # Deciding goes through the approvals endpoints.
    approved = api_as(personas.executive).post(
        f"/api/v1/orgs/{personas.org.slug}/approvals/{request.pk}/approve/", {}, format="json"
    )
    assert approved.status_code == 200, approved.json()
    listed = api_as(personas.owner).get(api_url(personas, measure), {"state": "approved"})
    assert [row["applied_version"] for row in listed.json()["results"]] == [2]
    assert (
        api_as(personas.owner)
        .get(api_url(personas, measure), {"state": "pending"})
        .json()["results"]
        == []
    )
    versions = api_as(personas.owner).get(api_url(personas, measure, "baselines/")).json()
    assert [v["number"] for v in versions["results"]] == [1, 2]
    assert versions["results"][1]["change_request"] == request.pk
    compare = api_as(personas.owner).get(api_url(personas, measure, "baselines/compare/")).json()
    assert (compare["original_version"], compare["current_version"]) == (1, 2)
    assert compare["totals"]["benefit"]["shift"] == "300.00"


def test_api_answers_every_field_error_and_writes_nothing(api_as, personas):
    measure = at_decided(personas)
    response = api_as(personas.owner).post(
        api_url(personas, measure),
        {
            "rationale": "",
            "financials": [{"period": "1999-01", "line": "benefit", "amount": "1"}],
            "milestones": [{"milestone": 99999, "baseline_due_date": "2026-01-01"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "rationale" in response.json()["errors"]
    response = api_as(personas.owner).post(
        api_url(personas, measure),
        {
            "rationale": "Why",
            "financials": [{"period": "1999-01", "line": "benefit", "amount": "1"}],
            "milestones": [{"milestone": 99999, "baseline_due_date": "2026-01-01"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"financials.0.period", "milestones.0.milestone"}
    assert not ChangeRequest.objects.for_org(personas.org).exists()


def test_api_refuses_a_change_before_decided_with_409(api_as, personas):
    measure = at_detailed(personas)
    response = api_as(personas.owner).post(api_url(personas, measure), BODY, format="json")
    assert response.status_code == 409
    assert "before Decided" in response.json()["detail"]


def test_api_approving_a_stale_request_is_a_409_saying_what_changed(api_as, personas):
    measure = at_decided(personas)
    owner = api_as(personas.owner)
    first = owner.post(api_url(personas, measure), BODY, format="json").json()
    second = owner.post(
        api_url(personas, measure),
        {**BODY, "financials": [{"period": MONTH, "line": "benefit", "amount": "800"}]},
        format="json",
    ).json()
    executive = api_as(personas.executive)
    approvals = f"/api/v1/orgs/{personas.org.slug}/approvals"
    assert executive.post(f"{approvals}/{first['request']}/approve/").status_code == 200
    snapshot = baseline_snapshot(measure)
    refused = executive.post(f"{approvals}/{second['request']}/approve/")
    assert refused.status_code == 409
    body = refused.json()
    assert "baseline changed" in body["detail"]
    assert f"Benefit {MONTH}: was 1000.00 when asked, now 1300.00." in body["problems"]
    assert baseline_snapshot(measure) == snapshot


def test_api_leaves_financial_figures_out_for_who_may_not_see_them(api_as, personas):
    measure = at_decided(personas)
    api_as(personas.owner).post(api_url(personas, measure), BODY, format="json")
    data = api_as(personas.contributor).get(api_url(personas, measure)).json()["results"][0]
    assert not any(key.startswith("financial.") for key in data["diff"])
    assert data["impact"]["value_shift"] is None and data["impact"]["periods"] == []
    compare = api_as(personas.contributor).get(api_url(personas, measure, "baselines/compare/"))
    assert compare.json()["financials"] == [] and compare.json()["totals"] == {}


def test_api_hides_another_tenants_measure(api_as, personas):
    measure = at_decided(personas)
    assert api_as(personas.outsider).get(api_url(personas, measure)).status_code == 404


# --- pages --------------------------------------------------------------------------------------


def test_baseline_tab_offers_the_form_after_decided_prefilled(client, personas):
    measure = at_decided(personas)
    client.force_login(personas.owner)
    page = client.get(page_url(personas, measure)).content.decode()
    assert "Request a change" in page
    assert f'name="fin.benefit.{MONTH}"' in page and 'value="1000.00"' in page
    assert 'value="2026-12-18"' in page


def test_baseline_tab_before_decided_says_why_not(client, personas):
    measure = at_detailed(personas)
    client.force_login(personas.owner)
    page = client.get(page_url(personas, measure)).content.decode()
    assert "Request a change" not in page and "before Decided" in page


def test_preview_shows_the_impact_and_writes_nothing(client, personas):
    measure = at_decided(personas)
    client.force_login(personas.owner)
    response = client.post(
        page_url(personas, measure, "preview/"),
        {f"fin.benefit.{MONTH}": "1300", "date.baseline_end_date": "2027-01-01"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "300.00" in html and "+14 days" in html
    assert not ChangeRequest.objects.for_org(personas.org).exists()


def test_form_errors_keep_the_input_and_write_nothing(client, personas):
    measure = at_decided(personas)
    client.force_login(personas.owner)
    response = client.post(
        page_url(personas, measure, "request/"),
        {f"fin.benefit.{MONTH}": "lots", "date.baseline_end_date": "2027-01-01", "rationale": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="lots"' in html and 'value="2027-01-01"' in html
    assert "is not a number" in html and "Say why the baseline should change" in html
    assert not ChangeRequest.objects.for_org(personas.org).exists()


def test_form_submits_and_the_request_page_shows_the_diff(client, personas):
    measure = at_decided(personas)
    client.force_login(personas.owner)
    response = client.post(
        page_url(personas, measure, "request/"),
        {f"fin.benefit.{MONTH}": "1,300", "rationale": "The supplier contract moved."},
    )
    assert response.status_code == 302
    change = ChangeRequest.objects.for_org(personas.org).get()
    assert response["Location"].endswith(f"/approvals/{change.request_id}/")
    client.force_login(personas.executive)
    page = client.get(response["Location"]).content.decode()
    assert "Proposed change to the baseline" in page and "1300.00" in page
    assert 'id="value-shift">300.00' in page
    client.post(f"/o/{personas.org.slug}/approvals/{change.request_id}/approve/", {})
    history = client.get(page_url(personas, measure, "history/")).content.decode()
    assert "v1 (original)" in history and "v2" in history
    assert "1,000.00" in history and "1,300.00" in history


# --- direct edits of baselined fields ---------------------------------------------------------


def test_kpi_target_is_refused_after_decided_everywhere_with_a_pointer(client, api_as, personas):
    measure = at_decided(personas)
    kpi = kpi_of(measure)
    response = api_as(personas.owner).patch(
        f"/api/v1/orgs/{personas.org.slug}/kpis/{kpi.pk}/", {"target": "1"}, format="json"
    )
    assert response.status_code == 400
    assert "change request" in response.json()["errors"]["target"][0]
    client.force_login(personas.owner)
    page = client.post(
        f"/o/{personas.org.slug}/measures/{measure.pk}/kpis/",
        {
            "form": "kpi",
            "kpi": kpi.pk,
            "name": kpi.name,
            "direction": "lower",
            "target": "1",
            "review_frequency": "monthly",
        },
    )
    assert page.status_code == 422 and "change request" in page.content.decode()
    kpi.refresh_from_db()
    assert kpi.target == Decimal("2")
    # Other fields of the KPI still change directly.
    renamed = api_as(personas.owner).patch(
        f"/api/v1/orgs/{personas.org.slug}/kpis/{kpi.pk}/", {"name": "Scrap"}, format="json"
    )
    assert renamed.status_code == 200


def test_kpi_target_changes_directly_before_decided(api_as, personas):
    measure = at_detailed(personas)
    kpi = Kpi.objects.create(
        organization=personas.org, measure=measure, name="Scrap", direction="lower", target=2
    )
    response = api_as(personas.owner).patch(
        f"/api/v1/orgs/{personas.org.slug}/kpis/{kpi.pk}/", {"target": "1"}, format="json"
    )
    assert response.status_code == 200


def test_financial_baseline_is_refused_in_the_api_and_the_import(api_as, personas):
    measure = at_decided(personas)
    response = api_as(personas.owner).put(
        f"/api/v1/orgs/{personas.org.slug}/measures/{measure.pk}/financials/",
        {"rows": [{"period": MONTH, "line": "benefit", "scenario": "baseline", "amount": "5"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "change request" in str(response.json()["errors"])
    sheet = f"measure,period,line,scenario,amount\n{measure.code},{MONTH},benefit,baseline,5\n"
    result = import_financials(
        organization=personas.org,
        by=personas.owner,
        rows=read_table("financials.csv", sheet.encode()),
        dry_run=False,
    )
    assert not result.ok
    assert any("change request" in error.message for error in result.errors)
    amount = (
        FinancialEntry.objects.for_org(personas.org)
        .get(measure=measure, period=THIS_MONTH, line="benefit", scenario=Scenario.BASELINE)
        .amount
    )
    assert amount == Decimal("1000.00")


def test_financial_grid_points_to_change_requests_after_decided(client, personas):
    measure = at_decided(personas)
    client.force_login(personas.owner)
    page = client.get(f"/o/{personas.org.slug}/measures/{measure.pk}/financials/").content
    assert b"through a change request" in page
    assert page_url(personas, measure).encode() in page


def test_baseline_dates_are_not_written_by_the_measure_or_milestone_api(api_as, personas):
    measure = at_decided(personas)
    milestone = milestone_of(measure)
    before = baseline_snapshot(measure)
    api = api_as(personas.owner)
    api.patch(
        f"/api/v1/orgs/{personas.org.slug}/measures/{measure.pk}/",
        {"baseline_end_date": "2030-01-01"},
        format="json",
    )
    api.patch(
        f"/api/v1/orgs/{personas.org.slug}/measures/{measure.pk}/milestones/{milestone.pk}/",
        {"baseline_due_date": "2030-01-01", "due_date": str(dt.date.today())},
        format="json",
    )
    assert baseline_snapshot(fresh(measure)) == before
    assert BaselineVersion.objects.for_org(personas.org).filter(measure=measure).count() == 1


def test_baseline_pages_cost_the_same_queries_for_few_and_many_changes(
    client, personas, django_assert_max_num_queries
):
    from approvals.changes.services import change_request_submit
    from approvals.services.requests import request_approve

    measure = at_decided(personas)
    client.force_login(personas.owner)

    def ask(amount: str, approve: bool) -> None:
        change = change_request_submit(
            measure=measure,
            by=personas.owner,
            changes={"financials": [{"period": MONTH, "line": "benefit", "amount": amount}]},
            rationale="Again.",
        )
        if approve:
            request_approve(request=change.request, by=personas.executive)

    counts = []
    for round_ in range(2):
        for index in range(1 if round_ == 0 else 6):
            ask(f"{1100 + index + round_ * 10}", approve=True)
        for url in (page_url(personas, measure), page_url(personas, measure, "history/")):
            with django_assert_max_num_queries(40) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
    assert counts[:2] == counts[2:]
