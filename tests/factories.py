"""factory_boy factories shared by every app's tests.

Factories build rows directly (fast); behaviour under test goes through services. Ancestor keys
are derived from the parent, the same way the services set them.
"""

from __future__ import annotations

from typing import Any

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from governance.models import (
    BusinessUnit,
    Function,
    Membership,
    Organization,
    Portfolio,
    Program,
    Project,
    Role,
)
from governance.services.grants import assign_role
from measures.models import Measure, MeasurePackage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def saved(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    currency = "EUR"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        """``MembershipFactory(role=Role.LEAD)`` grants that role on the whole organization
        (viewer by default); ``role=""`` leaves the member without any grant."""
        if create and extracted != "":
            assign_role(self.user, extracted or Role.VIEWER, self.organization)


class FunctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Function

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"F{n}")
    name = factory.Sequence(lambda n: f"Function {n}")


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"BU{n}")
    name = factory.Sequence(lambda n: f"Business unit {n}")


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"PF-{n:04d}")
    title = factory.Sequence(lambda n: f"Portfolio {n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    portfolio = factory.SubFactory(PortfolioFactory)
    organization = factory.LazyAttribute(lambda o: o.portfolio.organization)
    code = factory.Sequence(lambda n: f"PG-{n:04d}")
    title = factory.Sequence(lambda n: f"Program {n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    program = factory.SubFactory(ProgramFactory)
    portfolio = factory.LazyAttribute(lambda o: o.program.portfolio)
    organization = factory.LazyAttribute(lambda o: o.program.organization)
    code = factory.Sequence(lambda n: f"PJ-{n:04d}")
    title = factory.Sequence(lambda n: f"Project {n}")


class MeasurePackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeasurePackage

    project = factory.SubFactory(ProjectFactory)
    program = factory.LazyAttribute(lambda o: o.project.program)
    portfolio = factory.LazyAttribute(lambda o: o.project.portfolio)
    organization = factory.LazyAttribute(lambda o: o.project.organization)
    code = factory.Sequence(lambda n: f"MP-{n:04d}")
    title = factory.Sequence(lambda n: f"Package {n}")


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    package = factory.SubFactory(MeasurePackageFactory)
    project = factory.LazyAttribute(lambda o: o.package.project)
    program = factory.LazyAttribute(lambda o: o.package.program)
    portfolio = factory.LazyAttribute(lambda o: o.package.portfolio)
    organization = factory.LazyAttribute(lambda o: o.package.organization)
    code = factory.Sequence(lambda n: f"M-{n:05d}")
    title = factory.Sequence(lambda n: f"Measure {n}")

    @classmethod
    def _create(cls, model_class: type[Measure], *args: Any, **kwargs: Any) -> Measure:
        """Saved as ``node_create`` leaves it: counted in its program's tally."""
        from measures.services.figures import program_tallies_refresh

        measure = super()._create(model_class, *args, **kwargs)
        program_tallies_refresh(
            organization_id=measure.organization_id, programs=[measure.program_id]
        )
        return measure
