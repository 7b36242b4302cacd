"""Capacity: people, availability, effort, over-allocation, the pages and the API."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.errors import AccessDenied, ValidationError
from measures.fiscal import add_months
from measures.models import Availability, CapacityPerson, Effort, Measure
from measures.services.capacity import (
    availability_upsert,
    effort_upsert,
    overallocations,
    person_create,
)
from tests.factories import FunctionFactory, MeasureFactory

pytestmark = pytest.mark.django_db

THIS_MONTH = dt.date.today().replace(day=1)


def month(offset: int = 0) -> str:
    return f"{add_months(THIS_MONTH, offset):%Y-%m}"


@pytest.fixture
def measure(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )


@pytest.fixture
def person(personas):
    return person_create(organization=personas.org, by=personas.admin, name="Ada")


def effort(measure, person_id, hours, offset=0, actual=None):
    return {
        "person": person_id,
        "period": month(offset),
        "planned_hours": hours,
        "actual_hours": actual,
    }


def effort_rows(org):
    return Effort.objects.for_org(org)


def test_owner_plans_effort_and_admin_sets_availability(personas, measure, person):
    assert (
        availability_upsert(
            organization=personas.org,
            period=month(),
            rows=[{"person": person.pk, "hours": "120"}],
            by=personas.admin,
        )
        == 1
    )
    assert (
        effort_upsert(
            measure=measure,
            rows=[effort(measure, person.pk, "40", actual="12.5")],
            by=personas.owner,
        )
        == 1
    )
    row = effort_rows(personas.org).get()
    assert (row.planned_hours, row.actual_hours) == (Decimal(40), Decimal("12.5"))
    # Sending the month again replaces it.
    effort_upsert(measure=measure, rows=[effort(measure, person.pk, 50)], by=personas.owner)
    assert effort_rows(personas.org).get().planned_hours == Decimal(50)


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ({"planned_hours": "-1"}, "planned_hours", "cannot be negative"),
        ({"planned_hours": "745"}, "planned_hours", "at most 744"),
        ({"planned_hours": "1e15"}, "planned_hours", "at most 744"),
        ({"planned_hours": "many"}, "planned_hours", "not a number"),
        ({"planned_hours": ""}, "planned_hours", "Give the hours"),
        ({"actual_hours": "-0.5"}, "actual_hours", "cannot be negative"),
        ({"period": "1990-01"}, "period", "outside the fiscal range"),
        ({"person": 999_999}, "person", "No such person"),
    ],
)
def test_bad_effort_is_refused_and_nothing_written(personas, measure, person, row, field, words):
    good = effort(measure, person.pk, 10, offset=1)
    bad = {**effort(measure, person.pk, 10), **row}
    with pytest.raises(ValidationError) as caught:
        effort_upsert(measure=measure, rows=[good, bad], by=personas.owner)
    assert words in " ".join(caught.value.message_dict[f"rows.1.{field}"])
    assert not effort_rows(personas.org).exists()


@pytest.mark.parametrize("hours", ["-8", "800", "1e13", "x"])
def test_bad_availability_is_refused_and_nothing_written(personas, person, hours):
    other = person_create(organization=personas.org, by=personas.admin, name="Bob")
    with pytest.raises(ValidationError) as caught:
        availability_upsert(
            organization=personas.org,
            period=month(),
            rows=[{"person": other.pk, "hours": 10}, {"person": person.pk, "hours": hours}],
            by=personas.admin,
        )
    assert "rows.1.hours" in caught.value.message_dict
    assert not Availability.objects.for_org(personas.org).exists()


def test_only_admins_keep_people_and_availability(personas, person):
    for who in (personas.lead, personas.owner, personas.viewer):
        with pytest.raises(AccessDenied):
            person_create(organization=personas.org, by=who, name="Eve")
        with pytest.raises(AccessDenied):
            availability_upsert(
                organization=personas.org,
                period=month(),
                rows=[{"person": person.pk, "hours": 1}],
                by=who,
            )


@pytest.mark.parametrize("persona", ["viewer", "contributor", "controller", "executive"])
def test_who_may_not_change_the_measure_cannot_plan_effort(personas, measure, person, persona):
    with pytest.raises(AccessDenied):
        effort_upsert(
            measure=measure, rows=[effort(measure, person.pk, 1)], by=getattr(personas, persona)
        )
    assert not effort_rows(personas.org).exists()


def test_overallocation_matches_a_brute_force_sum(personas):
    generator = random.Random(7)
    people = [
        CapacityPerson.objects.create(organization=personas.org, name=f"P{n}") for n in range(6)
    ]
    measures = [
        MeasureFactory(package__project__program__portfolio__organization=personas.org)
        for _ in range(4)
    ]
    periods = [add_months(THIS_MONTH, offset) for offset in range(4)]
    available: dict[tuple[int, dt.date], Decimal] = {}
    for someone in people:
        for period in periods:
            if generator.random() < 0.8:
                hours = Decimal(generator.randrange(0, 160))
                available[(someone.pk, period)] = hours
                Availability.objects.create(
                    organization=personas.org, person=someone, period=period, hours=hours
                )
    planned: dict[tuple[int, dt.date], Decimal] = defaultdict(Decimal)
    for item in measures:
        for someone in people:
            for period in periods:
                if generator.random() < 0.6:
                    hours = Decimal(generator.randrange(0, 90))
                    planned[(someone.pk, period)] += hours
                    Effort.objects.create(
                        organization=personas.org,
                        measure=item,
                        person=someone,
                        period=period,
                        planned_hours=hours,
                    )
    # Another tenant's hours never count.
    other = CapacityPerson.objects.create(organization=personas.other_org, name="Elsewhere")
    Effort.objects.create(
        organization=personas.other_org,
        measure=MeasureFactory(
            package__project__program__portfolio__organization=personas.other_org
        ),
        person=other,
        period=periods[0],
        planned_hours=700,
    )
    expected = {
        key: (hours, available.get(key, Decimal(0)))
        for key, hours in planned.items()
        if hours > available.get(key, Decimal(0))
    }
    found = overallocations(organization=personas.org, first=periods[0], last=periods[-1])
    assert {(o.person_id, o.period): (o.planned, o.available) for o in found} == expected
    assert expected


# --- the pages --------------------------------------------------------------------------------


def test_capacity_page_marks_over_allocation_and_filters_by_function(personas, measure, client):
    sales = FunctionFactory(organization=personas.org, name="Sales")
    ada = person_create(organization=personas.org, by=personas.admin, name="Ada", function=sales.pk)
    person_create(organization=personas.org, by=personas.admin, name="Bob")
    availability_upsert(
        organization=personas.org,
        period=month(),
        rows=[{"person": ada.pk, "hours": 10}],
        by=personas.admin,
    )
    effort_upsert(measure=measure, rows=[effort(measure, ada.pk, 20)], by=personas.owner)
    client.force_login(personas.viewer)
    html = client.get("/o/acme/capacity/").content.decode()
    assert 'data-over="true"' in html and "Ada" in html and "Bob" in html
    assert "Add a person" not in html
    html = client.get(f"/o/acme/capacity/?function={sales.pk}").content.decode()
    assert "Ada" in html and "Bob" not in html


def test_capacity_page_keeps_input_on_error(personas, person, client):
    client.force_login(personas.admin)
    answer = client.post(
        "/o/acme/capacity/",
        {"form": "availability", "person": person.pk, "period": month(), "hours": "-3"},
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'value="-3"' in html and "cannot be negative" in html and "is-invalid" in html
    assert not Availability.objects.for_org(personas.org).exists()
    client.force_login(personas.lead)
    assert client.post("/o/acme/capacity/", {"form": "person", "name": "X"}).status_code == 403


def test_measure_tab_warns_about_over_allocated_people(personas, measure, person, client):
    other = MeasureFactory(package=measure.package)
    effort_upsert(measure=other, rows=[effort(other, person.pk, 100)], by=personas.lead)
    client.force_login(personas.owner)
    url = f"/o/acme/measures/{measure.pk}/capacity/"
    answer = client.post(
        url, {"person": person.pk, "period": month(), "planned_hours": "-5", "actual_hours": ""}
    )
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'value="-5"' in html and "cannot be negative" in html and 'aria-invalid="true"' in html
    assert not effort_rows(personas.org).filter(measure=measure).exists()
    answer = client.post(url, {"person": person.pk, "period": month(), "planned_hours": "20"})
    assert answer.status_code == 302
    html = client.get(url).content.decode()
    assert "Over-allocated" in html and "Ada" in html


def test_measure_tab_access(personas, measure, client):
    url = f"/o/acme/measures/{measure.pk}/capacity/"
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404
    client.force_login(personas.viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"planned_hours": "1"}).status_code == 403


def test_capacity_page_query_count_is_the_same_for_3_and_30_people(personas, measure, client):
    function = FunctionFactory(organization=personas.org)
    client.force_login(personas.admin)
    counts = []
    for size in (3, 30):
        CapacityPerson.objects.for_org(personas.org).delete()
        for number in range(size):
            someone = CapacityPerson.objects.create(
                organization=personas.org, name=f"P{number}", function=function
            )
            Availability.objects.create(
                organization=personas.org, person=someone, period=THIS_MONTH, hours=10
            )
            Effort.objects.create(
                organization=personas.org,
                measure=measure,
                person=someone,
                period=THIS_MONTH,
                planned_hours=number,
            )
        client.get("/o/acme/capacity/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/o/acme/capacity/").status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- the API ----------------------------------------------------------------------------------


def test_api_people_availability_effort_and_overallocations(personas, measure, api_as):
    admin = api_as(personas.admin)
    answer = admin.post("/api/v1/orgs/acme/capacity/people/", {"name": "Ada"}, format="json")
    assert answer.status_code == 201
    ada = answer.json()["id"]
    answer = admin.post(
        "/api/v1/orgs/acme/capacity/availability/",
        {"period": month(), "rows": [{"person": ada, "hours": "-1"}]},
        format="json",
    )
    assert answer.status_code == 400 and "rows.0.hours" in answer.json()["errors"]
    answer = admin.post(
        "/api/v1/orgs/acme/capacity/availability/",
        {"period": month(), "rows": [{"person": ada, "hours": "10"}]},
        format="json",
    )
    assert answer.json() == {"written": 1}
    owner = api_as(personas.owner)
    answer = owner.put(
        f"/api/v1/orgs/acme/measures/{measure.pk}/effort/",
        {"rows": [{"person": ada, "period": month(), "planned_hours": "800"}]},
        format="json",
    )
    assert answer.status_code == 400 and "at most 744" in str(answer.json()["errors"])
    answer = owner.put(
        f"/api/v1/orgs/acme/measures/{measure.pk}/effort/",
        {"rows": [{"person": ada, "period": month(), "planned_hours": "12"}]},
        format="json",
    )
    assert answer.status_code == 200 and answer.headers["ETag"]
    listed = owner.get(f"/api/v1/orgs/acme/measures/{measure.pk}/effort/").json()["results"]
    assert [row["planned_hours"] for row in listed] == ["12.00"]
    found = owner.get(
        f"/api/v1/orgs/acme/capacity/overallocations/?from={month()}&to={month(2)}"
    ).json()
    assert found == [
        {
            "person": ada,
            "period": f"{month()}-01",
            "planned_hours": "12.00",
            "available_hours": "10.00",
        }
    ]
    answer = owner.get(f"/api/v1/orgs/acme/capacity/overallocations/?from={month(2)}&to={month()}")
    assert answer.status_code == 400


def test_api_access_and_tenant_isolation(personas, measure, person, api_as):
    viewer = api_as(personas.viewer)
    assert viewer.post("/api/v1/orgs/acme/capacity/people/", {"name": "x"}).status_code == 403
    answer = viewer.put(
        f"/api/v1/orgs/acme/measures/{measure.pk}/effort/",
        {"rows": [{"person": person.pk, "period": month(), "planned_hours": "1"}]},
        format="json",
    )
    assert answer.status_code == 403
    outsider = api_as(personas.outsider)
    assert outsider.get(f"/api/v1/orgs/acme/measures/{measure.pk}/effort/").status_code == 404
    assert outsider.get("/api/v1/orgs/acme/capacity/people/").status_code == 404
    assert outsider.get("/api/v1/orgs/globex/capacity/people/").json()["results"] == []
    answer = api_as(personas.admin).put(
        f"/api/v1/orgs/acme/measures/{measure.pk}/effort/",
        {
            "rows": [
                {
                    "person": CapacityPerson.objects.create(
                        organization=personas.other_org, name="Foreign"
                    ).pk,
                    "period": month(),
                    "planned_hours": "1",
                }
            ]
        },
        format="json",
    )
    assert answer.status_code == 400 and not effort_rows(personas.org).exists()


def test_api_effort_is_guarded_by_the_measures_version(personas, measure, person, api_as):
    def version():
        return Measure.objects.for_org(personas.org).get(pk=measure.pk).version

    api = api_as(personas.owner)
    url = f"/api/v1/orgs/acme/measures/{measure.pk}/effort/"
    etag = api.get(url)["ETag"]
    assert etag == f'"{version()}"'
    body = {"rows": [effort(measure, person.pk, "12")]}
    answer = api.put(url, body, format="json", HTTP_IF_MATCH=f'"{version() - 1}"')
    assert answer.status_code == 412
    assert not effort_rows(personas.org).exists() and f'"{version()}"' == etag
    answer = api.put(url, body, format="json", HTTP_IF_MATCH=etag)
    assert answer.status_code == 200 and effort_rows(personas.org).count() == 1
    assert answer["ETag"] == f'"{version()}"' != etag
    body = {"rows": [effort(measure, person.pk, "20")]}
    assert api.put(url, body, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert effort_rows(personas.org).get().planned_hours == Decimal("12")
