"""The report settings pages (org admins) and the archive (every member): schedules reach beat,
refused forms keep what was typed, downloads are the recipient's (and org admins')."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from reporting.models import ReportDefinition, ReportFile, ReportRun, RunState, Trigger
from reporting.reports.runs import report_run
from tests.reporting.reports_world import leadership_definition, make_report_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def world():
    return make_report_world()


def form_data(world, **changes):
    data = {
        "title": "Monthly steering pack",
        "scope": f"program:{world.program_a.pk}",
        "sections": ["doi_funnel", "approvals_by_age"],
        "formats": ["pdf", "csv"],
        "audience_roles": ["lead"],
        "recipients": [str(world.executive.pk)],
        "cron_minute": "30",
        "cron_hour": "6",
        "cron_day_of_month": "1",
        "cron_month_of_year": "*",
        "cron_day_of_week": "*",
        "email": "on",
        "enabled": "on",
    }
    data.update(changes)
    return data


def test_an_admin_creates_a_report_and_beat_gets_its_schedule(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("report-definition-create", args=["acme"]), form_data(world))
    assert response.status_code == 302
    definition = ReportDefinition.objects.for_org(world.org).get()
    assert (definition.program_id, definition.portfolio_id) == (
        world.program_a.pk,
        world.program_a.portfolio_id,
    )
    task = PeriodicTask.objects.get(pk=definition.periodic_task_id)
    assert task.task == "reporting.report_run" and task.enabled
    assert json.loads(task.kwargs) == {
        "organization_id": world.org.pk,
        "definition_id": definition.pk,
    }
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("30", "6", "1")
    page = client.get(reverse("report-definition-list", args=["acme"])).content.decode()
    assert "Monthly steering pack" in page and "30 6 1 * *" in page


def test_a_bad_schedule_is_refused_with_what_was_typed_kept(client, world):
    client.force_login(world.admin)
    data = form_data(world, cron_hour="25", cron_minute="every")
    response = client.post(reverse("report-definition-create", args=["acme"]), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Not a valid hour for a schedule" in page
    assert "Not a valid minute for a schedule" in page
    assert 'value="Monthly steering pack"' in page and 'value="25"' in page
    assert not ReportDefinition.objects.for_org(world.org).exists()
    assert not PeriodicTask.objects.filter(task="reporting.report_run").exists()


def test_a_report_needs_sections_formats_and_an_audience(client, world):
    client.force_login(world.admin)
    data = form_data(world, audience_roles=[], recipients=[])
    data.pop("sections")
    response = client.post(reverse("report-definition-create", args=["acme"]), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page
    data = form_data(world, audience_roles=[], recipients=[])
    response = client.post(reverse("report-definition-create", args=["acme"]), data)
    assert "Name the audience: people, roles or both." in response.content.decode()


def test_editing_moves_the_schedule_and_turning_it_off_disables_it(client, world):
    definition = leadership_definition(world)
    client.force_login(world.admin)
    url = reverse("report-definition-edit", args=["acme", definition.pk])
    assert 'value="Weekly leadership report"' in client.get(url).content.decode()
    data = form_data(world, cron_hour="18", scope="organization")
    data.pop("enabled")
    assert client.post(url, data).status_code == 302
    task = PeriodicTask.objects.get(pk=definition.periodic_task_id)
    assert task.crontab.hour == "18" and not task.enabled
    definition.refresh_from_db()
    assert definition.program_id is None and definition.version == 2


def test_deleting_a_report_removes_its_schedule_and_archive(client, world):
    definition = leadership_definition(world)
    report_run(definition=definition, triggered_by=Trigger.BEAT)
    client.force_login(world.admin)
    url = reverse("report-definition-delete", args=["acme", definition.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert not PeriodicTask.objects.filter(pk=definition.periodic_task_id).exists()
    assert not ReportFile.objects.for_org(world.org).exists()


def test_only_org_admins_manage_reports(client, world):
    definition = leadership_definition(world)
    client.force_login(world.executive)
    assert client.get(reverse("report-definition-list", args=["acme"])).status_code == 403
    run = reverse("report-definition-run", args=["acme", definition.pk])
    assert client.post(run).status_code == 403
    client.force_login(world.outsider)
    assert client.get(reverse("report-definition-list", args=["acme"])).status_code == 404


def test_run_now_queues_a_run_that_a_worker_completes(
    client, world, django_capture_on_commit_callbacks
):
    definition = leadership_definition(world)
    client.force_login(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("report-definition-run", args=["acme", definition.pk]))
    assert response.status_code == 302
    run = ReportRun.objects.for_org(world.org).get()
    assert (run.state, run.triggered_by, run.requested_by) == (
        RunState.DONE,
        Trigger.USER,
        world.admin,
    )
    archive = client.get(response["Location"]).content.decode()
    assert "Weekly leadership report" in archive and "for acme-lead-a" in archive


def test_the_archive_shows_each_member_their_own_files(client, world):
    definition = leadership_definition(world)
    run = report_run(definition=definition, triggered_by=Trigger.BEAT)
    files = ReportFile.objects.for_org(world.org).filter(run=run)
    lead_pdf = files.get(recipient=world.lead_a, format="pdf")
    executive_pdf = files.get(recipient=world.executive, format="pdf")
    client.force_login(world.lead_a)
    page = client.get(reverse("report-archive", args=["acme"])).content.decode()
    assert reverse("report-file-download", args=["acme", lead_pdf.pk]) in page
    assert reverse("report-file-download", args=["acme", executive_pdf.pk]) not in page
    own = client.get(reverse("report-file-download", args=["acme", lead_pdf.pk]))
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert b"".join(own.streaming_content).startswith(b"%PDF")
    other = client.get(reverse("report-file-download", args=["acme", executive_pdf.pk]))
    assert other.status_code == 404
    client.force_login(world.viewer)
    page = client.get(reverse("report-archive", args=["acme"])).content.decode()
    assert "No reports yet." in page
    client.force_login(world.admin)
    page = client.get(reverse("report-archive", args=["acme"])).content.decode()
    assert reverse("report-file-download", args=["acme", executive_pdf.pk]) in page
    download = reverse("report-file-download", args=["acme", executive_pdf.pk])
    assert client.get(download).status_code == 200
    client.force_login(world.outsider)
    assert client.get(download).status_code == 404


@pytest.mark.parametrize("runs", [1, 6])
def test_the_archive_costs_the_same_queries_for_more_runs(
    client, world, runs, django_assert_max_num_queries
):
    definition = leadership_definition(world, formats=["csv"])
    for _ in range(runs):
        report_run(definition=definition, triggered_by=Trigger.BEAT)
    for person in (world.admin, world.lead_a):
        client.force_login(person)
        with django_assert_max_num_queries(16):
            response = client.get(reverse("report-archive", args=["acme"]))
        assert response.status_code == 200
    client.force_login(world.admin)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("report-definition-list", args=["acme"])).status_code == 200
