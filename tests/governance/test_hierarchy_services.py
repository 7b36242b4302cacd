"""The services that create, change, move and archive nodes, at every level."""

import datetime as dt

import pytest

from governance.errors import AccessDenied, StaleVersion, ValidationError
from governance.models import AuditEvent, Portfolio, Program, Project
from governance.services.hierarchy import (
    node_archive,
    node_create,
    node_move,
    node_restore,
    node_update,
)
from measures.models import Measure, MeasurePackage
from tests.factories import (
    FunctionFactory,
    MeasureFactory,
    MeasurePackageFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

D1, D2 = dt.date(2026, 1, 1), dt.date(2026, 12, 31)


def parent_for(model, org):
    """A live parent of the level above ``model`` in ``org`` (None for portfolios)."""
    factories = {
        Program: PortfolioFactory,
        Project: ProgramFactory,
        MeasurePackage: ProjectFactory,
        Measure: MeasurePackageFactory,
    }
    if model is Portfolio:
        return None
    factory = factories[model]
    if factory is PortfolioFactory:
        return factory(organization=org)
    parent_of_parent = parent_for(factory._meta.model, org)
    return factory(**{parent_of_parent.LEVEL: parent_of_parent})


LEVEL_MODELS = [Portfolio, Program, Project, MeasurePackage, Measure]


def events(org):
    return AuditEvent.objects.for_org(org).count()


@pytest.mark.parametrize("model", LEVEL_MODELS, ids=lambda m: m.LEVEL)
def test_create_sets_organization_ancestors_and_audits(personas, model):
    parent = parent_for(model, personas.org)
    node = node_create(
        model=model,
        organization=personas.org,
        by=personas.lead,
        parent=parent,
        code="X-1",
        title="  Cut freight cost  ",
        owner=personas.owner,
        start_date=D1,
        end_date=D2,
    )
    assert node.organization_id == personas.org.pk
    assert node.title == "Cut freight cost"
    if parent is not None:
        assert getattr(node, f"{parent.LEVEL}_id") == parent.pk
        for level in parent.ancestor_levels():
            assert getattr(node, f"{level}_id") == getattr(parent, f"{level}_id")
    event = AuditEvent.objects.for_org(personas.org).get(object_id=node.pk)
    assert event.action == f"{model.LEVEL}.created"
    assert event.actor == personas.lead
    assert event.changes["title"] == [None, "Cut freight cost"]


@pytest.mark.parametrize("model", LEVEL_MODELS, ids=lambda m: m.LEVEL)
@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"code": "A-1", "title": "   "}, "title", "Give the title."),
        ({"code": "", "title": "T"}, "code", "Give the code."),
        ({"code": "has space", "title": "T"}, "code", "Use up to 30"),
        (
            {"code": "A-1", "title": "T", "start_date": D2, "end_date": D1},
            "end_date",
            "must not be before",
        ),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(personas, model, values, field, message):
    parent = parent_for(model, personas.org)
    before = model.objects.for_org(personas.org).count(), events(personas.org)
    with pytest.raises(ValidationError) as error:
        node_create(
            model=model, organization=personas.org, by=personas.lead, parent=parent, **values
        )
    assert message in " ".join(error.value.message_dict[field])
    assert (model.objects.for_org(personas.org).count(), events(personas.org)) == before


@pytest.mark.parametrize("model", LEVEL_MODELS, ids=lambda m: m.LEVEL)
def test_duplicate_code_in_the_org_is_refused(personas, model):
    parent = parent_for(model, personas.org)
    node_create(
        model=model,
        organization=personas.org,
        by=personas.lead,
        parent=parent,
        code="DUP",
        title="A",
    )
    with pytest.raises(ValidationError) as error:
        node_create(
            model=model,
            organization=personas.org,
            by=personas.lead,
            parent=parent,
            code="dup",
            title="B",
        )
    assert "already used" in error.value.message_dict["code"][0]
    assert model.objects.for_org(personas.org).filter(code__iexact="dup").count() == 1


def test_same_code_in_another_org_is_fine(personas):
    node_create(model=Portfolio, organization=personas.org, by=personas.admin, code="P", title="A")
    node_create(
        model=Portfolio, organization=personas.other_org, by=personas.outsider, code="P", title="B"
    )


@pytest.mark.parametrize("model", LEVEL_MODELS[1:], ids=lambda m: m.LEVEL)
def test_unknown_or_foreign_parent_does_not_exist(personas, model):
    foreign_parent = parent_for(model, personas.other_org)
    before = model.objects.unscoped().count()
    for parent in (None, foreign_parent):
        with pytest.raises((ValidationError, AccessDenied)) as error:
            node_create(
                model=model,
                organization=personas.org,
                by=personas.lead,
                parent=parent,
                code="C",
                title="T",
            )
        if isinstance(error.value, ValidationError):
            assert "does not exist" in error.value.message_dict[model.parent_level()][0]
    assert model.objects.unscoped().count() == before


