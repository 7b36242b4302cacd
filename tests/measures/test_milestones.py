"""Milestones: gate criteria, dates and their baseline, evidence files, access, the tab page,
the API and the overdue check of "My measures"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.errors import AccessDenied, Conflict, ValidationError
from governance.models import AuditEvent
from measures import gates
from measures.attention import needs_attention
from measures.models import DoI, Measure, Milestone, MilestoneEvidence
from measures.services.evidence import evidence_attach
from measures.services.financials import financials_upsert
from measures.services.milestones import (
    milestone_complete,
    milestone_create,
    milestone_delete,
    milestone_update,
    overdue_milestones,
)
from measures.services.stages import advance_by_approval, transition
from tests.factories import MeasureFactory
from tests.measures.helpers import detailed_ready

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def days(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def pdf(name: str = "signed-report.pdf", content: bytes = PDF, kind: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=kind)


def fresh(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def measure(personas):
    return MeasureFactory(
        package__project__program__portfolio__organization=personas.org,
        owner=personas.owner,
        start_date=days(-60),
        end_date=days(120),
    )


def add(measure, by, **values):
    values = {"title": "Supplier contract signed", "due_date": days(10), **values}
    return milestone_create(measure=measure, by=by, **values)


def page_url(measure) -> str:
    return reverse(
        "measure-milestones", kwargs={"org_slug": measure.organization.slug, "pk": measure.pk}
    )


def api_url(measure, milestone=None, evidence: bool = False) -> str:
    base = f"/api/v1/orgs/{measure.organization.slug}/measures/{measure.pk}/milestones/"
    if milestone is None:
        return base
    return f"{base}{milestone.pk}/" + ("evidence/" if evidence else "")


# --- writes and their rules --------------------------------------------------------------------


def test_owner_adds_a_milestone_and_the_measure_version_moves(personas, measure):
    milestone = add(measure, personas.owner, owner=personas.contributor.pk)
    assert milestone.order == 0 and milestone.owner == personas.contributor
    assert add(measure, personas.owner, title="Second").order == 1
    assert fresh(measure).version == measure.version + 2
    assert AuditEvent.objects.for_org(personas.org).filter(action="milestone.created").count() == 2


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"due_date": days(-61)}, "due_date", "before the measure starts"),
        ({"due_date": "1899-12-31"}, "due_date", "between 1900 and 2200"),
        ({"due_date": "2201-01-01"}, "due_date", "between 1900 and 2200"),
        ({"due_date": "2025-02-30"}, "due_date", "is not a date"),
        ({"due_date": ""}, "due_date", "Give a date"),
        ({"title": "   "}, "title", "Give the title"),
        ({"title": "x" * 201}, "title", "200 characters"),
        ({"completed_on": days(1)}, "completed_on", "in the future"),
        ({"completed_on": days(-1)}, "completed_on", "before the milestone was created"),
        ({"evidence_required": True}, "evidence_description", "Say what evidence"),
        ({"owner": 999_999}, "owner", "not a member"),
        ({"order": -1}, "order", "between 0 and"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    personas, measure, values, field, words
):
    with pytest.raises(ValidationError) as caught:
        add(measure, personas.owner, **values)
    assert words in " ".join(caught.value.message_dict[field])
    assert not Milestone.objects.for_org(personas.org).exists()
    assert fresh(measure).version == measure.version


def test_every_bad_field_is_reported_at_once(personas, measure):
    with pytest.raises(ValidationError) as caught:
        add(measure, personas.owner, title="", due_date="soon", owner="someone")
    assert set(caught.value.message_dict) == {"title", "due_date", "owner"}


def test_someone_outside_another_tenant_is_not_an_owner(personas, measure):
    with pytest.raises(ValidationError) as caught:
        add(measure, personas.owner, owner=personas.outsider.pk)
    assert "not a member" in caught.value.message_dict["owner"][0]


@pytest.mark.parametrize("persona", ["viewer", "executive", "controller"])
def test_who_may_not_contribute_cannot_write_milestones(personas, measure, persona):
    with pytest.raises(AccessDenied):
        add(measure, getattr(personas, persona))
    milestone = add(measure, personas.owner)
    with pytest.raises(AccessDenied):
        milestone_update(milestone=milestone, by=getattr(personas, persona), title="Changed")
    with pytest.raises(AccessDenied):
        milestone_delete(milestone=milestone, by=getattr(personas, persona))
    with pytest.raises(AccessDenied):
        evidence_attach(milestone=milestone, upload=pdf(), by=getattr(personas, persona))
    assert Milestone.objects.for_org(personas.org).get().title == "Supplier contract signed"


def test_contributors_and_leads_write_milestones(personas, measure):
    milestone = add(measure, personas.contributor)
    milestone_update(milestone=milestone, by=personas.lead, title="Renamed")
    assert Milestone.objects.for_org(personas.org).get().title == "Renamed"


# --- evidence ----------------------------------------------------------------------------------


def test_completion_without_the_required_evidence_is_refused(personas, measure):
    milestone = add(
        measure,
        personas.owner,
        evidence_required=True,
        evidence_description="The contract signed by both parties",
    )
    with pytest.raises(ValidationError) as caught:
        milestone_complete(milestone=milestone, by=personas.owner)
    assert "attach it before marking it done" in caught.value.message_dict["completed_on"][0]
    assert Milestone.objects.for_org(personas.org).get().completed_on is None
    evidence_attach(milestone=milestone, upload=pdf(), by=personas.owner)
    done = milestone_complete(milestone=milestone, by=personas.owner)
    assert done.completed_on == TODAY


def test_a_milestone_without_evidence_requirement_completes_directly(personas, measure):
    milestone = add(measure, personas.owner)
    assert milestone_complete(milestone=milestone, by=personas.owner).is_done


def test_evidence_is_stored_under_the_organization_with_its_metadata(personas, measure, media):
    milestone = add(measure, personas.owner)
    evidence = evidence_attach(milestone=milestone, upload=pdf(), by=personas.owner)
    assert evidence.original_name == "signed-report.pdf"
    assert evidence.content_type == "application/pdf"
    assert evidence.size == len(PDF) and evidence.uploaded_by == personas.owner
    assert evidence.file.name.startswith(f"evidence/org-{personas.org.pk}/measure-{measure.pk}/")
    assert "signed-report" not in evidence.file.name
    assert [path.read_bytes() for path in stored_files(media)] == [PDF]


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (pdf("tool.exe", b"MZ...", "application/octet-stream"), "not accepted"),
        (pdf("page.html", b"<html>", "text/html"), "not accepted"),
        (pdf("noextension", b"data", "application/pdf"), "not accepted"),
        (pdf("report.pdf", PDF, "text/html"), "does not match .pdf"),
        (pdf("report.pdf", b"MZ\x90\x00", "application/pdf"), "content is not a .pdf"),
        (pdf("sheet.xlsx", b"%PDF-1.4", "application/octet-stream"), "content is not a .xlsx"),
        (pdf("report.pdf", b"", "application/pdf"), "empty"),
        (pdf("report.pdf", b"x" * 2049, "application/pdf"), "too large"),
        (None, "Attach a file"),
    ],
)
def test_evidence_of_a_wrong_type_or_size_is_refused_and_nothing_stored(
    personas, measure, media, settings, upload, words
):
    settings.THROUGHLINE_EVIDENCE_MAX_BYTES = 2048
    milestone = add(measure, personas.owner)
    with pytest.raises(ValidationError) as caught:
        evidence_attach(milestone=milestone, upload=upload, by=personas.owner)
    assert words in caught.value.message_dict["file"][0]
    assert not MilestoneEvidence.objects.for_org(personas.org).exists()
    assert stored_files(media) == []


def test_allowed_extensions_come_from_the_settings(personas, measure, settings):
    settings.THROUGHLINE_EVIDENCE_EXTENSIONS = ["pdf"]
    milestone = add(measure, personas.owner)
    with pytest.raises(ValidationError) as caught:
        evidence_attach(
            milestone=milestone, upload=pdf("notes.txt", b"hi", "text/plain"), by=personas.owner
        )
    assert "use pdf" in caught.value.message_dict["file"][0]


# --- gates and the baseline --------------------------------------------------------------------


def test_detailed_needs_at_least_one_milestone(personas, measure):
    assert "Plan at least one milestone." in gates.unmet(measure, DoI.DETAILED)
    add(measure, personas.owner)
    assert "Plan at least one milestone." not in gates.unmet(measure, DoI.DETAILED)


def test_implemented_names_every_open_or_unevidenced_milestone(personas, measure):
    assert not any("milestone" in p for p in gates.unmet(measure, DoI.IMPLEMENTED))
    open_one = add(measure, personas.owner, title="Pilot line running")
    proved = add(
        measure,
        personas.owner,
        title="Scrap report signed",
        evidence_description="Signed scrap report",
    )
    done = add(measure, personas.owner, title="Kick-off held")
    milestone_complete(milestone=done, by=personas.owner)
    # Completed earlier, before evidence was required of it.
    milestone_complete(milestone=proved, by=personas.owner)
    Milestone.objects.for_org(personas.org).filter(pk=proved.pk).update(evidence_required=True)
    problems = [p for p in gates.unmet(measure, DoI.IMPLEMENTED) if "milestone" in p]
    assert problems == [
        "Finish every milestone with its evidence: “Pilot line running” is not done; "
        "“Scrap report signed” lacks its evidence."
    ]
    milestone_complete(milestone=open_one, by=personas.owner)
    evidence_attach(milestone=proved, upload=pdf(), by=personas.owner)
    assert not any("milestone" in p for p in gates.unmet(measure, DoI.IMPLEMENTED))


def to_detailed(personas) -> Measure:
    """A measure driven to Detailed through the transition service, with dates, a plan and a
    milestone."""
    measure = detailed_ready(personas.org, personas.owner, personas.executive, personas.controller)
    Measure.objects.for_org(personas.org).filter(pk=measure.pk).update(
        start_date=days(-30), end_date=days(200)
    )
    measure = fresh(measure)
    month = f"{TODAY:%Y-%m}"
    financials_upsert(
        measure=measure,
        rows=[
            {"period": month, "line": "benefit", "scenario": "plan", "amount": "1000"},
            {"period": month, "line": "one_time_cost", "scenario": "plan", "amount": "200"},
        ],
        by=personas.owner,
    )
    add(measure, personas.owner, title="Pilot line running", due_date=days(20))
    add(
        measure,
        personas.owner,
        title="Scrap report signed",
        due_date=days(60),
        evidence_required=True,
        evidence_description="Signed scrap report",
    )
    transition(fresh(measure), DoI.IDENTIFIED, by=personas.owner)
    return transition(fresh(measure), DoI.DETAILED, by=personas.owner)


def test_entering_decided_freezes_due_dates_and_the_measure_dates(personas):
    measure = to_detailed(personas)
    for milestone in Milestone.objects.for_org(personas.org):
        assert milestone.baseline_due_date is None and milestone.slip_days is None
    advance_by_approval(measure, DoI.DECIDED, approved_by=personas.executive)
    decided = fresh(measure)
    assert decided.baseline_start_date == days(-30)
    assert decided.baseline_end_date == days(200)
    pilot = Milestone.objects.for_org(personas.org).get(title="Pilot line running")
    assert pilot.baseline_due_date == days(20)
    # Rescheduling afterwards shows as a slip against the frozen baseline.
    moved = milestone_update(milestone=pilot, by=personas.owner, due_date=days(35))
    assert moved.baseline_due_date == days(20) and moved.slip_days == 15
    assert (
        AuditEvent.objects.for_org(personas.org)
        .filter(action="measure.dates_baselined", object_id=measure.pk)
        .exists()
    )


def test_implemented_is_refused_until_every_milestone_is_done_with_evidence(personas):
    measure = to_detailed(personas)
    advance_by_approval(measure, DoI.DECIDED, approved_by=personas.executive)
    with pytest.raises(Conflict) as refused:
        transition(fresh(measure), DoI.IMPLEMENTED, by=personas.owner)
    assert any("“Pilot line running” is not done" in p for p in refused.value.problems)
    for milestone in Milestone.objects.for_org(personas.org).select_related("measure"):
        if milestone.evidence_required:
            evidence_attach(milestone=milestone, upload=pdf(), by=personas.owner)
        milestone_complete(milestone=milestone, by=personas.owner)
    assert transition(fresh(measure), DoI.IMPLEMENTED, by=personas.owner).doi == DoI.IMPLEMENTED


# --- the Milestones tab ------------------------------------------------------------------------


def test_the_tab_lists_due_baseline_slip_state_and_evidence(client, personas, measure):
    milestone = add(measure, personas.owner, title="Pilot line running", due_date=days(5))
    Milestone.objects.for_org(personas.org).filter(pk=milestone.pk).update(
        baseline_due_date=days(-2)
    )
    late = add(measure, personas.owner, title="Kick-off held", due_date=days(-3))
    evidence = evidence_attach(milestone=late, upload=pdf(), by=personas.owner)
    client.force_login(personas.viewer)
    response = client.get(page_url(measure))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Pilot line running" in html and "+7" in html and "Overdue" in html
    assert f"/measures/{measure.pk}/evidence/{evidence.pk}/" in html
    # A viewer reads, but is offered no form.
    assert "Add the milestone" not in html and "Mark done" not in html
    # The measure's tabs lead here and to the status reports.
    assert page_url(measure) in html and f"/measures/{measure.pk}/status/" in html


def test_a_bad_form_shows_every_error_and_keeps_the_input(client, personas, measure):
    client.force_login(personas.owner)
    response = client.post(
        page_url(measure),
        {
            "title": "Pilot line running",
            "due_date": "2201-05-01",
            "evidence_required": "on",
            "evidence_description": "",
            "order": "",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="Pilot line running"' in html and 'value="2201-05-01"' in html
    assert 'id="ms-due_date" name="due_date" value="2201-05-01" required aria-invalid="true"' in (
        html
    )
    assert "is-invalid" in html and "Say what evidence proves this milestone." in html
    assert not Milestone.objects.for_org(personas.org).exists()


def test_the_page_adds_edits_completes_and_uploads(client, personas, measure, media):
    client.force_login(personas.owner)
    response = client.post(
        page_url(measure),
        {
            "title": "Pilot",
            "due_date": days(3).isoformat(),
            "evidence_required": "on",
            "evidence_description": "Photo of the line",
            "order": "",
        },
    )
    assert response.status_code == 302
    milestone = Milestone.objects.for_org(personas.org).get()
    slug = personas.org.slug
    done_url = reverse("measure-milestone-done", args=[slug, measure.pk, milestone.pk])
    response = client.post(done_url)
    assert response.status_code == 422 and "attach it before marking it done" in (
        response.content.decode()
    )
    upload_url = reverse("measure-milestone-evidence", args=[slug, measure.pk, milestone.pk])
    response = client.post(upload_url, {"file": pdf("line.exe", b"MZ", "application/x-msdos")})
    assert response.status_code == 422 and "not accepted" in response.content.decode()
    assert (
        client.post(upload_url, {"file": pdf("line.png", b"\x89PNG..", "image/png")}).status_code
        == 302
    )
    assert client.post(done_url).status_code == 302
    edit_url = reverse("measure-milestone-edit", args=[slug, measure.pk, milestone.pk])
    response = client.post(
        edit_url,
        {
            "title": "Pilot line",
            "due_date": days(4).isoformat(),
            "completed_on": "",
            "evidence_required": "on",
            "evidence_description": "Photo",
            "owner": "",
            "order": "2",
        },
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.order, milestone.completed_on) == ("Pilot line", 2, None)
    response = client.post(edit_url, {"title": "", "due_date": "x", "order": "2"})
    assert response.status_code == 422 and 'value="x"' in response.content.decode()


def test_evidence_downloads_only_through_the_access_checked_view(client, personas, measure):
    milestone = add(measure, personas.owner)
    evidence = evidence_attach(milestone=milestone, upload=pdf(), by=personas.owner)
    url = reverse("measure-evidence-download", args=[personas.org.slug, measure.pk, evidence.pk])
    client.force_login(personas.viewer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="signed-report.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    # Nobody outside the measure's scope, and no public media URL is ever linked.
    client.force_login(personas.outsider)
    assert client.get(url).status_code == 404
    client.force_login(personas.stranger)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_someone_without_access_gets_404_and_a_viewer_403(client, personas, measure):
    milestone = add(measure, personas.owner)
    client.force_login(personas.outsider)
    assert client.get(page_url(measure)).status_code == 404
    client.force_login(personas.viewer)
    assert client.post(page_url(measure), {"title": "x"}).status_code == 403
    done = reverse("measure-milestone-done", args=[personas.org.slug, measure.pk, milestone.pk])
    assert client.post(done).status_code == 403
    assert Milestone.objects.for_org(personas.org).get().completed_on is None


def page_queries(client, measure, count: int) -> int:
    milestones = Milestone.objects.for_org(measure.organization_id)
    milestones.filter(measure=measure).delete()
    Milestone.objects.bulk_create(
        [
            Milestone(
                organization_id=measure.organization_id,
                measure=measure,
                title=f"Step {n}",
                due_date=days(n - 5),
                order=n,
            )
            for n in range(count)
        ]
    )
    for milestone in milestones.filter(measure=measure)[:3]:
        MilestoneEvidence.objects.create(
            organization_id=measure.organization_id,
            measure=measure,
            milestone=milestone,
            file="evidence/x.pdf",
            original_name="x.pdf",
            content_type="application/pdf",
            size=1,
        )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url(measure))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_page_costs_the_same_queries_for_3_or_30_milestones(client, personas, measure):
    client.force_login(personas.owner)
    page_queries(client, measure, 1)  # warm caches (permissions, content types)
    assert page_queries(client, measure, 3) == page_queries(client, measure, 30)


# --- the API -----------------------------------------------------------------------------------


def test_api_creates_lists_updates_and_deletes(api_as, personas, measure):
    api = api_as(personas.owner)
    response = api.post(
        api_url(measure),
        {"title": "Pilot", "due_date": days(7).isoformat(), "owner": personas.owner.pk},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["baseline_due_date"] is None and body["evidence"] == []
    etag = response["ETag"]
    listed = api.get(api_url(measure) + "?done=false").json()
    assert [row["title"] for row in listed["results"]] == ["Pilot"]
    assert api.get(api_url(measure) + "?done=true").json()["results"] == []
    milestone = Milestone.objects.for_org(personas.org).get()
    response = api.patch(api_url(measure, milestone), {"title": "Pilot line"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["title"] == "Pilot line"
    stale = api.patch(api_url(measure, milestone), {"title": "Again"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert api.delete(api_url(measure, milestone)).status_code == 204
    assert not Milestone.objects.for_org(personas.org).exists()


def test_api_reports_bad_fields_and_refuses_completion_without_evidence(api_as, personas, measure):
    api = api_as(personas.owner)
    response = api.post(api_url(measure), {"title": "", "due_date": "1850-01-01"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"title"}
    response = api.post(api_url(measure), {"title": "Pilot", "due_date": "1850-01-01"})
    assert response.status_code == 400
    assert "between 1900 and 2200" in response.json()["errors"]["due_date"][0]
    milestone = add(
        measure, personas.owner, evidence_required=True, evidence_description="Signed report"
    )
    response = api.patch(api_url(measure, milestone), {"completed_on": TODAY.isoformat()})
    assert response.status_code == 400
    assert "attach it" in response.json()["errors"]["completed_on"][0]


def test_api_evidence_upload_is_multipart_and_checked(api_as, personas, measure, media):
    api = api_as(personas.owner)
    milestone = add(measure, personas.owner)
    url = api_url(measure, milestone, evidence=True)
    response = api.post(
        url, {"file": pdf("virus.exe", b"MZ", "application/x-msdownload")}, format="multipart"
    )
    assert response.status_code == 400 and "not accepted" in response.json()["errors"]["file"][0]
    assert stored_files(media) == []
    response = api.post(url, {"file": pdf()}, format="multipart")
    assert response.status_code == 201
    assert response.json()["original_name"] == "signed-report.pdf"
    assert response.json()["download"].endswith(f"/evidence/{response.json()['id']}/")


def test_api_access_outsider_404_viewer_403(api_as, personas, measure):
    milestone = add(measure, personas.owner)
    assert api_as(personas.outsider).get(api_url(measure)).status_code == 404
    viewer = api_as(personas.viewer)
    assert viewer.get(api_url(measure, milestone)).status_code == 200
    assert (
        viewer.post(api_url(measure), {"title": "x", "due_date": "2030-01-01"}).status_code == 403
    )
    assert viewer.delete(api_url(measure, milestone)).status_code == 403
    assert Milestone.objects.for_org(personas.org).count() == 1


# --- My measures -------------------------------------------------------------------------------


def test_overdue_milestones_need_attention_in_one_query(personas, measure):
    others = [MeasureFactory(package=measure.package, owner=personas.owner) for _ in range(5)]
    add(measure, personas.owner, due_date=days(-50) + dt.timedelta(days=20))
    Milestone.objects.for_org(personas.org).update(due_date=days(-5))
    add(measure, personas.owner, title="Later", due_date=days(5))
    add(others[0], personas.owner, title="Done late")
    Milestone.objects.for_org(personas.org).filter(title="Done late").update(
        due_date=days(-2), completed_on=days(-1)
    )
    measures = list(Measure.objects.for_org(personas.org))
    with CaptureQueriesContext(connection) as queries:
        found = overdue_milestones(measures, TODAY)
    assert len(queries.captured_queries) == 1
    assert found == {measure.pk: ["1 milestone overdue"]}
    assert "1 milestone overdue" in needs_attention(measures, TODAY)[measure.pk]
