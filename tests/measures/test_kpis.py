"""KPIs: definitions, monthly values, variance, the target baseline frozen at Decided, the tab
and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple
from decimal import Decimal

import pytest

from governance.errors import AccessDenied, ValidationError
from measures.models import DoI, Kpi, KpiValue
from measures.services.financials import financials_upsert
from measures.services.kpis import (
    kpi_create,
    kpi_update,
    kpi_value_upsert,
    variance_of,
)
from measures.services.stages import advance_by_approval, transition
from tests.factories import MeasureFactory
from tests.measures.helpers import detailed_ready

pytestmark = pytest.mark.django_db

THIS_MONTH = f"{dt.date.today():%Y-%m}"


@pytest.fixture
def measure(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )


def new_kpi(personas, measure, **values):
    fields = {"name": "Scrap rate", "unit": "%", "direction": "lower", "target": "2", **values}
    return kpi_create(organization=personas.org, measure=measure, by=personas.owner, **fields)


def values_of(kpi):
    return KpiValue.objects.for_org(kpi.organization_id).filter(kpi=kpi)


def test_owner_defines_a_kpi_and_records_a_month(personas, measure):
    kpi = new_kpi(personas, measure, baseline="4.5")
    assert kpi.baseline == Decimal("4.5") and kpi.target_baseline is None
    row = kpi_value_upsert(
        kpi=kpi,
        period=THIS_MONTH,
        actual="3",
        forecast="2.5",
        commentary=" New die ",
        by=personas.owner,
    )
    assert (row.actual, row.forecast, row.commentary) == (Decimal(3), Decimal("2.5"), "New die")
    # The same month again replaces it.
    kpi_value_upsert(kpi=kpi, period=THIS_MONTH, actual="1.5", by=personas.contributor)
    assert values_of(kpi).get().actual == Decimal("1.5")


def test_target_baseline_is_frozen_when_the_measure_enters_decided(personas):
    measure = detailed_ready(personas.org, personas.owner, personas.executive, personas.controller)
    kpi = new_kpi(personas, measure, target="2")
    financials_upsert(
        measure=measure,
        rows=[
            {"period": THIS_MONTH, "line": line, "scenario": "plan", "amount": "100"}
            for line in ("benefit", "one_time_cost")
        ],
        by=personas.owner,
    )
    transition(measure, DoI.IDENTIFIED, by=personas.owner)
    transition(measure, DoI.DETAILED, by=personas.owner)
    kpi.refresh_from_db()
    assert kpi.target_baseline is None
    advance_by_approval(measure, DoI.DECIDED, approved_by=personas.executive)
    kpi.refresh_from_db()
    assert kpi.target_baseline == Decimal(2)
    # After Decided the target changes only through a change request (approvals.changes).
    with pytest.raises(ValidationError) as refused:
        kpi_update(kpi=kpi, by=personas.owner, target="1")
    assert "change request" in refused.value.message_dict["target"][0]
    kpi.refresh_from_db()
    assert (kpi.target, kpi.target_baseline) == (Decimal(2), Decimal(2))


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"target": "abc"}, "target", "not a number"),
        ({"target": "1e12"}, "target", "below 1,000,000,000,000"),
        ({"target": -(10**13)}, "target", "below"),
        ({"target": "NaN"}, "target", "finite"),
        ({"target": ""}, "target", "Give a value"),
        ({"baseline": "1.00001"}, "baseline", "four decimal"),
        ({"name": "  "}, "name", "name"),
        ({"direction": "up"}, "direction", "Choose one of"),
        ({"review_frequency": "daily"}, "review_frequency", "Choose one of"),
    ],
)
def test_bad_kpi_definitions_are_refused_and_nothing_written(
    personas, measure, values, field, words
):
    with pytest.raises(ValidationError) as caught:
        new_kpi(personas, measure, **values)
    assert words in " ".join(caught.value.message_dict[field])
    assert not Kpi.objects.for_org(personas.org).exists()


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"actual": "lots"}, "actual", "not a number"),
        ({"forecast": "2e12"}, "forecast", "below 1,000,000,000,000"),
        ({"actual": [1]}, "actual", "Give a number"),
        ({"period": "1990-01"}, "period", "outside the fiscal range"),
        ({"period": "2025-13"}, "period", "is not a month"),
    ],
)
def test_bad_values_are_refused_and_nothing_written(personas, measure, values, field, words):
    kpi = new_kpi(personas, measure)
    with pytest.raises(ValidationError) as caught:
        kpi_value_upsert(kpi=kpi, by=personas.owner, **{"period": THIS_MONTH, **values})
    assert words in " ".join(caught.value.message_dict[field])
    assert not values_of(kpi).exists()


def test_variance_is_signed_by_direction(personas, measure):
    lower = new_kpi(personas, measure, direction="lower", target="2")
    higher = new_kpi(personas, measure, name="Yield", direction="higher", target="90")
    assert astuple(variance_of(lower, Decimal("2.5"))) == (Decimal("0.5"), "unfavourable")
    assert variance_of(lower, Decimal("1.5")).verdict == "favourable"
    assert astuple(variance_of(higher, Decimal(95))) == (Decimal(5), "favourable")
    assert variance_of(higher, Decimal(80)).verdict == "unfavourable"
    assert variance_of(higher, Decimal(90)).verdict == "favourable"
    assert variance_of(higher, None).verdict == ""


def test_a_kpi_belongs_to_exactly_one_parent(personas, measure):
    project = measure.project
    with pytest.raises(ValidationError):
        kpi_create(
            organization=personas.org,
            measure=measure,
            project=project,
            by=personas.lead,
            name="x",
            direction="higher",
            target=1,
        )
    kpi = kpi_create(
        organization=personas.org,
        project=project,
        by=personas.lead,
        name="On-time delivery",
        direction="higher",
        target=95,
    )
    assert kpi.measure_id is None and kpi.project_id == project.pk


@pytest.mark.parametrize("persona", ["viewer", "executive", "controller"])
def test_who_may_not_contribute_cannot_write_kpis(personas, measure, persona):
    with pytest.raises(AccessDenied):
        kpi_create(
            organization=personas.org,
            measure=measure,
            by=getattr(personas, persona),
            name="x",
            direction="higher",
            target=1,
        )
    kpi = new_kpi(personas, measure)
    with pytest.raises(AccessDenied):
        kpi_value_upsert(kpi=kpi, period=THIS_MONTH, actual=1, by=getattr(personas, persona))
    assert not values_of(kpi).exists()


# --- the tab ----------------------------------------------------------------------------------


def page(measure) -> str:
    return f"/o/acme/measures/{measure.pk}/kpis/"


def test_tab_lists_kpis_with_latest_actual_and_variance(personas, measure, client):
    kpi = new_kpi(personas, measure, target="2")
    kpi_value_upsert(kpi=kpi, period=THIS_MONTH, actual="3", by=personas.owner)
    client.force_login(personas.viewer)
    html = client.get(page(measure)).content.decode()
    assert "Scrap rate" in html and "unfavourable" in html and "Add a KPI" not in html


def test_tab_form_keeps_input_and_marks_errors(personas, measure, client):
    client.force_login(personas.owner)
    answer = client.post(
        page(measure),
        {"form": "kpi", "name": "Scrap", "unit": "%", "direction": "lower", "target": "zwei"},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'value="zwei"' in html and "is-invalid" in html and 'aria-invalid="true"' in html
    assert "not a number" in html
    assert not Kpi.objects.for_org(personas.org).exists()
    answer = client.post(
        page(measure),
        {"form": "kpi", "name": "Scrap", "unit": "%", "direction": "lower", "target": "2"},
    )
    assert answer.status_code == 302
    kpi = Kpi.objects.for_org(personas.org).get()
    answer = client.post(
        page(measure),
        {"form": "value", "kpi": kpi.pk, "period": THIS_MONTH, "actual": "-1e15", "forecast": "3"},
    )
    assert answer.status_code == 422
    assert 'value="-1e15"' in answer.content.decode() and not values_of(kpi).exists()
    answer = client.post(
        page(measure),
        {"form": "value", "kpi": kpi.pk, "period": THIS_MONTH, "actual": "1.5", "commentary": "ok"},
    )
    assert answer.status_code == 302 and values_of(kpi).get().actual == Decimal("1.5")


def test_tab_access(personas, measure, client):
    client.force_login(personas.outsider)
    assert client.get(page(measure)).status_code == 404
    client.force_login(personas.viewer)
    assert client.get(page(measure)).status_code == 200
    assert client.post(page(measure), {"form": "kpi", "name": "x"}).status_code == 403


def test_tab_query_count_does_not_grow(personas, measure, client, django_assert_max_num_queries):
    client.force_login(personas.owner)
    new_kpi(personas, measure)
    with django_assert_max_num_queries(30) as few:
        client.get(page(measure))
    for number in range(15):
        kpi = new_kpi(personas, measure, name=f"KPI {number}")
        kpi_value_upsert(kpi=kpi, period=THIS_MONTH, actual=number, by=personas.owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(page(measure))


def test_project_page_shows_its_kpis(personas, measure, client):
    kpi_create(
        organization=personas.org,
        project=measure.project,
        by=personas.lead,
        name="On-time delivery",
        direction="higher",
        target=95,
    )
    client.force_login(personas.viewer)
    html = client.get(f"/o/acme/projects/{measure.project_id}/").content.decode()
    assert "On-time delivery" in html


# --- the API ----------------------------------------------------------------------------------


def test_api_creates_filters_and_upserts_values(personas, measure, api_as):
    client = api_as(personas.owner)
    other = MeasureFactory(package=measure.package)
    answer = client.post(
        "/api/v1/orgs/acme/kpis/",
        {"measure": measure.pk, "name": "Scrap", "direction": "lower", "target": "2"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    kpi_id = answer.json()["id"]
    kpi_create(
        organization=personas.org,
        measure=other,
        by=personas.lead,
        name="Other",
        direction="higher",
        target=1,
    )
    listed = client.get(f"/api/v1/orgs/acme/kpis/?measure={measure.pk}").json()["results"]
    assert [row["id"] for row in listed] == [kpi_id]
    answer = client.put(
        f"/api/v1/orgs/acme/kpis/{kpi_id}/values/",
        {"period": THIS_MONTH, "actual": "2.5", "commentary": "Late"},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["variance_verdict"] == "unfavourable"
    answer = client.put(
        f"/api/v1/orgs/acme/kpis/{kpi_id}/values/",
        {"period": THIS_MONTH, "actual": "abc"},
        format="json",
    )
    assert answer.status_code == 400 and "not a number" in answer.json()["errors"]["actual"][0]
    values = client.get(f"/api/v1/orgs/acme/kpis/{kpi_id}/values/").json()["results"]
    assert [row["actual"] for row in values] == ["2.5000"]
    detail = client.get(f"/api/v1/orgs/acme/kpis/{kpi_id}/").json()
    assert detail["latest_actual"] == "2.5000" and detail["variance"] == "0.5000"
    answer = client.patch(f"/api/v1/orgs/acme/kpis/{kpi_id}/", {"target": "3"}, format="json")
    assert answer.status_code == 200 and answer.json()["variance_verdict"] == "favourable"


def test_api_access_and_tenant_isolation(personas, measure, api_as):
    kpi = new_kpi(personas, measure)
    assert api_as(personas.outsider).get(f"/api/v1/orgs/acme/kpis/{kpi.pk}/").status_code == 404
    assert api_as(personas.outsider).get("/api/v1/orgs/globex/kpis/").json()["results"] == []
    viewer = api_as(personas.viewer)
    assert viewer.get(f"/api/v1/orgs/acme/kpis/{kpi.pk}/").status_code == 200
    assert viewer.patch(f"/api/v1/orgs/acme/kpis/{kpi.pk}/", {"target": 1}).status_code == 403
    answer = viewer.put(f"/api/v1/orgs/acme/kpis/{kpi.pk}/values/", {"period": THIS_MONTH})
    assert answer.status_code == 403
    assert viewer.delete(f"/api/v1/orgs/acme/kpis/{kpi.pk}/").status_code == 403
    assert Kpi.objects.for_org(personas.org).filter(target=2).exists()


@pytest.mark.parametrize("parent", ["measure", "project"])
def test_api_writes_are_guarded_by_the_version_of_the_kpis_parent(
    personas, measure, api_as, parent
):
    owner = measure if parent == "measure" else measure.project
    kpi = kpi_create(
        organization=personas.org,
        by=personas.lead,
        name="Scrap",
        direction="lower",
        target=2,
        **{parent: owner},
    )

    def version():
        return type(owner).objects.for_org(personas.org).get(pk=owner.pk).version

    def definition():
        return Kpi.objects.for_org(personas.org).get(pk=kpi.pk).target

    api = api_as(personas.lead)
    url = f"/api/v1/orgs/acme/kpis/{kpi.pk}/"
    etag = api.get(url)["ETag"]
    assert etag == f'"{version()}"' == api.get(f"{url}values/")["ETag"]
    stale = f'"{version() - 1}"'
    full = {"name": "Scrap", "direction": "lower", "target": "5"}
    month = {"period": THIS_MONTH, "actual": "1"}
    for answer in (
        api.put(url, full, format="json", HTTP_IF_MATCH=stale),
        api.patch(url, {"target": "5"}, format="json", HTTP_IF_MATCH=stale),
        api.put(f"{url}values/", month, format="json", HTTP_IF_MATCH=stale),
        api.delete(url, HTTP_IF_MATCH=stale),
    ):
        assert answer.status_code == 412, answer.json()
    assert definition() == 2 and not values_of(kpi).exists()
    assert f'"{version()}"' == etag
    answer = api.patch(url, {"target": "3"}, format="json", HTTP_IF_MATCH=etag)
    assert answer.status_code == 200 and definition() == 3
    assert answer["ETag"] == f'"{version()}"' != etag
    assert api.put(url, full, format="json", HTTP_IF_MATCH=etag).status_code == 412
    answer = api.put(url, full, format="json", HTTP_IF_MATCH=answer["ETag"])
    assert answer.status_code == 200 and definition() == 5
    recorded = api.put(f"{url}values/", month, format="json", HTTP_IF_MATCH=answer["ETag"])
    assert recorded.status_code == 200 and values_of(kpi).count() == 1
    assert recorded["ETag"] == f'"{version()}"' != answer["ETag"]
    removed = api.delete(url, HTTP_IF_MATCH=recorded["ETag"])
    assert removed.status_code == 204
    assert not Kpi.objects.for_org(personas.org).filter(pk=kpi.pk).exists()
