"""'My measures': the owner's own measures, what needs attention, constant queries."""

import datetime as dt

import pytest

from tests.factories import MeasureFactory, MeasurePackageFactory
from tests.measures.helpers import identified_ready

pytestmark = pytest.mark.django_db


def test_lists_only_my_measures_with_what_needs_attention(client, personas):
    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    today = dt.date.today()
    late = MeasureFactory(
        package=package,
        owner=personas.owner,
        start_date=today - dt.timedelta(days=90),
        end_date=today - dt.timedelta(days=1),
        code="M-LATE",
    )
    fine = identified_ready(
        personas.org,
        personas.owner,
        start_date=today,
        end_date=today + dt.timedelta(days=30),
        code="M-FINE",
    )
    MeasureFactory(package=package, owner=personas.lead, code="M-THEIRS")
    client.force_login(personas.owner)
    response = client.get("/o/acme/my/measures/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "M-LATE" in page and "M-FINE" in page and "M-THEIRS" not in page
    attention = dict(response.context["attention"])
    assert list(attention) == [late]
    assert "still Defined" in attention[late][0]
    assert fine not in attention


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow(client, personas, django_assert_num_queries, count):
    package = MeasurePackageFactory(project__program__portfolio__organization=personas.org)
    for _ in range(count):
        MeasureFactory(package=package, owner=personas.owner)
    client.force_login(personas.owner)
    client.get("/o/acme/my/measures/")  # the session's first request fills caches
    # The gate settings (read once), the overdue-milestones check and the unread
    # notifications in the navigation: one query each.
    with django_assert_num_queries(15):
        client.get("/o/acme/my/measures/")
