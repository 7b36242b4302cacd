"""A scheduled definition fires through beat's entry and a live worker: each recipient's PDF and
XLSX hold their own scope's numbers; a failing run is retried and ends failed with its reason."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.storage import default_storage
from django_celery_beat.models import PeriodicTask

from config.celery import app
from reporting.models import ReportDefinition, ReportFile, ReportRun, RunState
from reporting.reports.runs import MAX_ATTEMPTS
from reporting.widgets.registry import WIDGETS
from tests.reporting.reports_world import (
    FORECAST_A,
    FORECAST_B,
    assert_sheet_is_table,
    leadership_definition,
    make_report_world,
    pdf_text,
    widget_table,
    xlsx_sheets,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def fire(definition: ReportDefinition) -> None:
    """What beat does when the definition's crontab is due: send its entry's task and kwargs."""
    entry = PeriodicTask.objects.get(pk=definition.periodic_task_id)
    app.send_task(entry.task, kwargs=json.loads(entry.kwargs))


def wait_for_run(definition: ReportDefinition, states: set[str], timeout: float = 90) -> ReportRun:
    runs = ReportRun.objects.for_org(definition.organization_id).filter(definition=definition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = runs.first()
        if run is not None and run.state in states:
            return run
        time.sleep(0.3)
    raise AssertionError(f"No run reached {states}: {list(runs.values('state', 'reason'))}")


@pytest.fixture
def stored_files():
    """Files the worker stores go to the default MEDIA_ROOT: removed after the test."""
    yield
    for name in ReportFile.objects.unscoped().values_list("file", flat=True):
        default_storage.delete(name)


def money(value) -> str:
    return f"{value:,.2f}"


def test_a_scheduled_report_reaches_each_recipient_in_their_own_scope(celery_worker, stored_files):
    world = make_report_world()
    definition = leadership_definition(world, recipients=[world.lead_a.pk, world.viewer.pk])
    fire(definition)
    run = wait_for_run(definition, {RunState.DONE, RunState.FAILED})
    assert (run.state, run.reason, run.attempts, run.triggered_by) == (RunState.DONE, "", 1, "beat")
    assert run.started_at is not None and run.finished_at is not None
    files = {
        (row.recipient.username, row.format): row
        for row in ReportFile.objects.for_org(world.org).filter(run=run).select_related("recipient")
    }
    assert set(files) == {
        (name, fmt)
        for name in ("acme-executive", "acme-lead-a", "acme-viewer")
        for fmt in ("pdf", "xlsx")
    }

    def read(name: str, fmt: str) -> bytes:
        with files[(name, fmt)].file.open("rb") as handle:
            return handle.read()

    lead = pdf_text(read("acme-lead-a", "pdf"))
    assert money(FORECAST_A) in lead and money(FORECAST_B) not in lead
    executive = pdf_text(read("acme-executive", "pdf"))
    assert money(FORECAST_A) in executive and money(FORECAST_B) in executive
    viewer = pdf_text(read("acme-viewer", "pdf"))
    assert money(FORECAST_A) not in viewer and money(FORECAST_B) not in viewer

    people = {user.username: user for user in (world.executive, world.lead_a, world.viewer)}
    for name, user in people.items():
        # Each workbook is the recipient's own dashboard widgets, sheet by sheet.
        sheets = xlsx_sheets(read(name, "xlsx"))
        for rows, key in zip(sheets.values(), WIDGETS, strict=True):
            assert_sheet_is_table(rows, widget_table(world, user, key))

    def forecasts(name: str) -> dict[str, float]:
        rows = xlsx_sheets(read(name, "xlsx"))["DoI funnel"]
        column = rows[0].index("Forecast")
        return {row[0]: row[column] for row in rows[1:] if row and row[column]}

    assert forecasts("acme-lead-a") == {"Defined": pytest.approx(float(FORECAST_A))}
    assert forecasts("acme-executive") == {
        "Defined": pytest.approx(float(FORECAST_A)),
        "Identified": pytest.approx(float(FORECAST_B)),
    }
    assert "Forecast" not in xlsx_sheets(read("acme-viewer", "xlsx"))["DoI funnel"][0]
    # The e-mail task ran after the run committed.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        row.emailed_at is None for row in ReportFile.objects.for_org(world.org).filter(run=run)
    ):
        time.sleep(0.3)
    assert all(row.emailed_at for row in ReportFile.objects.for_org(world.org).filter(run=run))


def test_a_failing_run_is_retried_and_ends_failed_with_its_reason(celery_worker, stored_files):
    # The live worker retries after REPORT_RETRY_BASE_SECONDS (1 s there, see conftest), then 4 s.
    world = make_report_world()
    definition = leadership_definition(world)
    # A section removed since the definition was written: rendering cannot succeed.
    ReportDefinition.objects.for_org(world.org).filter(pk=definition.pk).update(
        sections=["doi_funnel", "retired_widget"]
    )
    fire(definition)
    first = wait_for_run(definition, {RunState.FAILED})
    assert "retired_widget" in first.reason
    run = first
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        run = ReportRun.objects.for_org(world.org).get(pk=first.pk)
        if run.attempts >= MAX_ATTEMPTS and run.state == RunState.FAILED:
            break
        time.sleep(0.5)
    assert (run.state, run.attempts) == (RunState.FAILED, MAX_ATTEMPTS)
    assert "UnknownSection" in run.reason and "retired_widget" in run.reason
    assert ReportRun.objects.for_org(world.org).count() == 1
    assert not ReportFile.objects.for_org(world.org).exists()
