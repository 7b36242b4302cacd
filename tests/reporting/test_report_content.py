"""Each recipient's report holds their own scope and permissions: program A's lead only program
A's figures, the executive the whole organization's, a viewer no money at all."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import mail

from governance.models import Notification
from reporting.models import ReportDefinition, ReportFile, ReportRun, RunState, Trigger
from reporting.reports.render import render, report_for
from reporting.reports.runs import audience_of, report_run
from reporting.widgets.registry import WIDGETS
from tests.reporting.reports_world import (
    FORECAST_A,
    FORECAST_B,
    PLAN_A,
    PLAN_B,
    assert_sheet_is_table,
    leadership_definition,
    make_report_world,
    pdf_text,
    widget_table,
    xlsx_sheets,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def world():
    return make_report_world()


def number(value: object) -> Decimal:
    """A workbook's number as the amount it shows (two decimals)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def test_the_audience_is_the_role_holders_and_the_people_named(world):
    definition = leadership_definition(world)
    assert audience_of(definition=definition, organization=world.org) == [
        world.executive,
        world.lead_a,
    ]


def test_roles_reach_holders_on_or_above_the_scope_node_only(world):
    definition = leadership_definition(
        world, audience_roles=["lead", "executive"], recipients=[], program=world.program_b.pk
    )
    # The lead of program A holds their role beside program B, not above it.
    assert audience_of(definition=definition, organization=world.org) == [world.executive]


def test_inactive_people_are_left_out(world):
    world.lead_a.is_active = False
    world.lead_a.save()
    definition = leadership_definition(world)
    assert audience_of(definition=definition, organization=world.org) == [world.executive]


def funnel(sheets: dict) -> dict[str, dict[str, object]]:
    """The DoI funnel sheet's rows by stage, as ``{stage: {header: value}}``."""
    header, *rows = sheets["DoI funnel"]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows if row and row[0]}


def assert_report_is_the_widgets(world, user, sheets: dict) -> None:
    """Every sheet is the dashboard widget's table for that user, in registry order."""
    assert len(sheets) == len(WIDGETS)
    for rows, key in zip(sheets.values(), WIDGETS, strict=True):
        assert_sheet_is_table(rows, widget_table(world, user, key))


def test_a_program_lead_gets_only_their_programs_figures(world):
    definition = leadership_definition(world)
    report = report_for(definition=definition, organization=world.org, recipient=world.lead_a)
    text = pdf_text(render(report, "pdf")[0])
    assert money(FORECAST_A) in text and money(PLAN_A) in text
    assert money(FORECAST_B) not in text and money(PLAN_B) not in text
    sheets = xlsx_sheets(render(report, "xlsx")[0])
    assert_report_is_the_widgets(world, world.lead_a, sheets)
    stages = funnel(sheets)
    assert stages["Defined"]["Measures"] == 1
    assert (number(stages["Defined"]["Plan"]), number(stages["Defined"]["Forecast"])) == (
        PLAN_A,
        FORECAST_A,
    )
    assert stages["Identified"]["Measures"] == 0 and number(stages["Identified"]["Plan"]) == 0


def test_the_executive_gets_the_whole_organization(world):
    definition = leadership_definition(world)
    report = report_for(definition=definition, organization=world.org, recipient=world.executive)
    text = pdf_text(render(report, "pdf")[0])
    assert money(FORECAST_A) in text and money(FORECAST_B) in text
    sheets = xlsx_sheets(render(report, "xlsx")[0])
    assert_report_is_the_widgets(world, world.executive, sheets)
    stages = funnel(sheets)
    assert number(stages["Defined"]["Forecast"]) == FORECAST_A
    assert number(stages["Identified"]["Forecast"]) == FORECAST_B
    bridge = {row[0]: row for row in sheets["Value bridge"][1:] if row and row[0]}
    assert number(bridge["Target"][2]) == PLAN_A + PLAN_B  # no target set: the plan total


def test_a_viewer_gets_no_money(world):
    definition = leadership_definition(world)
    report = report_for(definition=definition, organization=world.org, recipient=world.viewer)
    text = pdf_text(render(report, "pdf")[0])
    assert money(FORECAST_A) not in text and money(PLAN_A) not in text
    assert "not shown for your role" in text
    sheets = xlsx_sheets(render(report, "xlsx")[0])
    assert_report_is_the_widgets(world, world.viewer, sheets)
    headers = {cell for rows in sheets.values() for cell in (rows[0] if rows else ())}
    assert not headers & {"Plan", "Forecast", "Value at risk", "Amount requested"}
    assert funnel(sheets)["Defined"]["Measures"] == 1  # counts stay


