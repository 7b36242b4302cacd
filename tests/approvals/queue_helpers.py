"""Generated claimed benefits for the validation queue's tests: a small tree, many actuals."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from governance.models import Function, Organization
from measures.fiscal import add_months
from measures.models import FinancialEntry, Measure
from tests.factories import FunctionFactory, MeasureFactory, MeasurePackageFactory

THIS_MONTH = dt.date.today().replace(day=1)


@dataclass
class QueueWorld:
    org: Organization
    measures: list[Measure] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    entries: list[FinancialEntry] = field(default_factory=list)

    def pending_of(self, measure: Measure) -> list[FinancialEntry]:
        return [
            e
            for e in self.entries
            if e.measure_id == measure.pk
            and e.scenario == "actual"
            and e.line == "benefit"
            and e.validation == "pending"
        ]


def queue_world(
    org: Organization,
    owners: list[Any],
    *,
    measures: int = 8,
    months: int = 4,
    seed: int = 7,
    programs: int = 2,
) -> QueueWorld:
    """``measures`` measures over two portfolios of ``programs`` programs each (owners in turn),
    with per month a benefit actual (mostly pending, some decided), a pending cost actual, and
    a baseline and forecast for most months; ages spread over days."""
    rng = random.Random(seed)
    world = QueueWorld(org=org)
    world.functions = [FunctionFactory(organization=org) for _ in range(2)]
    packages = [
        MeasurePackageFactory(project__program__portfolio__organization=org)
        for _ in range(programs)
    ]
    # A second program in the first portfolio, so portfolio and program filters differ.
    packages.append(MeasurePackageFactory(project__program__portfolio=packages[0].portfolio))
    for index in range(measures):
        world.measures.append(
            MeasureFactory(
                package=packages[index % len(packages)],
                owner=owners[index % len(owners)],
                function=world.functions[index % 2] if index % 3 else None,
            )
        )
    now = timezone.now()
    rows = []
    for measure in world.measures:
        for offset in range(months):
            period = add_months(THIS_MONTH, -offset)
            claimed = Decimal(rng.randrange(-200, 5_000))
            validation = rng.choice(["pending"] * 6 + ["validated", "rejected"])
            rows.append(
                FinancialEntry(
                    organization=org,
                    measure=measure,
                    period=period,
                    line="benefit",
                    scenario="actual",
                    amount=claimed,
                    validation=validation,
                    validated_amount=claimed if validation == "validated" else None,
                )
            )
            rows.append(
                FinancialEntry(
                    organization=org,
                    measure=measure,
                    period=period,
                    line="one_time_cost",
                    scenario="actual",
                    amount=Decimal(rng.randrange(1, 900)),
                    validation="pending",
                )
            )
            for scenario in ("baseline", "forecast"):
                if rng.random() < 0.8:
                    rows.append(
                        FinancialEntry(
                            organization=org,
                            measure=measure,
                            period=period,
                            line="benefit",
                            scenario=scenario,
                            amount=Decimal(rng.randrange(0, 5_000)),
                        )
                    )
    FinancialEntry.objects.bulk_create(rows)
    world.entries = list(FinancialEntry.objects.for_org(org).order_by("id"))
    for entry in world.entries:
        entry.updated_at = now - dt.timedelta(days=rng.randrange(0, 90), minutes=entry.pk % 97)
    FinancialEntry.objects.for_org(org).bulk_update(world.entries, ["updated_at"])
    return world


def pending_ids(org: Organization) -> list[int]:
    return list(
        FinancialEntry.objects.for_org(org)
        .filter(scenario="actual", line="benefit", validation="pending")
        .order_by("id")
        .values_list("id", flat=True)
    )