def test_owner_must_be_a_member(personas):
    with pytest.raises(ValidationError) as error:
        node_create(
            model=Portfolio,
            organization=personas.org,
            by=personas.admin,
            code="P",
            title="T",
            owner=personas.outsider,
        )
    assert error.value.message_dict["owner"] == ["Choose a member of this organization."]


def test_foreign_function_on_a_measure_does_not_exist(personas):
    package = parent_for(Measure, personas.org)
    with pytest.raises(ValidationError) as error:
        node_create(
            model=Measure,
            organization=personas.org,
            by=personas.lead,
            parent=package,
            code="M",
            title="T",
            function=FunctionFactory(organization=personas.other_org),
        )
    assert error.value.message_dict["function"] == ["The function does not exist."]


def test_viewer_cannot_create(personas):
    with pytest.raises(AccessDenied):
        node_create(
            model=Portfolio, organization=personas.org, by=personas.viewer, code="P", title="T"
        )
    assert not Portfolio.objects.for_org(personas.org).exists()


def test_update_changes_fields_bumps_version_and_audits(personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    updated = node_update(node=program, by=personas.lead, title="Renamed", end_date=D2)
    assert (updated.title, updated.end_date, updated.version) == ("Renamed", D2, 2)
    event = AuditEvent.objects.for_org(personas.org).get(action="program.updated")
    assert event.changes["title"][1] == "Renamed"


def test_update_without_change_writes_nothing(personas):
    program = ProgramFactory(portfolio__organization=personas.org, title="Same")
    node_update(node=program, by=personas.lead, title="Same")
    assert events(personas.org) == 0
    program.refresh_from_db()
    assert program.version == 1


def test_update_rejects_bad_input_and_keeps_the_row(personas):
    program = ProgramFactory(portfolio__organization=personas.org, title="Keep")
    with pytest.raises(ValidationError):
        node_update(node=program, by=personas.lead, title="", start_date=D2, end_date=D1)
    program.refresh_from_db()
    assert (program.title, program.version, events(personas.org)) == ("Keep", 1, 0)


def test_stale_version_is_refused(personas):
    program = ProgramFactory(portfolio__organization=personas.org)
    node_update(node=program, by=personas.lead, title="First")
    with pytest.raises(StaleVersion):
        node_update(node=program, by=personas.lead, expected_version=1, title="Second")


def test_owner_may_change_own_measure_but_not_others(personas):
    mine = MeasureFactory(
        package__project__program__portfolio__organization=personas.org, owner=personas.owner
    )
    theirs = MeasureFactory(package=mine.package, owner=personas.lead)
    node_update(node=mine, by=personas.owner, title="Mine")
    with pytest.raises(AccessDenied):
        node_update(node=theirs, by=personas.owner, title="Theirs")


def test_move_rewrites_ancestor_keys_of_the_whole_subtree(personas):
    measure = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    project = measure.project
    target = ProgramFactory(portfolio__organization=personas.org)
    node_move(node=project, new_parent=target, by=personas.lead)
    measure.refresh_from_db()
    package = MeasurePackage.objects.for_org(personas.org).get(pk=measure.package_id)
    for row in (measure, package):
        assert (row.program_id, row.portfolio_id) == (target.pk, target.portfolio_id)
    assert AuditEvent.objects.for_org(personas.org).filter(action="project.moved").count() == 1


def test_move_to_foreign_or_archived_parent_is_refused(personas):
    project = ProjectFactory(program__portfolio__organization=personas.org)
    foreign = ProgramFactory(portfolio__organization=personas.other_org)
    with pytest.raises(ValidationError, match="does not exist"):
        node_move(node=project, new_parent=foreign, by=personas.lead)
    archived = ProgramFactory(portfolio__organization=personas.org)
    node_archive(node=archived, by=personas.lead)
    with pytest.raises(ValidationError, match="archived"):
        node_move(node=project, new_parent=archived, by=personas.lead)
    with pytest.raises(ValidationError, match="can only be moved to a program"):
        node_move(node=project, new_parent=project.portfolio, by=personas.lead)


def test_archive_takes_the_subtree_and_restore_brings_it_back(personas):
    measure = MeasureFactory(package__project__program__portfolio__organization=personas.org)
    already_archived = MeasureFactory(package=measure.package)
    node_archive(node=already_archived, by=personas.lead)
    program = measure.program
    node_archive(node=program, by=personas.lead)
    measure.refresh_from_db()
    assert measure.is_archived
    with pytest.raises(ValidationError, match="archived"):
        node_create(
            model=Project,
            organization=personas.org,
            by=personas.lead,
            parent=program,
            code="NEW",
            title="Under archived",
        )
    node_restore(node=program, by=personas.lead)
    measure.refresh_from_db()
    already_archived.refresh_from_db()
    assert not measure.is_archived
    assert already_archived.is_archived  # archived on its own before: stays archived


def test_restore_under_archived_parent_is_refused(personas):
    project = ProjectFactory(program__portfolio__organization=personas.org)
    node_archive(node=project.program, by=personas.lead)
    project.refresh_from_db()
    with pytest.raises(ValidationError, match="restore it first"):
        node_restore(node=project, by=personas.lead)
