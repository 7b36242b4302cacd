"""The report definitions and runs over the API: CRUD with If-Match, run now, the caller's runs,
and the error shape of refused writes (which change nothing)."""

from __future__ import annotations

import json

import pytest
from django_celery_beat.models import PeriodicTask

from reporting.models import ReportDefinition, ReportRun, Trigger
from reporting.reports.runs import report_run
from tests.reporting.reports_world import leadership_definition, make_report_world

pytestmark = pytest.mark.django_db
BASE = "/api/v1/orgs/acme"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def world():
    return make_report_world()


BODY = {
    "title": "Weekly steering pack",
    "sections": ["doi_funnel", "exceptions_by_forum"],
    "formats": ["xlsx"],
    "audience_roles": ["executive"],
    "cron_minute": "0",
    "cron_hour": "8",
    "cron_day_of_week": "mon-fri",
}


def test_an_admin_creates_reads_edits_and_deletes_a_definition(api_as, world):
    client = api_as(world.admin)
    created = client.post(f"{BASE}/report-definitions/", {**BODY, "program": world.program_a.pk})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["ETag"] == '"1"'
    assert (body["program"], body["portfolio"], body["cron_day_of_week"]) == (
        world.program_a.pk,
        world.program_a.portfolio_id,
        "mon-fri",
    )
    url = f"{BASE}/report-definitions/{body['id']}/"
    assert client.get(url).json()["title"] == "Weekly steering pack"
    stale = client.patch(url, {"title": "Renamed"}, HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    assert client.get(url).json()["title"] == "Weekly steering pack"
    patched = client.patch(url, {"title": "Renamed", "recipients": [world.lead_a.pk]})
    assert patched.status_code == 200 and patched["ETag"] == '"2"'
    assert patched.json()["recipients"] == [world.lead_a.pk]
    assert patched.json()["formats"] == ["xlsx"]  # PATCH keeps what it does not send
    definition = ReportDefinition.objects.for_org(world.org).get(pk=body["id"])
    assert client.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not PeriodicTask.objects.filter(pk=definition.periodic_task_id).exists()
    assert client.get(url).status_code == 404


def test_a_refused_definition_names_every_problem_and_writes_nothing(api_as, world):
    client = api_as(world.admin)
    bad = {**BODY, "sections": [], "cron_hour": "99", "recipients": [world.outsider.pk]}
    response = client.post(f"{BASE}/report-definitions/", bad)
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"detail", "errors"}
    assert {"sections", "cron_hour", "recipients"} <= set(body["errors"])
    assert not ReportDefinition.objects.for_org(world.org).exists()
    unknown = client.post(f"{BASE}/report-definitions/", {**BODY, "sections": ["nope"]})
    assert unknown.status_code == 400 and "sections" in unknown.json()["errors"]
    former = client.post(f"{BASE}/report-definitions/", {**BODY, "sections": ["value_by_stage"]})
    assert former.status_code == 400
    assert "sections are the dashboard widgets" in json.dumps(former.json()["errors"]["sections"])
    assert not ReportDefinition.objects.for_org(world.org).exists()


def test_put_replaces_the_definition_and_validates_like_create(api_as, world):
    definition = leadership_definition(world)
    client = api_as(world.admin)
    url = f"{BASE}/report-definitions/{definition.pk}/"
    refused = client.put(url, {**BODY, "cron_minute": "61"}, HTTP_IF_MATCH='"1"')
    assert refused.status_code == 400 and "cron_minute" in refused.json()["errors"]
    assert client.get(url).json()["title"] == "Weekly leadership report"
    replaced = client.put(url, BODY, HTTP_IF_MATCH='"1"')
    assert replaced.status_code == 200
    assert replaced.json()["recipients"] == [] and replaced.json()["formats"] == ["xlsx"]


def test_members_other_than_admins_may_not_touch_definitions(api_as, world):
    definition = leadership_definition(world)
    client = api_as(world.executive)
    assert client.get(f"{BASE}/report-definitions/").status_code == 403
    assert client.post(f"{BASE}/report-definitions/{definition.pk}/run/").status_code == 403
    outsider = api_as(world.outsider)
    assert outsider.get(f"{BASE}/report-definitions/").status_code == 404


def test_run_now_answers_the_queued_run(api_as, world, django_capture_on_commit_callbacks):
    definition = leadership_definition(world)
    client = api_as(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/report-definitions/{definition.pk}/run/")
    assert response.status_code == 202
    assert response.json()["state"] == "queued"
    run = ReportRun.objects.for_org(world.org).get(pk=response.json()["id"])
    assert run.state == "done" and run.triggered_by == Trigger.USER


def test_runs_list_the_callers_own_files_with_download_links(api_as, world):
    definition = leadership_definition(world)
    run = report_run(definition=definition, triggered_by=Trigger.BEAT)
    assert run is not None
    lead = api_as(world.lead_a)
    listed = lead.get(f"{BASE}/report-runs/").json()["results"]
    assert [row["id"] for row in listed] == [run.pk]
    files = listed[0]["files"]
    assert {row["recipient"] for row in files} == {world.lead_a.pk}
    assert {row["format"] for row in files} == {"pdf", "xlsx"}
    assert files[0]["download"].startswith("/o/acme/reports/files/")
    assert lead.get(f"{BASE}/report-runs/{run.pk}/").status_code == 200
    viewer = api_as(world.viewer)
    assert viewer.get(f"{BASE}/report-runs/").json()["results"] == []
    assert viewer.get(f"{BASE}/report-runs/{run.pk}/").status_code == 404
    admin = api_as(world.admin)
    detail = admin.get(f"{BASE}/report-runs/{run.pk}/").json()
    assert {row["recipient"] for row in detail["files"]} == {world.lead_a.pk, world.executive.pk}
