"""The hierarchy pages: browsing, forms, tenant isolation and query counts."""

import pytest
from django.urls import reverse

from governance.models import Program, Project
from governance.services.hierarchy import node_move
from tests.factories import (
    MeasureFactory,
    MeasurePackageFactory,
    MembershipFactory,
    ProgramFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

LEVELS = ("portfolio", "program", "project", "package", "measure")


def page(level, org, pk=None, kind=None):
    if pk is None:
        return reverse(f"{level}-{kind or 'list'}", kwargs={"org_slug": org.slug})
    return reverse(f"{level}-{kind or 'detail'}", kwargs={"org_slug": org.slug, "pk": pk})


def test_login_required(client, personas):
    response = client.get(page("program", personas.org))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_every_level_lists_and_shows_with_breadcrumbs(client, personas):
    measure = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    client.force_login(personas.viewer)
    for level in LEVELS:
        node = measure if level == "measure" else getattr(measure, level)
        listing = client.get(page(level, personas.org))
        assert listing.status_code == 200
        assert node.code in listing.content.decode()
        detail = client.get(page(level, personas.org, node.pk))
        assert detail.status_code == 200
        html = detail.content.decode()
        assert 'aria-label="Breadcrumb"' in html
        for ancestor in node.ancestor_levels():
            assert getattr(measure, ancestor).code in html


def test_other_tenant_pages_answer_404(client, personas):
    foreign = MeasureFactory(package__project__program__portfolio__organization=personas.other_org)
    client.force_login(personas.admin)
    for level in LEVELS:
        node = foreign if level == "measure" else getattr(foreign, level)
        for kind in ("detail", "edit"):
            assert client.get(page(level, personas.org, node.pk, kind)).status_code == 404
        assert client.post(page(level, personas.org, node.pk, "archive")).status_code == 404
        assert client.get(page(level, personas.other_org)).status_code == 404
        assert client.get(page(level, personas.other_org, node.pk)).status_code == 404
    assert client.get(reverse("org-home", args=[personas.other_org.slug])).status_code == 404


def test_org_switcher_lists_only_my_organizations(client, personas):
    MembershipFactory(organization=personas.other_org, user=personas.lead)
    client.force_login(personas.lead)
    assert client.get("/").status_code == 200  # two organizations: the picker
    html = client.get(reverse("org-home", args=[personas.org.slug])).content.decode()
    assert "Globex" in html and "Acme Manufacturing" in html
    client.force_login(personas.viewer)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == f"/o/{personas.org.slug}/"


def test_lead_creates_a_project_through_the_form(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    client.force_login(personas.lead)
    form = client.get(page("project", personas.org, kind="create") + f"?program={program.pk}")
    assert form.status_code == 200
    response = client.post(
        page("project", personas.org, kind="create"),
        {
            "program": program.pk,
            "code": "PJ-9",
            "title": "Carrier tender",
            "owner": personas.owner.pk,
        },
    )
    project = Project.objects.for_org(personas.org).get(code="PJ-9")
    assert response.status_code == 302
    assert response["Location"] == page("project", personas.org, project.pk)
    assert (project.program_id, project.portfolio_id) == (program.pk, program.portfolio_id)


def test_failed_form_keeps_input_and_marks_errors(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    ProjectFactory(program=program, code="TAKEN")
    client.force_login(personas.lead)
    response = client.post(
        page("project", personas.org, kind="create"),
        {
            "program": program.pk,
            "code": "taken",
            "title": "",
            "description": "Keep me",
            "start_date": "2026-05-01",
            "end_date": "2026-01-01",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Keep me" in html and 'value="taken"' in html
    assert "Give the title" in html or "This field is required" in html
    assert 'aria-invalid="true"' in html and "is-invalid" in html
    # Service-level errors (the code is taken) are shown too once the form itself is valid.
    response = client.post(
        page("project", personas.org, kind="create"),
        {"program": program.pk, "code": "taken", "title": "Fine"},
    )
    assert response.status_code == 422 and "already used" in response.content.decode()
    assert Project.objects.for_org(personas.org).count() == 1


def test_edit_keeps_input_when_someone_else_saved_first(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org, title="Original")
    client.force_login(personas.lead)
    url = page("program", personas.org, program.pk, "edit")
    Program.objects.for_org(personas.org).filter(pk=program.pk).update(version=2, title="Theirs")
    response = client.post(url, {"code": program.code, "title": "Mine", "version": "1"})
    assert response.status_code == 422
    assert "Someone else changed this" in response.content.decode()
    assert 'value="Mine"' in response.content.decode()


def test_viewer_gets_no_create_button_and_403_on_forms(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    client.force_login(personas.viewer)
    assert "New program" not in client.get(page("program", personas.org)).content.decode()
    assert client.get(page("program", personas.org, kind="create")).status_code == 403
    assert client.get(page("program", personas.org, program.pk, "edit")).status_code == 403


def test_move_and_archive_from_the_pages(client, personas):
    project = ProjectFactory(program__portfolio__organization=personas.org)
    target = ProgramFactory(portfolio__organization=personas.org)
    client.force_login(personas.lead)
    response = client.post(page("project", personas.org, project.pk, "move"), {"parent": target.pk})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.program_id == target.pk
    client.post(page("project", personas.org, project.pk, "archive"), follow=True)
    project.refresh_from_db()
    assert project.is_archived
    assert project.code not in client.get(page("project", personas.org)).content.decode()


def test_htmx_search_returns_the_table_only(client, personas):
    ProgramFactory(portfolio__organization=personas.org, title="Freight")
    ProgramFactory(portfolio__organization=personas.org, title="Pricing")
    client.force_login(personas.viewer)
    response = client.get(page("program", personas.org) + "?q=freig", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<nav" not in html and "Freight" in html and "Pricing" not in html


def grow(org, measures):
    """Add ``measures`` measures spread over a fresh program, projects and packages."""
    program = ProgramFactory(portfolio__organization=org)
    for index in range(measures):
        if index % 10 == 0:
            project = ProjectFactory(program=program)
            package = MeasurePackageFactory(project=project)
        MeasureFactory(package=package)
    return program


@pytest.mark.parametrize("level", LEVELS)
def test_list_page_query_count_does_not_grow(
    client, personas, django_assert_max_num_queries, level
):
    client.force_login(personas.viewer)
    grow(personas.org, 5)
    with django_assert_max_num_queries(13) as small:
        client.get(page(level, personas.org))
    grow(personas.org, 60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(page(level, personas.org))


def test_detail_page_query_count_does_not_grow(client, personas, django_assert_max_num_queries):
    client.force_login(personas.viewer)
    program = grow(personas.org, 5)
    url = page("program", personas.org, program.pk)
    with django_assert_max_num_queries(18) as small:
        client.get(url)
    for _ in range(3):
        grow_more = grow(personas.org, 30)
        for project in Project.objects.for_org(personas.org).filter(program=grow_more):
            node_move(node=project, new_parent=program, by=personas.admin)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
