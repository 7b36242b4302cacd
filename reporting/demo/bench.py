"""Large synthetic tenants for benchmarks and load tests, written with bulk inserts.

The services create one node per call with validation and an audit event; for tens of thousands
of measures that takes hours, so this writes rows directly. Ancestor keys come from the same
``ancestor_keys`` the services use, so the tree is as consistent as one built through them.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from governance.models import (
    BusinessUnit,
    Function,
    HierarchyNode,
    Organization,
    Portfolio,
    Program,
    Project,
    Role,
)
from governance.models.hierarchy import hierarchy_models
from governance.rls import tenant_scope
from governance.services.hierarchy import ancestor_keys
from measures.models import DOI_ORDER, FinancialEntry, Measure, MeasurePackage
from measures.services.figures import measure_months_rebuild
from reporting.demo.dates import planning_horizon
from reporting.demo.organization import BUSINESS_UNITS, FUNCTIONS, Person
from reporting.demo.people import members_ensure
from reporting.demo.portfolios import measure_titles

BATCH_SIZE = 5_000
MEASURES_PER_PACKAGE = 100
PACKAGES_PER_PROJECT = 5
PROJECTS_PER_PROGRAM = 5
PROGRAMS_PER_PORTFOLIO = 10
MEASURES_PER_OWNER = 500
MAX_OWNERS = 100


@dataclass(frozen=True)
class BenchShape:
    portfolios: int
    programs: int
    projects: int
    packages: int
    owners: int


@dataclass(frozen=True)
class BenchSeedResult:
    organization: Organization
    admin: Any
    measures: int
    seeded: bool  # False: the tenant was already there with this many measures
    seconds: float


def bench_shape(measures: int) -> BenchShape:
    """How many nodes of each level a tenant of ``measures`` measures gets (50k: 2/20/100/500)."""
    packages = max(1, math.ceil(measures / MEASURES_PER_PACKAGE))
    projects = max(1, math.ceil(packages / PACKAGES_PER_PROJECT))
    programs = max(1, math.ceil(projects / PROJECTS_PER_PROGRAM))
    portfolios = max(1, math.ceil(programs / PROGRAMS_PER_PORTFOLIO))
    owners = min(MAX_OWNERS, max(2, measures // MEASURES_PER_OWNER))
    return BenchShape(portfolios, programs, projects, packages, owners)


def bench_people(slug: str, shape: BenchShape) -> list[Person]:
    """``<slug>-admin``, ``<slug>-lead``, ``<slug>-controller`` and the measure owners."""
    people = [
        Person(f"{slug}-admin", "Bench", "Admin", Role.ADMIN, "Org admin"),
        Person(f"{slug}-lead", "Bench", "Lead", Role.LEAD, "Program lead"),
        Person(f"{slug}-controller", "Bench", "Controller", Role.CONTROLLER, "Controller"),
    ]
    people += [
        Person(f"{slug}-owner-{n:03d}", "Owner", f"{n:03d}", Role.OWNER, "Measure owner")
        for n in range(1, shape.owners + 1)
    ]
    return people


def _spread(parents: list[Any], count: int) -> list[Any]:
    """The parent of each of ``count`` children: contiguous blocks, as even as they divide."""
    return [parents[index * len(parents) // count] for index in range(count)]


def _level(
    model: type[HierarchyNode],
    organization: Organization,
    parents: list[Any],
    count: int,
    prefix: str,
    values: dict[str, Any],
) -> list[Any]:
    name = str(model._meta.verbose_name).capitalize()
    rows = [
        model(
            organization=organization,
            code=f"{prefix}-{index:04d}",
            title=f"{name} {index:04d}",
            **ancestor_keys(parent),
            **values,
        )
        for index, parent in enumerate(_spread(parents, count) if parents else [None] * count, 1)
    ]
    model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    # Primary keys are re-read: the next level needs them and not every backend returns them.
    return list(model.objects.for_org(organization).order_by("code"))


def _hierarchy_clear(organization: Organization) -> None:
    for model in reversed(hierarchy_models()):
        model.objects.for_org(organization).delete()


def _measures(
    organization: Organization,
    packages: list[MeasurePackage],
    count: int,
    *,
    owners: list[Any],
    sponsor: Any,
    start: dt.date,
    end: dt.date,
) -> None:
    titles = measure_titles()
    functions = list(Function.objects.for_org(organization).order_by("code"))
    units = list(BusinessUnit.objects.for_org(organization).order_by("code"))
    keys = {package.pk: ancestor_keys(package) for package in packages}
    parents = _spread(packages, count)
    for first in range(0, count, BATCH_SIZE):
        batch = []
        for index in range(first, min(first + BATCH_SIZE, count)):
            # Fixed strides instead of a random generator: same data on every run, cheaply.
            begins = start + dt.timedelta(days=(index * 37) % 330)
            batch.append(
                Measure(
                    organization=organization,
                    code=f"M-{index + 1:06d}",
                    title=titles[index % len(titles)],
                    owner_id=owners[index % len(owners)].pk,
                    sponsor_id=sponsor.pk,
                    function_id=functions[index % len(functions)].pk,
                    business_unit_id=units[index % len(units)].pk,
                    start_date=begins,
                    end_date=min(begins + dt.timedelta(days=60 + (index * 53) % 400), end),
                    **keys[parents[index].pk],
                )
            )
        Measure.objects.bulk_create(batch)


def bench_organization_seed(
    *, slug: str, measures: int, today: dt.date | None = None
) -> BenchSeedResult:
    """A synthetic tenant ``slug`` with exactly ``measures`` measures; reused if already so."""
    if measures < 1:
        raise ValueError("A bench tenant needs at least one measure.")
    started = time.perf_counter()
    shape = bench_shape(measures)
    with transaction.atomic():
        organization, _ = Organization.objects.get_or_create(
            slug=slug, defaults={"name": f"Benchmark {slug}", "currency": "EUR"}
        )
        # Every tenant row is written in the organization's scope, as the application role.
        with tenant_scope(organization.pk):
            people = members_ensure(
                organization=organization,
                people=bench_people(slug, shape),
                email_domain=f"{slug}.example",
            )
            admin, lead = people[f"{slug}-admin"], people[f"{slug}-lead"]
            existing = Measure.objects.for_org(organization).count()
            if existing == measures:
                if _financials_seed(organization, today):
                    return BenchSeedResult(
                        organization, admin, measures, True, time.perf_counter() - started
                    )
                return BenchSeedResult(organization, admin, measures, False, 0.0)
            # Another size was asked for: rebuild the tree rather than patch it into a shape
            # no single run would have produced.
            _hierarchy_clear(organization)
            for model, rows in ((Function, FUNCTIONS), (BusinessUnit, BUSINESS_UNITS)):
                for code, name in rows:
                    model.objects.get_or_create(
                        organization=organization, code=code, defaults={"name": name}
                    )
            start, end = planning_horizon(
                today or timezone.localdate(), organization.fiscal_year_start_month
            )
            values = {"owner": lead, "sponsor": admin, "start_date": start, "end_date": end}
            portfolios = _level(Portfolio, organization, [], shape.portfolios, "PF", values)
            programs = _level(Program, organization, portfolios, shape.programs, "PG", values)
            projects = _level(Project, organization, programs, shape.projects, "PJ", values)
            packages = _level(MeasurePackage, organization, projects, shape.packages, "MP", values)
            owners = [
                person for name, person in people.items() if name.startswith(f"{slug}-owner-")
            ]
            owners.sort(key=lambda user: user.username)
            _measures(
                organization,
                packages,
                measures,
                owners=owners,
                sponsor=lead,
                start=start,
                end=end,
            )
            _financials_seed(organization, today)
    return BenchSeedResult(organization, admin, measures, True, time.perf_counter() - started)


FINANCIAL_MONTHS = 24


def _financials_seed(organization: Organization, today: dt.date | None = None) -> bool:
    """24 months of series per measure (benefit plan, forecast and actual, one-time cost plan)
    and measures spread over the stages, written once: ``False`` when already there."""
    from django.db.models import F

    from measures.fiscal import add_months, fiscal_year_start

    if FinancialEntry.objects.for_org(organization).exists():
        return False
    for index, stage in enumerate(DOI_ORDER):
        Measure.objects.for_org(organization).alias(bucket=F("id") % len(DOI_ORDER)).filter(
            bucket=index
        ).update(doi=stage)
    first = add_months(
        fiscal_year_start(today or timezone.localdate(), organization.fiscal_year_start_month),
        -12,
    )
    if connection.vendor == "postgresql":
        # Millions of rows: generated by the database in one statement, not sent from here.
        with connection.cursor() as cursor:
            cursor.execute(SERIES_SQL, [first, FINANCIAL_MONTHS - 1, organization.pk])
        measure_months_rebuild(organization_id=organization.pk)
        return True
    months = [add_months(first, offset) for offset in range(FINANCIAL_MONTHS)]
    ids = list(Measure.objects.for_org(organization).order_by("id").values_list("id", flat=True))
    batch: list[FinancialEntry] = []
    for measure_id in ids:
        base = Decimal(1_000 + (measure_id * 37) % 9_000)
        for offset, period in enumerate(months):
            for line, scenario, factor in (
                ("benefit", "plan", Decimal("1.00")),
                (
                    "benefit",
                    "forecast",
                    Decimal("0.70") + Decimal((measure_id + offset) % 40) / 100,
                ),
                ("benefit", "actual", Decimal("0.85")),
                ("one_time_cost", "plan", Decimal("0.30")),
            ):
                if scenario == "actual" and offset >= 12:
                    continue  # actuals only for the months behind us
                batch.append(
                    FinancialEntry(
                        organization=organization,
                        measure_id=measure_id,
                        period=period,
                        line=line,
                        scenario=scenario,
                        amount=(base * factor).quantize(Decimal("0.01")),
                        validation="pending" if scenario == "actual" else "",
                    )
                )
        if len(batch) >= BATCH_SIZE * 4:
            FinancialEntry.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            batch = []
    FinancialEntry.objects.bulk_create(batch, batch_size=BATCH_SIZE)
    measure_months_rebuild(organization_id=organization.pk)
    return True


# The same series as the loop above (benefit plan, forecast and actual, one-time cost plan;
# actuals for the first twelve months only), written by PostgreSQL itself.
SERIES_SQL = """
INSERT INTO measures_financialentry
    (organization_id, measure_id, period, line, scenario, amount, validation,
     validation_note, updated_at)
SELECT m.organization_id, m.id, (%s::date + make_interval(months => o))::date,
       v.line, v.scenario,
       round((1000 + (m.id * 37) %% 9000) * CASE v.scenario
           WHEN 'forecast' THEN 0.70 + ((m.id + o) %% 40) / 100.0
           WHEN 'actual' THEN 0.85
           ELSE v.factor END, 2),
       CASE WHEN v.scenario = 'actual' THEN 'pending' ELSE '' END, '', now()
FROM measures_measure m
CROSS JOIN generate_series(0, %s) AS o
CROSS JOIN (VALUES ('benefit', 'plan', 1.00), ('benefit', 'forecast', 0),
                   ('benefit', 'actual', 0), ('one_time_cost', 'plan', 0.30))
    AS v(line, scenario, factor)
WHERE m.organization_id = %s AND NOT (v.scenario = 'actual' AND o >= 12)
"""
