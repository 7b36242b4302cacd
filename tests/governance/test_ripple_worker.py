"""A recompute killed half-way loses nothing: the worker dies with SIGKILL in the middle of a
recompute, its transaction goes, the marks stay; the next worker finishes the job and the cases
are exactly those of a clean run, without duplicates."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from governance.models import CaseState, ExceptionCase, RippleDirty
from governance.ripple.cases import cases_recompute, open_cases_signature
from governance.tasks import ripple_process_task
from measures.models import Milestone
from tests.conftest import ARTIFACTS
from tests.factories import MeasureFactory, MeasurePackageFactory
from tests.worker import database_url_of_test_db, start_worker, stop_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUE = "ripple-kill-test"
TODAY = timezone.localdate()


def late(measure, days):
    baseline = TODAY + dt.timedelta(days=30)
    Milestone.objects.create(
        organization_id=measure.organization_id,
        measure=measure,
        title=f"Milestone of {measure.code}",
        baseline_due_date=baseline,
        due_date=baseline + dt.timedelta(days=days),
    )


def wait_for(condition, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def backends_waiting_on_a_lock(dsn_name):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [dsn_name],
        )
        return [row[0] for row in cursor.fetchall()]


def backend_alive(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 1


def test_a_worker_killed_mid_recompute_loses_nothing_and_duplicates_nothing(
    personas, celery_worker
):
    org = personas.org
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    # Created in this order so the recompute opens the new case (newcomer) before it rewrites
    # the existing one (worse), where the test holds it.
    first = MeasureFactory(package=package, doi="decided")
    newcomer = MeasureFactory(package=package, doi="decided")
    worse = MeasureFactory(package=package, doi="decided")
    late(first, 10)
    late(worse, 5)
    cases_recompute(organization=org)
    held = ExceptionCase.objects.for_org(org).get(root=worse)
    # Two changes recorded; their marks committed, their messages not sent yet.
    late(newcomer, 20)
    Milestone.objects.for_org(org).filter(measure=worse).update(
        due_date=TODAY + dt.timedelta(days=70)
    )
    for measure in (newcomer, worse):
        RippleDirty.objects.create(
            organization=org, measure_id=measure.pk, marked_at=timezone.now()
        )

    # Another session holds the case the recompute will rewrite.
    holder = psycopg2.connect(database_url_of_test_db())
    holder.autocommit = False
    with holder.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM governance_exceptioncase WHERE id = %s FOR UPDATE", [held.pk]
        )
    try:
        doomed = start_worker(os.environ["TEST_REDIS_URL"], ARTIFACTS, queues=QUEUE, name="doomed")
        ripple_process_task.apply_async(kwargs={"organization_id": org.pk}, queue=QUEUE)
        name = connection.settings_dict["NAME"]
        wait_for(lambda: backends_waiting_on_a_lock(name), "the recompute to reach the held case")
        (stuck,) = backends_waiting_on_a_lock(name)
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=20)
    finally:
        holder.rollback()
        holder.close()
    wait_for(lambda: not backend_alive(stuck), "the killed worker's transaction to end")
    # Nothing of the half-done recompute remains; the marks wait for the next worker.
    assert not ExceptionCase.objects.for_org(org).filter(root=newcomer).exists()
    assert set(RippleDirty.objects.for_org(org).values_list("measure_id", flat=True)) == {
        newcomer.pk,
        worse.pk,
    }

    successor = start_worker(os.environ["TEST_REDIS_URL"], ARTIFACTS, queues=QUEUE, name="next")
    try:
        result = ripple_process_task.apply_async(kwargs={"organization_id": org.pk}, queue=QUEUE)
        assert result.get(timeout=60) >= 1
    finally:
        stop_worker(successor)
    assert not RippleDirty.objects.for_org(org).exists()
    after_worker = open_cases_signature(org)
    open_cases = ExceptionCase.objects.for_org(org).filter(state=CaseState.OPEN)
    assert open_cases.count() == 3 == len(after_worker)
    # A clean full recompute finds nothing to change.
    clean = cases_recompute(organization=org)
    assert (clean.opened, clean.updated, clean.cleared) == (0, 0, 0)
    assert open_cases_signature(org) == after_worker
