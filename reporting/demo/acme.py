"""Seed Acme Manufacturing, the demo organization, through the same services the app uses.

Every node is looked up by its code first and created only when missing, so a second run finds
everything in place and writes nothing; a run interrupted half-way is completed by the next.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from governance.models import (
    BusinessUnit,
    DecisionForum,
    ForumMember,
    Function,
    HierarchyNode,
    LegalEntity,
    Organization,
    Portfolio,
    Program,
    Project,
    TokenScope,
)
from governance.rls import tenant_scope
from governance.services.hierarchy import node_create
from governance.services.tokens import token_issue
from measures.models import Measure, MeasureCategory, MeasurePackage
from measures.services.fields import category_seed_defaults
from measures.services.figures import measure_months_rebuild
from reporting.demo.dates import planning_horizon
from reporting.demo.organization import (
    BUSINESS_UNITS,
    COLLEAGUES,
    DEMO_USERS,
    FORUMS,
    FUNCTIONS,
    INTEGRATOR,
    LEGAL_ENTITIES,
    MEASURE_OWNERS,
    ORG_CURRENCY,
    ORG_NAME,
    ORG_SLUG,
    Person,
)
from reporting.demo.people import members_ensure
from reporting.demo.portfolios import PORTFOLIOS
from reporting.demo.reports import demo_report_ensure
from reporting.demo.story import demo_story_ensure, measure_sheet

# Share of measures booked to the larger business unit.
INDUSTRIAL_SHARE = 0.6


@dataclass(frozen=True)
class DemoSeedResult:
    organization: Organization
    created: bool
    users: tuple[Person, ...]
    integrator: Person
    measures: int
    # The integrator's API key: only on the run that created the organization.
    token_key: str | None


def _units(
    organization: Organization, model: type[models.Model], rows: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    return {
        code: model.objects.get_or_create(  # type: ignore[attr-defined]
            organization=organization, code=code, defaults={"name": name}
        )[0]
        for code, name in rows
    }


class _Builder:
    """Creates the missing nodes of the plan, top down, as the org admin."""

    def __init__(
        self, *, organization: Organization, people: dict[str, Any], today: dt.date
    ) -> None:
        self.organization = organization
        self.people = people
        self.by = people["admin"]
        self.start, self.end = planning_horizon(today, organization.fiscal_year_start_month)
        self.existing: dict[type[HierarchyNode], dict[str, HierarchyNode]] = {
            model: {node.code: node for node in model.objects.for_org(organization)}
            for model in (Portfolio, Program, Project, MeasurePackage, Measure)
        }
        self.functions = _units(organization, Function, FUNCTIONS)
        category_seed_defaults(organization=organization)
        self.categories = {
            category.code: category for category in MeasureCategory.objects.for_org(organization)
        }
        self.business_units = _units(organization, BusinessUnit, BUSINESS_UNITS)
        _units(organization, LegalEntity, LEGAL_ENTITIES)

    def node(
        self,
        model: type[HierarchyNode],
        parent: HierarchyNode | None,
        code: str,
        **values: Any,
    ) -> HierarchyNode:
        found = self.existing[model].get(code)
        if found is not None:
            return found
        return node_create(
            model=model,
            organization=self.organization,
            by=self.by,
            parent=parent,
            code=code,
            **values,
        )

    def span(self, code: str, *, lead_in: int, trail: int) -> dict[str, dt.date]:
        # Seeded by the code, so a node gets the same dates whichever run creates it.
        rng = random.Random(code)
        return {
            "start_date": self.start + dt.timedelta(days=rng.randrange(lead_in + 1)),
            "end_date": self.end - dt.timedelta(days=rng.randrange(trail + 1)),
        }

    def measure_values(self, code: str, function: str, turn: int) -> dict[str, Any]:
        rng = random.Random(code)
        start = self.start + dt.timedelta(days=rng.randrange(330))
        end = min(start + dt.timedelta(days=rng.randrange(60, 450)), self.end)
        owners = MEASURE_OWNERS[function]
        unit = "IND" if rng.random() < INDUSTRIAL_SHARE else "PKG"
        return {
            "owner": self.people[owners[turn % len(owners)]],
            "function": self.functions[function],
            "business_unit": self.business_units[unit],
            "start_date": start,
            "end_date": end,
        }

    def sheet(self, title: str, function: str) -> dict[str, Any]:
        return measure_sheet(
            title=title,
            function=function,
            categories=self.categories,
            controller=self.people["controller"],
        )

    def build(self) -> dict[str, HierarchyNode]:
        people = self.people
        portfolios: dict[str, HierarchyNode] = {}
        number = 0
        for plan in PORTFOLIOS:
            portfolio = self.node(
                Portfolio,
                None,
                plan.code,
                title=plan.title,
                description=plan.description,
                owner=people[plan.owner],
                sponsor=people[plan.sponsor],
                start_date=self.start,
                end_date=self.end,
            )
            portfolios[plan.code] = portfolio
            for program_plan in plan.programs:
                program = self.node(
                    Program,
                    portfolio,
                    program_plan.code,
                    title=program_plan.title,
                    owner=people[program_plan.owner],
                    sponsor=people[program_plan.sponsor],
                    **self.span(program_plan.code, lead_in=0, trail=60),
                )
                for project_plan in program_plan.projects:
                    project = self.node(
                        Project,
                        program,
                        project_plan.code,
                        title=project_plan.title,
                        owner=people[project_plan.owner],
                        sponsor=people[program_plan.owner],
                        **self.span(project_plan.code, lead_in=30, trail=120),
                    )
                    for index, package_plan in enumerate(project_plan.packages, start=1):
                        package_code = f"{project_plan.code}-{index}"
                        package = self.node(
                            MeasurePackage,
                            project,
                            package_code,
                            title=package_plan.title,
                            owner=people[project_plan.owner],
                            sponsor=people[program_plan.owner],
                            **self.span(package_code, lead_in=30, trail=120),
                        )
                        for turn, title in enumerate(package_plan.measures):
                            number += 1
                            code = f"M-{number:04d}"
                            self.node(
                                Measure,
                                package,
                                code,
                                title=title,
                                sponsor=people[program_plan.owner],
                                **self.measure_values(code, project_plan.function, turn),
                                **self.sheet(title, project_plan.function),
                            )
        return portfolios


def _forums(
    organization: Organization, people: dict[str, Any], portfolios: dict[str, HierarchyNode]
) -> None:
    forums: dict[str, DecisionForum] = {}
    for plan in FORUMS:
        forum, _ = DecisionForum.objects.get_or_create(
            organization=organization,
            name=plan.name,
            defaults={
                "portfolio": portfolios.get(plan.portfolio or ""),
                "parent": forums.get(plan.parent or ""),
                "sla_days": plan.sla_days,
            },
        )
        forums[plan.name] = forum
        for username in (plan.chair, *plan.members):
            ForumMember.objects.get_or_create(
                organization=organization,
                forum=forum,
                user=people[username],
                defaults={"is_chair": username == plan.chair},
            )


def demo_organization_seed(*, today: dt.date | None = None) -> DemoSeedResult:
    """Create Acme Manufacturing with its people, hierarchy and forums, its year so far (stages,
    series, approvals, exceptions, two weekly snapshots) and a weekly leadership report, or
    complete it."""
    today = today or timezone.localdate()
    with transaction.atomic():
        organization, created = Organization.objects.get_or_create(
            slug=ORG_SLUG,
            defaults={"name": ORG_NAME, "currency": ORG_CURRENCY, "fiscal_year_start_month": 1},
        )
        # Every tenant row is written in the organization's scope, as the application role.
        with tenant_scope(organization.pk):
            people = members_ensure(
                organization=organization,
                people=(*DEMO_USERS, INTEGRATOR, *COLLEAGUES),
                email_domain="acme.example",
            )
            portfolios = _Builder(organization=organization, people=people, today=today).build()
            _forums(organization, people, portfolios)
            measure_months_rebuild(organization_id=organization.pk)
            demo_story_ensure(organization=organization, people=people, today=today)
            demo_report_ensure(organization=organization, admin=people["admin"])
            token_key = None
            if created:
                # The key exists only in this run's output: it is stored hashed.
                _, token_key = token_issue(
                    user=people[INTEGRATOR.username],
                    organization=organization,
                    name="ERP integration (demo)",
                    scope=TokenScope.WRITE,
                    by=people["admin"],
                )
            measures = Measure.objects.for_org(organization).count()
    return DemoSeedResult(
        organization=organization,
        created=created,
        users=DEMO_USERS,
        integrator=INTEGRATOR,
        measures=measures,
        token_key=token_key,
    )