def test_money_cells_are_numbers_with_a_number_format(world):
    from openpyxl import load_workbook

    definition = leadership_definition(world)
    report = report_for(definition=definition, organization=world.org, recipient=world.executive)
    sheet = load_workbook(BytesIO(render(report, "xlsx")[0]))["DoI funnel"]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Forecast") + 1)
    assert isinstance(cell.value, int | float | Decimal)
    assert cell.number_format.startswith("#,##0.00")


def test_csv_is_one_file_per_section_zipped(world):
    definition = leadership_definition(world, formats=["csv"])
    report = report_for(definition=definition, organization=world.org, recipient=world.lead_a)
    content, name, content_type = render(report, "csv")
    assert name.endswith(".zip") and content_type == "application/zip"
    expected = [f"{index:02d}-{key}.csv" for index, key in enumerate(WIDGETS, start=1)]
    with zipfile.ZipFile(BytesIO(content)) as archive:
        assert archive.namelist() == expected
        files = {
            key: archive.read(name).decode("utf-8-sig")
            for key, name in zip(WIDGETS, expected, strict=True)
        }
    for key, text in files.items():
        assert text == widget_table(world, world.lead_a, key).csv()
    assert f"Defined,1,,,{PLAN_A},{FORECAST_A}" in files["doi_funnel"]


def test_a_run_stores_and_mails_each_recipient_their_files(
    world, django_capture_on_commit_callbacks
):
    definition = leadership_definition(world)
    with django_capture_on_commit_callbacks(execute=True):
        run = report_run(definition=definition, triggered_by=Trigger.BEAT)
    assert run is not None
    run = ReportRun.objects.for_org(world.org).get(pk=run.pk)
    assert (run.state, run.attempts, run.reason) == (RunState.DONE, 1, "")
    files = ReportFile.objects.for_org(world.org).filter(run=run)
    assert sorted((f.recipient.username, f.format) for f in files) == [
        ("acme-executive", "pdf"),
        ("acme-executive", "xlsx"),
        ("acme-lead-a", "pdf"),
        ("acme-lead-a", "xlsx"),
    ]
    sent = {message.to[0]: message for message in mail.outbox}
    assert set(sent) == {world.executive.email, world.lead_a.email}
    attachments = sent[world.lead_a.email].attachments
    assert sorted(attachment[0][-4:] for attachment in attachments) == [".pdf", "xlsx"]
    lead_pdf = next(a for a in attachments if a[0].endswith(".pdf"))
    assert money(FORECAST_B) not in pdf_text(lead_pdf[1])
    assert all(f.emailed_at is not None for f in files)
    notes = Notification.objects.for_org(world.org).filter(kind="report.ready")
    assert sorted(notes.values_list("recipient__username", flat=True)) == [
        "acme-executive",
        "acme-lead-a",
    ]
    assert {note.link for note in notes} == {"/o/acme/reports/"}
    # The report's e-mail is the message: the notification sends no second one.
    assert all(note.emailed_at is not None for note in notes) and len(mail.outbox) == 2


def test_schedule_sync_leaves_report_schedules_alone(world):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    definition = leadership_definition(world)
    call_command("schedule_sync")
    assert PeriodicTask.objects.get(pk=definition.periodic_task_id).enabled


def test_a_done_run_is_not_redone(world, django_capture_on_commit_callbacks):
    definition = leadership_definition(world)
    run = report_run(definition=definition, triggered_by=Trigger.BEAT, task_id="beat-1")
    assert run is not None
    again = report_run(definition=definition, triggered_by=Trigger.BEAT, task_id="beat-1")
    assert again is None
    assert ReportRun.objects.for_org(world.org).count() == 1
    assert ReportFile.objects.for_org(world.org).count() == 4


def test_a_program_scoped_report_holds_only_that_program(world):
    definition = leadership_definition(world, program=world.program_b.pk)
    report = report_for(definition=definition, organization=world.org, recipient=world.executive)
    text = pdf_text(render(report, "pdf")[0])
    assert money(FORECAST_B) in text and money(FORECAST_A) not in text
    assert "Program PG-B" in text or "Program Beta" in text


