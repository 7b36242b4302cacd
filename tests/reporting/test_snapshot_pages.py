"""The snapshot pages: the list, and one snapshot's figures as reported against as corrected."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.models import FinancialEntry
from measures.services.figures import measure_months_refresh
from reporting.services.snapshots import snapshot_take
from tests.factories import MeasureFactory, MeasurePackageFactory

pytestmark = pytest.mark.django_db


def _forecast(measure, amount):
    month = timezone.localdate().replace(day=1)
    FinancialEntry.objects.for_org(measure.organization_id).update_or_create(
        organization_id=measure.organization_id,
        measure=measure,
        period=month,
        line="benefit",
        scenario="forecast",
        defaults={"amount": Decimal(amount)},
    )
    measure_months_refresh(organization_id=measure.organization_id, measure_ids=[measure.pk])


def _world(personas, count=3):
    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    measures = [MeasureFactory(package=package, owner=personas.owner) for _ in range(count)]
    for measure in measures:
        _forecast(measure, 1000)
    snapshot = snapshot_take(organization=personas.org, kind="manual", period=timezone.localdate())
    return measures, snapshot


def test_a_snapshot_shows_each_figure_as_reported_and_as_corrected(personas, client):
    measures, snapshot = _world(personas)
    _forecast(measures[0], 1500)  # re-forecast since the snapshot
    client.force_login(personas.executive)
    listing = client.get(reverse("snapshot-list", args=["acme"])).content.decode()
    assert reverse("snapshot-compare", args=["acme", snapshot.pk]) in listing
    url = reverse("snapshot-compare", args=["acme", snapshot.pk])
    text = client.get(url).content.decode()
    # Only the changed measure by default; every one with ?changed=0.
    assert measures[0].code in text and measures[1].code not in text
    assert "1,000" in text and "1,500" in text and "500" in text
    everything = client.get(url, {"changed": "0"}).content.decode()
    assert all(measure.code in everything for measure in measures)


def test_the_comparison_downloads_as_csv(personas, client):
    measures, snapshot = _world(personas, count=2)
    _forecast(measures[1], 400)
    client.force_login(personas.executive)
    response = client.get(
        reverse("snapshot-compare", args=["acme", snapshot.pk]), {"format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == [
        "Code",
        "Title",
        "In the snapshot",
        "Benefit forecast as reported",
        "Benefit forecast as corrected",
        "Benefit forecast change",
    ]
    (row,) = rows[1:]
    assert row[0] == measures[1].code and row[3:6] == ["1000.00", "400.00", "-600.00"]


def test_a_viewer_without_financial_access_sees_no_figures(personas, client):
    measures, snapshot = _world(personas, count=1)
    client.force_login(personas.viewer)
    text = client.get(reverse("snapshot-compare", args=["acme", snapshot.pk])).content.decode()
    assert 'id="snapshot-no-money"' in text and measures[0].code not in text


def test_another_tenants_snapshot_is_not_found(personas, client):
    _, snapshot = _world(personas, count=1)
    client.force_login(personas.outsider)
    other = personas.outsider.memberships.first().organization.slug
    assert client.get(reverse("snapshot-compare", args=[other, snapshot.pk])).status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_the_comparison_takes_the_same_queries_at_any_size(
    personas, client, size, django_assert_max_num_queries
):
    measures, snapshot = _world(personas, count=size)
    for measure in measures:
        _forecast(measure, 2000)
    client.force_login(personas.executive)
    url = reverse("snapshot-compare", args=["acme", snapshot.pk])
    client.get(url)
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200
