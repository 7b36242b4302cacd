import pytest

from governance.models import Portfolio, Program, UnscopedQuery
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_unscoped_tenant_query_refuses_to_run():
    ProgramFactory()
    with pytest.raises(UnscopedQuery):
        list(Program.objects.all())
    with pytest.raises(UnscopedQuery):
        Program.objects.filter(pk=1).first()
    with pytest.raises(UnscopedQuery):
        Program.objects.count()
    with pytest.raises(UnscopedQuery):
        Program.objects.exclude(organization_id=1).exists()


def test_scoped_queries_run():
    program = ProgramFactory()
    assert list(Program.objects.for_org(program.organization)) == [program]
    assert Program.objects.filter(organization=program.organization_id).count() == 1
    # A related manager of a loaded row is bound to that row's tenant.
    assert list(program.portfolio.programs.all()) == [program]
    # Foreign-key access goes through the base manager.
    assert program.portfolio.code
    # The escape hatch is explicit and greppable.
    assert Portfolio.objects.unscoped().count() == 1


def test_for_org_excludes_other_tenants():
    mine, theirs = ProgramFactory(), ProgramFactory()
    assert list(Program.objects.for_org(mine.organization)) == [mine]
    assert list(Program.objects.for_org(theirs.organization)) == [theirs]