def _case(world, measure, value: str, forum=None):
    from django.utils import timezone

    from governance.models import ExceptionCase

    return ExceptionCase.objects.create(
        organization=world.org,
        root=measure,
        cause="milestone_slip",
        slip_days=5,
        value_at_risk=Decimal(value),
        forum=forum,
        fingerprint="0" * 64,
        opened_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _pending_request(world, measure, days_old: int):
    import datetime as dt

    from django.utils import timezone

    from approvals.models import ApprovalRequest

    request = ApprovalRequest.objects.create(
        organization=world.org,
        kind="gate:decided",
        measure=measure,
        requested_by=world.admin,
        proposed_change={"doi": ["detailed", "decided"]},
    )
    ApprovalRequest.objects.for_org(world.org).filter(pk=request.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_old)
    )
    return request


def test_exceptions_and_approvals_sections_count_only_what_the_recipient_sees(world):
    from governance.models import DecisionForum
    from reporting.reports.sections import section_table
    from reporting.widgets.base import Filters, Scope

    forum = DecisionForum.objects.create(organization=world.org, name="Supply chain SteerCo")
    _case(world, world.measure_a, "5000.00", forum)
    _case(world, world.measure_b, "7000.00", forum)
    _pending_request(world, world.measure_a, days_old=2)
    _pending_request(world, world.measure_b, days_old=20)

    def table(user, key):
        return section_table(key, Scope(organization=world.org, user=user, filters=Filters()))

    executive = table(world.executive, "exceptions_by_forum")
    assert executive.rows == [
        {"forum": "Supply chain SteerCo", "count": 2, "value_at_risk": Decimal("12000.00")}
    ]
    lead = table(world.lead_a, "exceptions_by_forum")
    assert lead.rows == [
        {"forum": "Supply chain SteerCo", "count": 1, "value_at_risk": Decimal("5000.00")}
    ]
    viewer = table(world.viewer, "exceptions_by_forum")
    assert viewer.rows == [{"forum": "Supply chain SteerCo", "count": 2}]
    assert "value_at_risk" not in [column.key for column in viewer.columns]
    ages = {row["age"]: row["count"] for row in table(world.executive, "approvals_by_age").rows}
    assert list(ages.values()) == [1, 1, 0, 0]  # up to a week, 8 to 30, 31 to 90, over 90
    ages = {row["age"]: row["count"] for row in table(world.lead_a, "approvals_by_age").rows}
    assert list(ages.values()) == [1, 0, 0, 0]


def test_a_run_moves_only_along_its_states(world):
    from django_fsm import TransitionNotAllowed

    definition = leadership_definition(world)
    run = ReportRun.objects.create(
        organization=world.org, definition=definition, triggered_by=Trigger.USER
    )
    assert run.state == RunState.QUEUED
    with pytest.raises(TransitionNotAllowed):
        run.finish()
    run.start()
    run.fail()
    run.start()  # a retry
    run.finish()
    assert run.state == RunState.DONE
    with pytest.raises(AttributeError):
        run.state = RunState.QUEUED  # protected: only the transitions move it


def test_a_failing_render_records_the_reason_and_a_retry_completes_the_run(world):
    from reporting.reports.runs import ReportFailed

    definition = leadership_definition(world)
    ReportDefinition.objects.for_org(world.org).filter(pk=definition.pk).update(
        sections=["doi_funnel", "retired_widget"]
    )
    with pytest.raises(ReportFailed) as failure:
        report_run(definition=definition, triggered_by=Trigger.BEAT, task_id="beat-7")
    run = ReportRun.objects.for_org(world.org).get(pk=failure.value.run.pk)
    assert (run.state, run.attempts) == (RunState.FAILED, 1)
    assert "retired_widget" in run.reason
    assert not ReportFile.objects.for_org(world.org).exists()
    ReportDefinition.objects.for_org(world.org).filter(pk=definition.pk).update(
        sections=["doi_funnel"]
    )
    again = report_run(definition=definition, triggered_by=Trigger.BEAT, run=run)
    assert again is not None
    run = ReportRun.objects.for_org(world.org).get(pk=run.pk)
    assert (run.state, run.attempts, run.reason) == (RunState.DONE, 2, "")
