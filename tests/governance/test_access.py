"""Roles on the hierarchy: inheritance, the owner rule, financial fields, and one rule in two
forms (``restrict`` in SQL, ``can`` in Python) that must always agree."""

import random
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from governance.access import can, grants_of, restrict
from governance.errors import AccessDenied, ValidationError
from governance.models import Portfolio, Program, Project, Role
from governance.models.hierarchy import hierarchy_models
from governance.permissions import ACTIONS, permission_models
from governance.services.grants import access_to, assign_role, grant_role, revoke_role
from governance.services.hierarchy import node_move, node_update
from measures.models import Measure, MeasurePackage
from tests.factories import (
    MeasureFactory,
    MeasurePackageFactory,
    MembershipFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request sees them: grants are read once per user object."""
    return type(user).objects.get(pk=user.pk)


def tree(org):
    """Two portfolios, each with two programs, each with a project, package and two measures."""
    nodes = {}
    for p in range(2):
        portfolio = PortfolioFactory(organization=org, code=f"PF{p}")
        nodes[f"pf{p}"] = portfolio
        for g in range(2):
            program = ProgramFactory(portfolio=portfolio, code=f"PG{p}{g}")
            project = ProjectFactory(program=program, code=f"PJ{p}{g}")
            package = MeasurePackageFactory(project=project, code=f"MP{p}{g}")
            nodes[f"pg{p}{g}"], nodes[f"pj{p}{g}"], nodes[f"mp{p}{g}"] = program, project, package
            for m in range(2):
                nodes[f"m{p}{g}{m}"] = MeasureFactory(package=package, code=f"M{p}{g}{m}")
    return nodes


def visible(user, model, org, action="view"):
    return set(
        restrict(model.objects.all(), user, action, organization=org).values_list("code", flat=True)
    )


def test_a_grant_on_a_program_reaches_its_subtree_and_nothing_beside(personas):
    nodes = tree(personas.org)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    assert visible(person, Measure, personas.org) == set()
    assign_role(person, Role.VIEWER, nodes["pg01"])
    person = fresh(person)
    assert visible(person, Portfolio, personas.org) == set()
    assert visible(person, Program, personas.org) == {"PG01"}
    assert visible(person, Project, personas.org) == {"PJ01"}
    assert visible(person, MeasurePackage, personas.org) == {"MP01"}
    assert visible(person, Measure, personas.org) == {"M010", "M011"}
    assert visible(person, Measure, personas.org, "change") == set()


def test_revoking_takes_effect_on_the_next_request(personas):
    nodes = tree(personas.org)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    grant_role(by=personas.admin, user=person, role=Role.LEAD, node=nodes["pj10"])
    person = fresh(person)
    assert visible(person, Measure, personas.org, "change") == {"M100", "M101"}
    revoke_role(by=personas.admin, user=person, role=Role.LEAD, node=nodes["pj10"])
    assert visible(fresh(person), Measure, personas.org) == set()


def test_granting_needs_administer_on_the_node_and_membership(personas):
    nodes = tree(personas.org)
    person = UserFactory()
    with pytest.raises(AccessDenied):
        grant_role(by=personas.lead, user=personas.viewer, role=Role.LEAD, node=nodes["pg00"])
    with pytest.raises(ValidationError):
        grant_role(by=personas.admin, user=person, role=Role.VIEWER, node=nodes["pg00"])
    # An admin of a portfolio administers below it, not beside it.
    MembershipFactory(organization=personas.org, user=person, role="")
    assign_role(person, Role.ADMIN, nodes["pf0"])
    person = fresh(person)
    grant_role(by=person, user=personas.viewer, role=Role.LEAD, node=nodes["pg01"])
    with pytest.raises(AccessDenied):
        grant_role(by=person, user=personas.viewer, role=Role.LEAD, node=nodes["pg10"])
    with pytest.raises(AccessDenied):
        grant_role(by=person, user=personas.viewer, role=Role.LEAD, node=personas.org)


def test_the_owner_acts_on_their_own_node_without_a_grant(personas):
    nodes = tree(personas.org)
    owner = UserFactory()
    MembershipFactory(organization=personas.org, user=owner, role="")
    Measure.objects.for_org(personas.org).filter(code="M000").update(owner=owner)
    assert visible(owner, Measure, personas.org) == {"M000"}
    assert visible(owner, Measure, personas.org, "change") == {"M000"}
    assert visible(owner, Measure, personas.org, "view_financials") == {"M000"}
    assert visible(owner, Measure, personas.org, "archive") == set()
    assert visible(owner, Project, personas.org) == set()
    # A former member owns nothing they can reach.
    owner.memberships.all().delete()
    assert visible(fresh(owner), Measure, personas.org) == set()
    assert nodes  # the rest of the tree stays out of reach


def test_a_controller_never_validates_what_they_own(personas):
    tree(personas.org)
    Measure.objects.for_org(personas.org).filter(code="M000").update(owner=personas.controller)
    validatable = visible(personas.controller, Measure, personas.org, "validate")
    assert "M000" not in validatable and "M001" in validatable
    measure = Measure.objects.for_org(personas.org).get(code="M000")
    assert not can(personas.controller, "validate", measure)
    assert can(personas.controller, "view_financials", measure)


def test_other_organizations_are_never_reached(personas):
    tree(personas.org)
    assert visible(personas.outsider, Measure, personas.org) == set()
    assert visible(personas.stranger, Measure, personas.org) == set()
    measure = Measure.objects.for_org(personas.org).first()
    assert not can(personas.outsider, "view", measure)


def test_direct_user_permissions_count_and_financials_are_refused_without_them(personas):
    nodes = tree(personas.org)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    user_table, _ = permission_models(Project)
    manage = Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Project), codename="node_manage"
    )
    user_table.objects.create(
        organization=personas.org, user=person, permission=manage, content_object=nodes["pj00"]
    )
    person = fresh(person)
    measure = nodes["m000"]
    assert visible(person, Measure, personas.org, "change") == {"M000", "M001"}
    node_update(node=measure, by=person, title="Renamed")
    with pytest.raises(ValidationError) as refused:
        node_update(node=measure, by=person, target_value=Decimal("1000"))
    assert "target_value" in refused.value.message_dict


def test_moving_into_a_subtree_you_cannot_manage_is_refused(personas):
    nodes = tree(personas.org)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    assign_role(person, Role.LEAD, nodes["pg00"])
    assign_role(person, Role.VIEWER, nodes["pg01"])
    person = fresh(person)
    with pytest.raises(AccessDenied):
        node_move(node=nodes["pj00"], new_parent=nodes["pg01"], by=person)
    assert Project.objects.for_org(personas.org).get(code="PJ00").program_id == nodes["pg00"].pk


def test_access_to_explains_every_reason(personas):
    nodes = tree(personas.org)
    Measure.objects.for_org(personas.org).filter(code="M000").update(owner=personas.owner)
    assign_role(personas.contributor, Role.LEAD, nodes["pg00"])
    measure = Measure.objects.for_org(personas.org).get(code="M000")
    reasons = {(a.user.username, a.role, a.level, a.inherited) for a in access_to(measure)}
    assert ("acme-contributor", Role.LEAD, "program", True) in reasons
    assert ("acme-admin", Role.ADMIN, "organization", True) in reasons
    assert ("acme-owner", "owner", "measure", False) in reasons


@pytest.mark.parametrize("seed", range(4))
def test_can_and_restrict_always_agree(personas, seed):
    """The SQL filter and the Python check are two forms of one rule: on random grants they
    decide every action on every node the same way."""
    rng = random.Random(seed)
    nodes = tree(personas.org)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    candidates = [personas.org, *nodes.values()]
    for node in rng.sample(candidates, 4):
        assign_role(person, rng.choice(list(Role)), node)
    for node in rng.sample(list(nodes.values()), 3):
        type(node).objects.for_org(personas.org).filter(pk=node.pk).update(owner=person)
    person = fresh(person)
    for model in hierarchy_models():
        rows = list(model.objects.for_org(personas.org))
        for action in ACTIONS:
            allowed = set(
                restrict(
                    model.objects.all(), person, action, organization=personas.org
                ).values_list("pk", flat=True)
            )
            assert allowed == {row.pk for row in rows if can(person, action, row)}, (model, action)


def test_grants_are_read_in_one_query_per_request(personas, django_assert_num_queries):
    nodes = tree(personas.org)
    for node in list(nodes.values())[:10]:
        assign_role(personas.viewer, Role.CONTRIBUTOR, node)
    person = fresh(personas.viewer)
    with django_assert_num_queries(2):  # membership, then every grant in one UNION
        grants_of(person, personas.org)
    with django_assert_num_queries(0):
        for node in nodes.values():
            can(person, "contribute", node)


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("viewer", False),
        ("contributor", False),
        ("owner", False),
        ("controller", True),
        ("executive", True),
        ("lead", True),
        ("admin", True),
    ],
)
def test_financial_fields_follow_the_role(api_as, client, personas, persona, sees):
    measure = MeasureFactory(
        package__project__program__portfolio__organization=personas.org,
        target_value=Decimal("125000.00"),
        budget=Decimal("20000.00"),
    )
    user = getattr(personas, persona)
    body = api_as(user).get(f"/api/v1/orgs/acme/measures/{measure.pk}/").json()
    assert ("target_value" in body and "budget" in body) is sees
    if sees:
        assert body["target_value"] == "125000.00"
    listing = api_as(user).get("/api/v1/orgs/acme/measures/").json()["results"]
    assert ("target_value" in listing[0]) is sees
    client.force_login(user)
    page = client.get(f"/o/acme/measures/{measure.pk}/").content.decode()
    assert ("125,000" in page or "125.000" in page or "125000" in page) is sees
    assert ("Target value" in page) is sees


def test_the_owner_sees_and_sets_financials_of_their_own_measure_only(api_as, personas):
    mine = MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )
    other = MeasureFactory(package=mine.package, target_value=Decimal("5"))
    client = api_as(personas.owner)
    response = client.patch(
        f"/api/v1/orgs/acme/measures/{mine.pk}/", {"target_value": "90000"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["target_value"] == "90000.00"
    assert "target_value" not in client.get(f"/api/v1/orgs/acme/measures/{other.pk}/").json()
    assert (
        client.patch(
            f"/api/v1/orgs/acme/measures/{other.pk}/", {"title": "Not mine"}, format="json"
        ).status_code
        == 403
    )


def test_financial_input_from_a_role_without_them_writes_nothing(api_as, personas):
    project = ProjectFactory(program__portfolio__organization=personas.org)
    person = UserFactory()
    MembershipFactory(organization=personas.org, user=person, role="")
    user_table, _ = permission_models(Project)
    for codename in ("node_view", "node_manage"):
        user_table.objects.create(
            organization=personas.org,
            user=person,
            permission=Permission.objects.get(
                content_type=ContentType.objects.get_for_model(Project), codename=codename
            ),
            content_object=project,
        )
    response = api_as(person).patch(
        f"/api/v1/orgs/acme/projects/{project.pk}/",
        {"title": "New title", "budget": "1"},
        format="json",
    )
    assert response.status_code == 400
    assert "budget" in response.json()["errors"]
    project.refresh_from_db()
    assert project.budget is None and project.title != "New title"


def test_the_edit_form_offers_financials_only_where_they_are_visible(client, personas):
    mine = MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )
    client.force_login(personas.owner)
    assert 'name="target_value"' in client.get(f"/o/acme/measures/{mine.pk}/edit/").content.decode()
    client.force_login(personas.lead)
    page = client.get(f"/o/acme/projects/new/?program={mine.program_id}").content.decode()
    assert 'name="budget"' in page


def test_rows_carrying_their_measures_keys_are_restricted_like_their_measures(personas):
    from measures.models import FinancialEntry, MeasureMonth
    from measures.services.figures import measure_months_rebuild

    org = personas.org
    nodes = tree(org)
    measures = [node for node in nodes.values() if isinstance(node, Measure)]
    FinancialEntry.objects.bulk_create(
        FinancialEntry(
            organization=org,
            measure=measure,
            period=measure.created_at.date().replace(day=1),
            line="benefit",
            scenario="plan",
            amount=Decimal("10.00"),
        )
        for measure in measures
    )
    measure_months_rebuild(organization_id=org.pk)
    lead, owner = UserFactory(), UserFactory()
    for user in (lead, owner):
        MembershipFactory(organization=org, user=user, role=Role.VIEWER)
    assign_role(lead, Role.LEAD, nodes["pj01"])
    assign_role(lead, Role.VIEWER, nodes["m100"])
    Measure.objects.for_org(org).filter(pk=nodes["m111"].pk).update(owner=owner)
    for user in (lead, owner, personas.admin, personas.viewer, personas.outsider):
        for action in ("view", "view_financials", "change", "validate"):
            months = restrict(MeasureMonth.objects.all(), user, action, organization=org)
            assert set(months.values_list("measure__code", flat=True)) == visible(
                user, Measure, org, action
            ), (user, action)
