"""Members and role grants through the UI: who may manage them, what a grant reaches, and the
"Who has access" panel of node pages."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from governance.models import ApiToken, MemberKind, Membership, Role
from governance.permissions import ROLE_SUMMARIES
from governance.services.grants import assign_role, grant_role, grants_held
from governance.services.tokens import token_issue
from tests.factories import (
    MeasureFactory,
    MembershipFactory,
    OrganizationFactory,
    ProgramFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def url(name, org, *args):
    return reverse(name, args=[org.slug, *args])


def member_without_role(org, **kwargs):
    user = UserFactory(**kwargs)
    MembershipFactory(organization=org, user=user, role="")
    return user


def program_admin(org, program):
    user = member_without_role(org, username="program-admin")
    assign_role(user, Role.ADMIN, program)
    return user


def roles(user, org):
    return [(access.role, access.level, access.node.pk) for access in grants_held(user, org)]


def member_requests(personas):
    """Every members URL with the method and data of a request a member could send."""
    org, target = personas.org, personas.viewer
    grant = {"role": Role.VIEWER, "level": "organization", "node": org.pk}
    return [
        ("get", url("member-list", org), {}),
        ("get", url("member-add", org), {}),
        ("post", url("member-add", org), {"identifier": "acme-viewer", "kind": "person"}),
        ("get", url("member-detail", org, target.pk), {}),
        ("get", url("member-grant", org), {}),
        ("post", url("member-grant", org), {**grant, "member": target.pk}),
        ("get", url("member-revoke", org, target.pk) + "?role=viewer&level=organization", {}),
        ("post", url("member-revoke", org, target.pk), grant),
        ("get", url("member-remove", org, target.pk), {}),
        ("post", url("member-remove", org, target.pk), {}),
    ]


# Adding members


def test_admin_adds_an_existing_account_by_email_or_username(client, personas):
    client.force_login(personas.admin)
    response = client.post(
        url("member-add", personas.org),
        {
            "identifier": personas.outsider.email.upper(),
            "kind": "person",
            "title": "Consultant",
            "role": Role.VIEWER,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("member-detail", personas.org, personas.outsider.pk)
    membership = Membership.objects.for_org(personas.org).get(user=personas.outsider)
    assert (membership.title, membership.kind) == ("Consultant", MemberKind.PERSON)
    assert roles(personas.outsider, personas.org) == [("viewer", "organization", personas.org.pk)]

    UserFactory(username="j.doe")
    response = client.post(
        url("member-add", personas.org), {"identifier": "J.Doe", "kind": "person"}
    )
    assert response.status_code == 302
    assert Membership.objects.for_org(personas.org).filter(user__username="j.doe").exists()

    response = client.post(
        url("member-add", personas.org), {"identifier": "j.doe", "kind": "person"}
    )
    assert response.status_code == 422
    assert "already a member" in response.content.decode()


def test_admin_creates_a_new_account_without_a_usable_password(client, personas):
    client.force_login(personas.admin)
    response = client.post(
        url("member-add", personas.org),
        {
            "username": "n.berg",
            "first_name": "Nina",
            "last_name": "Berg",
            "email": "nina.berg@example.com",
            "kind": "person",
            "title": "Buyer",
        },
        follow=True,
    )
    user = User.objects.get(username="n.berg")
    assert not user.has_usable_password()
    assert (user.get_full_name(), user.email) == ("Nina Berg", "nina.berg@example.com")
    assert Membership.objects.for_org(personas.org).get(user=user).title == "Buyer"
    assert roles(user, personas.org) == []
    html = response.content.decode()
    assert "Added Nina Berg (n.berg)" in html and "No roles yet" in html


def test_add_member_errors_keep_the_input(client, personas):
    client.force_login(personas.admin)
    add = url("member-add", personas.org)
    response = client.post(
        add,
        {
            "username": "bad name!",
            "first_name": "Keep",
            "last_name": "Me",
            "email": "not-an-email",
            "title": "Planner",
            "kind": "person",
            "role": Role.LEAD,
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Keep"' in html and 'value="Planner"' in html and 'value="bad name!"' in html
    assert 'value="lead" selected' in html
    assert "Enter a valid email address" in html and "is-invalid" in html
    # Errors of the service (a taken username) come back on their fields too.
    response = client.post(
        add,
        {
            "username": "acme-viewer",
            "first_name": "Keep",
            "email": "k@example.com",
            "kind": "person",
        },
    )
    assert response.status_code == 422
    assert "already exists" in response.content.decode()
    assert 'value="k@example.com"' in response.content.decode()
    response = client.post(add, {"identifier": "nobody-here", "kind": "person"})
    assert response.status_code == 422
    assert "No account has this username or email" in response.content.decode()
    response = client.post(add, {"identifier": "acme-viewer", "username": "x", "kind": "person"})
    assert response.status_code == 422 and "not both" in response.content.decode()
    assert not User.objects.filter(username__in=["bad name!", "x"]).exists()


# Integrators


def test_integrator_member_is_api_only_and_cannot_log_in(client, personas, api):
    client.force_login(personas.admin)
    response = client.post(
        url("member-add", personas.org),
        {"username": "erp-sync", "kind": "integrator", "title": "ERP sync", "role": Role.VIEWER},
    )
    assert response.status_code == 302
    integrator = User.objects.get(username="erp-sync")
    assert not integrator.has_usable_password()
    assert Membership.objects.for_org(personas.org).get(user=integrator).is_integrator
    client.logout()
    for password in ("", "erp-sync", settings.DEMO_PASSWORD, "!"):
        response = client.post(reverse("login"), {"username": "erp-sync", "password": password})
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # It works through API tokens.
    _, key = token_issue(user=integrator, organization=personas.org, name="ERP", by=personas.admin)
    response = api.get(
        f"/api/v1/orgs/{personas.org.slug}/programs/", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 200


def test_an_account_that_can_log_in_cannot_become_an_integrator(client, personas):
    person = UserFactory(username="a.person")
    client.force_login(personas.admin)
    response = client.post(
        url("member-add", personas.org), {"identifier": "a.person", "kind": "integrator"}
    )
    assert response.status_code == 422
    assert "create a new account for the integration" in response.content.decode()
    assert not Membership.objects.for_org(personas.org).filter(user=person).exists()


# What a grant reaches


def test_role_on_a_program_shows_its_work_but_not_a_sibling_program(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    sibling = ProgramFactory(portfolio=program.portfolio)
    visible = MeasureFactory(package__project__program=program)
    hidden = MeasureFactory(package__project__program=sibling)
    newcomer = UserFactory(username="newcomer")
    client.force_login(personas.admin)
    client.post(url("member-add", personas.org), {"identifier": "newcomer", "kind": "person"})
    response = client.post(
        url("member-grant", personas.org),
        {"member": newcomer.pk, "role": Role.VIEWER, "level": "program", "node": program.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == url("member-detail", personas.org, newcomer.pk)
    assert roles(newcomer, personas.org) == [("viewer", "program", program.pk)]

    client.force_login(newcomer)
    for level in ("program", "project", "package", "measure"):
        shown = visible if level == "measure" else getattr(visible, level)
        other = hidden if level == "measure" else getattr(hidden, level)
        html = client.get(reverse(f"{level}-list", args=[personas.org.slug])).content.decode()
        assert shown.code in html and other.code not in html
    assert (
        client.get(reverse("measure-detail", args=[personas.org.slug, visible.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("program-detail", args=[personas.org.slug, sibling.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("portfolio-list", args=[personas.org.slug]))
        .content.decode()
        .count(program.portfolio.code)
        == 0
    )


def test_revoking_takes_effect_on_the_next_request(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    colleague = member_without_role(personas.org)
    grant_role(by=personas.admin, user=colleague, role=Role.VIEWER, node=program)
    client.force_login(colleague)
    program_page = reverse("program-detail", args=[personas.org.slug, program.pk])
    assert client.get(program_page).status_code == 200

    admin = Client()
    admin.force_login(personas.admin)
    revoke = url("member-revoke", personas.org, colleague.pk)
    confirm = admin.get(f"{revoke}?role=viewer&level=program&node={program.pk}")
    assert confirm.status_code == 200 and "Revoke role" in confirm.content.decode()
    response = admin.post(revoke, {"role": "viewer", "level": "program", "node": program.pk})
    assert response.status_code == 302

    assert client.get(program_page).status_code == 404
    assert roles(colleague, personas.org) == []


def test_granting_a_role_twice_is_a_form_error_that_keeps_the_input(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    colleague = member_without_role(personas.org)
    grant_role(by=personas.admin, user=colleague, role=Role.LEAD, node=program)
    client.force_login(personas.admin)
    response = client.post(
        url("member-grant", personas.org),
        {"member": colleague.pk, "role": Role.LEAD, "level": "program", "node": program.pk},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already holds this role" in html
    assert 'value="lead" selected' in html and f'value="{program.pk}" selected' in html


def test_the_last_org_admin_keeps_the_role(client, personas):
    client.force_login(personas.admin)
    response = client.post(
        url("member-revoke", personas.org, personas.admin.pk),
        {"role": Role.ADMIN, "level": "organization", "node": personas.org.pk},
        follow=True,
    )
    assert "needs an admin" in response.content.decode()
    assert roles(personas.admin, personas.org) == [("admin", "organization", personas.org.pk)]


# Who may manage members


@pytest.mark.parametrize(
    "persona", ["executive", "lead", "owner", "controller", "contributor", "viewer"]
)
def test_members_urls_answer_403_to_members_who_may_not_administer(client, personas, persona):
    client.force_login(getattr(personas, persona))
    for method, address, data in member_requests(personas):
        response = getattr(client, method)(address, data)
        assert response.status_code == 403, (method, address)
    assert roles(personas.viewer, personas.org) == [("viewer", "organization", personas.org.pk)]


def test_members_urls_send_anonymous_visitors_to_log_in(client, personas):
    for method, address, data in member_requests(personas):
        response = getattr(client, method)(address, data)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_members_urls_answer_404_to_an_admin_of_another_organization(client, personas):
    client.force_login(personas.outsider)
    for method, address, data in member_requests(personas):
        assert getattr(client, method)(address, data).status_code == 404, (method, address)
    # Their own organization's member page of someone of this one is not found either.
    detail = url("member-detail", personas.other_org, personas.viewer.pk)
    assert client.get(detail).status_code == 404


def test_program_admin_grants_inside_their_program_only(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    sibling = ProgramFactory(portfolio=program.portfolio)
    project = ProjectFactory(program=program)
    admin = program_admin(personas.org, program)
    colleague = member_without_role(personas.org, first_name="Cleo", last_name="Park")
    client.force_login(admin)
    # Organization-wide member pages are not theirs.
    assert client.get(url("member-list", personas.org)).status_code == 403
    assert client.get(url("member-detail", personas.org, colleague.pk)).status_code == 403

    page = client.get(url("member-grant", personas.org) + f"?level=program&node={program.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert program.code in html and sibling.code not in html
    assert 'value="organization"' not in html and "Cleo Park" in html

    grant = url("member-grant", personas.org)
    response = client.post(
        grant, {"member": colleague.pk, "role": Role.LEAD, "level": "project", "node": project.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("project-detail", args=[personas.org.slug, project.pk])
    response = client.post(
        grant, {"member": colleague.pk, "role": Role.LEAD, "level": "program", "node": sibling.pk}
    )
    assert response.status_code == 422
    assert "Choose a program you administer" in response.content.decode()
    response = client.post(
        grant,
        {
            "member": colleague.pk,
            "role": Role.ADMIN,
            "level": "organization",
            "node": personas.org.pk,
        },
    )
    assert response.status_code == 422
    assert roles(colleague, personas.org) == [("lead", "project", project.pk)]

    # Revoking: inside their program yes, a grant on the organization no.
    revoke = url("member-revoke", personas.org, personas.viewer.pk)
    viewer_grant = {"role": Role.VIEWER, "level": "organization", "node": personas.org.pk}
    assert client.post(revoke, viewer_grant).status_code == 403
    response = client.post(
        url("member-revoke", personas.org, colleague.pk),
        {"role": Role.LEAD, "level": "project", "node": project.pk},
    )
    assert response.status_code == 302
    assert roles(colleague, personas.org) == []


def test_members_link_shows_only_for_who_may_administer_the_organization(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    members = f'href="{url("member-list", personas.org)}"'
    home = reverse("org-home", args=[personas.org.slug])
    client.force_login(personas.admin)
    assert members in client.get(home).content.decode()
    for user in (personas.lead, personas.viewer, program_admin(personas.org, program)):
        client.force_login(user)
        assert members not in client.get(home).content.decode()


# Removing members


def test_removing_a_member_removes_their_grants_and_tokens(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    colleague = member_without_role(personas.org, username="leaving")
    grant_role(by=personas.admin, user=colleague, role=Role.LEAD, node=program)
    grant_role(by=personas.admin, user=colleague, role=Role.VIEWER, node=personas.org)
    MembershipFactory(organization=personas.other_org, user=colleague, role=Role.VIEWER)
    token, _ = token_issue(
        user=colleague, organization=personas.org, name="Mine", by=personas.admin
    )
    client.force_login(personas.admin)
    remove = url("member-remove", personas.org, colleague.pk)
    confirm = client.get(remove).content.decode()
    assert "Remove member" in confirm and program.code in confirm

    response = client.post(remove)
    assert response.status_code == 302 and response["Location"] == url("member-list", personas.org)
    assert not Membership.objects.for_org(personas.org).filter(user=colleague).exists()
    assert roles(colleague, personas.org) == []
    assert ApiToken.objects.for_org(personas.org).get(pk=token.pk).revoked_at is not None
    # Other organizations are untouched, and adding them back starts from nothing.
    assert roles(colleague, personas.other_org) != []
    client.post(url("member-add", personas.org), {"identifier": "leaving", "kind": "person"})
    assert roles(colleague, personas.org) == []


def test_an_admin_cannot_remove_themselves(client, personas):
    client.force_login(personas.admin)
    assert (
        "Remove from"
        not in client.get(url("member-detail", personas.org, personas.admin.pk)).content.decode()
    )
    response = client.post(url("member-remove", personas.org, personas.admin.pk), follow=True)
    assert "You cannot remove yourself" in response.content.decode()
    assert Membership.objects.for_org(personas.org).filter(user=personas.admin).exists()


def test_member_post_endpoints_enforce_csrf(personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.admin)
    org, viewer = personas.org, personas.viewer
    posts = [
        (url("member-add", org), {"identifier": personas.outsider.username, "kind": "person"}),
        (
            url("member-grant", org),
            {"member": viewer.pk, "role": Role.LEAD, "level": "program", "node": program.pk},
        ),
        (
            url("member-revoke", org, viewer.pk),
            {"role": Role.VIEWER, "level": "organization", "node": org.pk},
        ),
        (url("member-remove", org, viewer.pk), {}),
    ]
    for address, data in posts:
        assert browser.post(address, data).status_code == 403, address
    assert roles(viewer, org) == [("viewer", "organization", org.pk)]
    assert Membership.objects.for_org(org).count() == 7


# The members page


def test_member_list_shows_people_kinds_and_roles_with_their_nodes(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    colleague = member_without_role(personas.org, first_name="Ines", last_name="Varga")
    Membership.objects.for_org(personas.org).filter(user=colleague).update(title="Analyst")
    grant_role(by=personas.admin, user=colleague, role=Role.LEAD, node=program)
    client.force_login(personas.admin)
    html = client.get(url("member-list", personas.org)).content.decode()
    assert "Ines Varga" in html and colleague.username in html and colleague.email in html
    assert "Analyst" in html
    program_page = reverse("program-detail", args=[personas.org.slug, program.pk])
    assert f'Lead <span class="text-body-secondary">on</span> <a href="{program_page}">' in html
    assert "Org admin" in html


def test_member_search_answers_htmx_with_the_table_only(client, personas):
    client.force_login(personas.admin)
    lead = personas.lead
    response = client.get(
        url("member-list", personas.org) + f"?q={lead.first_name}+{lead.last_name}",
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert '<nav class="navbar' not in html
    assert lead.username in html and personas.viewer.username not in html
    html = client.get(url("member-list", personas.org) + "?q=ACME-CONTRIB").content.decode()
    assert personas.contributor.username in html and personas.lead.username not in html


def test_member_list_query_count_is_the_same_for_5_and_30_members(
    client, django_assert_num_queries
):
    org = OrganizationFactory(slug="sized")
    admin = UserFactory(username="sized-admin")
    MembershipFactory(organization=org, user=admin, role=Role.ADMIN)
    program = ProgramFactory(portfolio__organization=org)
    project = ProjectFactory(program=program)

    def add_members(count):
        for _ in range(count):
            user = UserFactory()
            MembershipFactory(organization=org, user=user, role=Role.VIEWER)
            assign_role(user, Role.LEAD, program)
            assign_role(user, Role.CONTRIBUTOR, project)

    add_members(4)
    client.force_login(admin)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url("member-list", org))
    assert response.content.decode().count("Contributor") == 4
    add_members(25)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(url("member-list", org))
    assert response.content.decode().count("Contributor") == 29


# The access panel of node pages


def test_access_panel_shows_granted_inherited_and_owner_access(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    project = ProjectFactory(program=program, owner=personas.owner)
    on_program = member_without_role(personas.org, first_name="Paul", last_name="Program")
    on_project = member_without_role(personas.org, first_name="Petra", last_name="Project")
    grant_role(by=personas.admin, user=on_program, role=Role.CONTROLLER, node=program)
    grant_role(by=personas.admin, user=on_project, role=Role.CONTRIBUTOR, node=project)
    project_page = reverse("project-detail", args=[personas.org.slug, project.pk])
    client.force_login(personas.admin)
    html = client.get(project_page).content.decode()
    panel = html.split('id="access-heading"')[1].split("</section>")[0]
    program_page = reverse("program-detail", args=[personas.org.slug, program.pk])
    rows = panel.split("<tr>")[2:]
    paul = next(row for row in rows if "Paul Program" in row)
    assert "Controller" in paul and f'Inherited from <a href="{program_page}">' in paul
    petra = next(row for row in rows if "Petra Project" in row)
    assert "Contributor" in petra and "Granted here" in petra
    owner = next(row for row in rows if "Owns this project" in row)
    assert personas.owner.get_full_name() in owner and "Revoke" not in owner
    assert "Acme Manufacturing" in next(row for row in rows if "Org admin" in row)
    assert f"?level=project&amp;node={project.pk}" in panel
    assert all(escape(summary) in panel for summary in ROLE_SUMMARIES.values())

    for user in (personas.viewer, personas.lead, on_program):
        client.force_login(user)
        assert "Who has access" not in client.get(project_page).content.decode()


def test_access_panel_grant_link_opens_the_form_for_that_node(client, personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    admin = program_admin(personas.org, program)
    client.force_login(admin)
    html = client.get(reverse("program-detail", args=[personas.org.slug, program.pk])).content
    assert b"Who has access" in html
    form = client.get(url("member-grant", personas.org) + f"?level=program&node={program.pk}")
    html = form.content.decode()
    assert 'value="program" selected' in html and f'value="{program.pk}" selected' in html


def test_node_picker_answers_htmx_with_the_nodes_of_the_chosen_level(client, personas):
    project = ProjectFactory(program__portfolio__organization=personas.org)
    client.force_login(personas.admin)
    response = client.get(
        url("member-grant", personas.org) + "?level=project", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="node-picker">')
    assert project.code in html and project.program.code not in html


def test_long_node_lists_are_cut_but_every_administered_node_is_accepted(
    client, personas, monkeypatch
):
    monkeypatch.setattr("governance.forms.members.NODE_CHOICES_SHOWN", 2)
    first, second, third = (
        ProgramFactory(portfolio__organization=personas.org, code=f"PG-{n}") for n in (1, 2, 3)
    )
    client.force_login(personas.admin)
    grant = url("member-grant", personas.org)
    html = client.get(grant + "?level=program").content.decode()
    assert first.code in html and second.code in html and third.code not in html
    assert "Only the first 2 are listed" in html
    html = client.get(grant + f"?level=program&node={third.pk}").content.decode()
    assert f'value="{third.pk}" selected' in html
    data = {"member": personas.viewer.pk, "role": Role.LEAD, "level": "program", "node": third.pk}
    assert client.post(grant, data).status_code == 302
    assert ("lead", "program", third.pk) in roles(personas.viewer, personas.org)


def test_node_page_query_count_with_the_access_panel_does_not_grow(
    client, personas, django_assert_num_queries
):
    program = ProgramFactory(portfolio__organization=personas.org, owner=personas.owner)
    page = reverse("program-detail", args=[personas.org.slug, program.pk])

    def add_people(count):
        for _ in range(count):
            user = member_without_role(personas.org)
            assign_role(user, Role.VIEWER, personas.org)
            assign_role(user, Role.LEAD, program.portfolio)
            assign_role(user, Role.CONTRIBUTOR, program)

    add_people(2)
    client.force_login(personas.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    add_people(20)
    with django_assert_num_queries(len(few.captured_queries)):
        html = client.get(page).content.decode()
    assert html.count("Granted here") == 22
