"""Generated data for the dashboard tests: a few hundred measures with random stages, functions,
statuses and series, open exception cases, pending approvals and capacity; and the brute-force
twins of every widget (plain Python over all rows)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from approvals.models import ApprovalRequest, ApprovalStep
from governance.models import BusinessUnit, DecisionForum, ExceptionCase, Function, Organization
from measures.fiscal import add_months, fiscal_year_start
from measures.models import (
    Availability,
    CapacityPerson,
    Effort,
    FinancialEntry,
    Measure,
    Validation,
)
from tests.factories import (
    MeasureFactory,
    MeasurePackageFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    UserFactory,
)

STAGES = ("defined", "identified", "detailed", "decided", "implemented", "closed", "on_hold")
IMPLEMENTATION = ("", "not_started", "on_track", "at_risk", "off_track", "done")
POTENTIAL = ("", "on_track", "at_risk", "off_track")


@dataclass
class World:
    org: Organization
    programs: list[Any] = field(default_factory=list)
    functions: list[Any] = field(default_factory=list)
    units: list[Any] = field(default_factory=list)
    forums: list[Any] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    entries: list[FinancialEntry] = field(default_factory=list)
    first_month: dt.date = dt.date(2000, 1, 1)


def this_year(org: Organization) -> dt.date:
    return fiscal_year_start(timezone.localdate(), org.fiscal_year_start_month)


def generate(org: Organization, measures: int, seed: int = 11) -> World:
    """``measures`` random measures across two portfolios, three programs and four projects."""
    rng = random.Random(seed)
    world = World(org=org, first_month=this_year(org))
    portfolios = [PortfolioFactory(organization=org) for _ in range(2)]
    world.programs = [
        ProgramFactory(portfolio=portfolios[0]),
        ProgramFactory(portfolio=portfolios[0]),
        ProgramFactory(portfolio=portfolios[1]),
    ]
    projects = [ProjectFactory(program=program) for program in world.programs]
    projects.append(ProjectFactory(program=world.programs[0]))
    packages = [MeasurePackageFactory(project=project) for project in projects]
    world.functions = [
        Function.objects.create(organization=org, code=f"F{i}", name=f"Function {i}")
        for i in range(3)
    ]
    world.units = [
        BusinessUnit.objects.create(organization=org, code=f"B{i}", name=f"Unit {i}")
        for i in range(2)
    ]
    world.forums = [
        DecisionForum.objects.create(organization=org, name=f"Forum {i}") for i in range(2)
    ]
    owners = [UserFactory(username=f"gen-owner-{org.slug}-{i}") for i in range(2)]
    for _ in range(measures):
        measure = MeasureFactory(
            package=rng.choice(packages),
            function=rng.choice([*world.functions, None]),
            business_unit=rng.choice([*world.units, None]),
            owner=rng.choice([*owners, None]),
            doi=rng.choice(STAGES),
        )
        world.measures.append(measure)
    Measure.objects.for_org(org).filter(pk=rng.choice(world.measures).pk).update(
        archived_at=timezone.now()
    )
    _statuses(world, rng)
    _series(world, rng)
    _cases(world, rng)
    _approvals(world, rng, owners[0])
    _capacity(world, rng)
    world.measures = list(Measure.objects.for_org(org).order_by("pk"))
    return world


def _statuses(world: World, rng: random.Random) -> None:
    fields = {f.name for f in Measure._meta.get_fields()}
    if "implementation_status" not in fields:
        return
    for measure in world.measures:
        Measure.objects.for_org(world.org).filter(pk=measure.pk).update(
            implementation_status=rng.choice(IMPLEMENTATION),
            potential_status=rng.choice(POTENTIAL),
        )


def _series(world: World, rng: random.Random) -> None:
    rows = []
    for measure in world.measures:
        for offset in rng.sample(range(-3, 15), 5):
            period = add_months(world.first_month, offset)
            for line in ("benefit", "one_time_cost", "recurring_cost"):
                for scenario in ("plan", "baseline", "forecast", "actual"):
                    if rng.random() < 0.4:
                        continue
                    amount = Decimal(rng.randint(-20_000, 500_000)) / 100
                    validated = scenario == "actual" and rng.random() < 0.5
                    rows.append(
                        FinancialEntry(
                            organization=world.org,
                            measure=measure,
                            period=period,
                            line=line,
                            scenario=scenario,
                            amount=amount,
                            validation=Validation.VALIDATED if validated else "",
                            validated_amount=(amount / 2).quantize(Decimal("0.01"))
                            if validated
                            else None,
                        )
                    )
    world.entries = FinancialEntry.objects.bulk_create(rows)
    try:
        from measures.services.figures import measure_months_rebuild
    except ImportError:
        return
    measure_months_rebuild(organization_id=world.org.pk)


def _cases(world: World, rng: random.Random) -> None:
    now = timezone.now()
    for measure in rng.sample(world.measures, len(world.measures) // 4):
        opened = now - dt.timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23))
        ExceptionCase.objects.create(
            organization=world.org,
            root=measure,
            cause=rng.choice(["milestone_slip", "cost_over", "value_below"]),
            state=rng.choice(["open", "open", "open", "decided"]),
            slip_days=rng.randint(0, 60),
            value_at_risk=Decimal(rng.randint(0, 900_000)) / 100,
            forum=rng.choice([*world.forums, None]),
            fingerprint="0" * 64,
            opened_at=opened,
            updated_at=opened,
        )


def _approvals(world: World, rng: random.Random, requester: Any) -> None:
    now = timezone.now()
    for measure in rng.sample(world.measures, len(world.measures) // 5):
        request = ApprovalRequest.objects.create(
            organization=world.org,
            kind="gate:decided",
            measure=measure,
            requested_by=requester,
            amount=Decimal(rng.randint(0, 100_000)),
            state=rng.choice(["pending", "pending", "approved"]),
        )
        created = now - dt.timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23))
        ApprovalRequest.objects.for_org(world.org).filter(pk=request.pk).update(created_at=created)
        ApprovalStep.objects.create(
            organization=world.org,
            request=request,
            order=1,
            approver="sponsor",
            sla_days=10,
            due_at=now,
            state="active",
        )


def _capacity(world: World, rng: random.Random) -> None:
    people = [
        CapacityPerson.objects.create(
            organization=world.org,
            name=f"Person {i}",
            function=rng.choice([*world.functions, None]),
        )
        for i in range(6)
    ]
    for person in people:
        for offset in range(-2, 14):
            period = add_months(world.first_month, offset)
            Availability.objects.create(
                organization=world.org, person=person, period=period, hours=rng.randint(40, 160)
            )
    efforts = set()
    for measure in rng.sample(world.measures, len(world.measures) // 3):
        person, offset = rng.choice(people), rng.randint(-2, 13)
        if (measure.pk, person.pk, offset) in efforts:
            continue
        efforts.add((measure.pk, person.pk, offset))
        Effort.objects.create(
            organization=world.org,
            measure=measure,
            person=person,
            period=add_months(world.first_month, offset),
            planned_hours=rng.randint(1, 80),
            actual_hours=rng.choice([None, rng.randint(1, 80)]),
        )
