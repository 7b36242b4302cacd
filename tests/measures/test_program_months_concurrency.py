"""Two transactions refreshing the same program-month group one after the other leave it
summed once: the second waits for the first (the program's lock) and then sees its rows."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from measures.models import FinancialEntry, ProgramMonth
from measures.services.figures import measure_months_rebuild, measure_months_refresh
from tests.factories import MeasureFactory, MeasurePackageFactory
from tests.measures.test_measure_months import assert_current, month

# How long the test waits for the second transaction to queue behind the first before it gives
# up (a guard against a hang, not a timing assertion).
WAIT_SECONDS = 60


def someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_group_sum_it_once(personas):
    org = personas.org
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    first, second = MeasureFactory(package=package), MeasureFactory(package=package)
    for measure in (first, second):
        FinancialEntry.objects.create(
            organization=org,
            measure=measure,
            period=month(0),
            line="benefit",
            scenario="plan",
            amount=Decimal("100.00"),
        )
    measure_months_rebuild(organization_id=org.pk)
    assert ProgramMonth.objects.for_org(org).count() == 1
    FinancialEntry.objects.for_org(org).update(amount=Decimal("250.00"))

    first_written, release_first = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def refresh_first() -> None:
        try:
            with transaction.atomic():
                measure_months_refresh(
                    organization_id=org.pk, measure_ids=[first.pk], periods=[month(0)]
                )
                first_written.set()
                assert release_first.wait(WAIT_SECONDS)
        except BaseException as error:
            errors.append(error)
            first_written.set()
        finally:
            connection.close()

    def refresh_second() -> None:
        try:
            assert first_written.wait(WAIT_SECONDS)
            measure_months_refresh(
                organization_id=org.pk, measure_ids=[second.pk], periods=[month(0)]
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_first), threading.Thread(target=refresh_second)]
    for thread in threads:
        thread.start()
    assert first_written.wait(WAIT_SECONDS)
    waited = threading.Event()
    for _ in range(WAIT_SECONDS * 20):
        if someone_waits_on_a_lock():
            waited.set()
            break
        waited.wait(0.05)
    release_first.set()
    for thread in threads:
        thread.join()
    assert not errors
    assert waited.is_set(), "the second refresh queued behind the first"
    assert_current(org)
    group = ProgramMonth.objects.for_org(org).get()
    assert (group.benefit_plan, group.measures) == (Decimal("500.00"), 2)
