"""Keeping the measures' monthly figures (``MeasureMonth``) equal to the series they sum, and
each measure's current Implementation and Potential Status copied onto it.

Every write of series rows calls ``measure_months_refresh`` for the (measure, month) pairs it
wrote, inside its own transaction: one DELETE of those rows and one INSERT … SELECT from a
grouped query over ``FinancialEntry`` joined to ``Measure``, whatever the number of measures
(on PostgreSQL and SQLite alike). A change of a measure's stage, keys, function, business unit
or legal entity is an UPDATE of its rows; archiving drops them, restoring computes them again.

The current statuses (the latest ``StatusReport`` and the latest ``MeasurePotential`` by
period) are copied to ``Measure.implementation_status`` / ``potential_status`` by one UPDATE
with a subquery whenever those rows are written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from governance.models import HierarchyNode
from governance.services.hierarchy import on_node_change
from measures.models import (
    FIGURES,
    FinancialEntry,
    Line,
    Measure,
    MeasureMonth,
    MeasurePotential,
    Scenario,
    StatusReport,
)
from measures.models.figures import MEASURE_KEYS
from measures.models.financials import validated_sum

ZERO = Decimal("0.00")
COST_LINES = (Line.ONE_TIME_COST, Line.RECURRING_COST)
# Measure ids: a list, or a queryset of ``pk`` values (a subquery: a subtree of any size).
MeasureIds = Iterable[int] | models.QuerySet[Any]


def figure_sums() -> dict[str, Any]:
    """``{figure: aggregate}`` over series rows: what one ``MeasureMonth`` row holds."""
    lines = {"benefit": Q(line=Line.BENEFIT), "cost": Q(line__in=COST_LINES)}
    sums: dict[str, Any] = {}
    for name in FIGURES:
        prefix, _, scenario = name.partition("_")
        if scenario == "validated":
            sums[name] = validated_sum(lines[prefix], default=ZERO)
        else:
            sums[name] = Sum(
                "amount", filter=lines[prefix] & Q(scenario=Scenario(scenario)), default=ZERO
            )
    return sums


def _month_columns(month_model: type[models.Model]) -> list[str]:
    """The columns the refresh inserts, in the order of ``_grouped``'s select."""
    names = ["organization", "measure", "period", *MEASURE_KEYS, "stage", *FIGURES]
    return [month_model._meta.get_field(name).column for name in names]  # type: ignore[union-attr]


def _grouped(
    entry_model: type[models.Model],
    *,
    organization_id: int,
    measure_ids: MeasureIds | None,
    periods: Iterable[dt.date] | None,
) -> models.QuerySet[Any]:
    rows = entry_model._default_manager.filter(
        organization_id=organization_id, measure__archived_at__isnull=True
    )
    if measure_ids is not None:
        rows = rows.filter(measure_id__in=measure_ids)
    if periods is not None:
        rows = rows.filter(period__in=list(periods))
    keys = [f"measure__{key}" for key in MEASURE_KEYS]
    return (
        rows.values("organization", "measure", "period", *keys, "measure__doi")
        .annotate(**figure_sums())
        .order_by()
    )


def measure_months_write(
    *,
    entry_model: type[models.Model],
    month_model: type[models.Model],
    organization_id: int,
    measure_ids: MeasureIds | None,
    periods: Iterable[dt.date] | None = None,
) -> None:
    """Delete and insert again the rows of ``measure_ids`` (all of the tenant's if None) and
    ``periods`` (all if None). Takes the models so that a migration can run it on its own."""
    periods = None if periods is None else sorted(set(periods))
    stale = month_model._default_manager.filter(organization_id=organization_id)
    if measure_ids is not None:
        stale = stale.filter(measure_id__in=measure_ids)
    if periods is not None:
        stale = stale.filter(period__in=periods)
    stale.delete()
    grouped = _grouped(
        entry_model, organization_id=organization_id, measure_ids=measure_ids, periods=periods
    )
    using = router.db_for_write(month_model)
    select, params = grouped.query.get_compiler(using=using).as_sql()
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(column) for column in _month_columns(month_model))
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(month_model._meta.db_table)} ({columns}) {select}",
            params,
        )


def measure_months_refresh(
    *,
    organization_id: int,
    measure_ids: MeasureIds,
    periods: Iterable[dt.date] | None = None,
) -> None:
    """Recompute the monthly figures of ``measure_ids`` for ``periods`` (every month if None)
    from their series: two statements, whatever the number of measures."""
    with transaction.atomic():
        measure_months_write(
            entry_model=FinancialEntry,
            month_model=MeasureMonth,
            organization_id=organization_id,
            measure_ids=measure_ids
            if isinstance(measure_ids, models.QuerySet)
            else list(measure_ids),
            periods=periods,
        )


def measure_months_rebuild(*, organization_id: int) -> int:
    """Recompute a whole tenant's monthly figures; returns the number of rows."""
    with transaction.atomic():
        measure_months_write(
            entry_model=FinancialEntry,
            month_model=MeasureMonth,
            organization_id=organization_id,
            measure_ids=None,
        )
        return MeasureMonth.objects.for_org(organization_id).count()


def measure_months_stage(*, measure: Measure) -> None:
    """The measure changed stage: its rows follow (one UPDATE)."""
    MeasureMonth.objects.for_org(measure.organization_id).filter(measure_id=measure.pk).update(
        stage=measure.doi
    )


@on_node_change
def measure_months_follow(node: HierarchyNode, event: str) -> None:
    """A node of the hierarchy changed: the rows that copy its keys or fields follow."""
    org_id = node.organization_id
    level = node.LEVEL
    rows = MeasureMonth.objects.for_org(org_id).filter(**{f"{level}_id": node.pk})
    if event == "moved":
        keys = {
            f"{ancestor}_id": getattr(node, f"{ancestor}_id") for ancestor in node.ancestor_levels()
        }
        rows.update(**keys)
    elif event == "updated" and isinstance(node, Measure):
        rows.update(
            function_id=node.function_id,
            business_unit_id=node.business_unit_id,
            legal_entity_id=node.legal_entity_id,
        )
    elif event == "archived":
        rows.delete()
    elif event == "restored":
        below = Measure.objects.for_org(org_id).filter(
            **({"pk": node.pk} if isinstance(node, Measure) else {f"{level}_id": node.pk})
        )
        measure_months_refresh(organization_id=org_id, measure_ids=below.values("pk"))


def _latest_status(model: type[models.Model]) -> Coalesce:
    """The ``status`` of the measure's row with the latest period, or blank."""
    latest = (
        model._default_manager.filter(
            organization_id=OuterRef("organization_id"), measure_id=OuterRef("pk")
        )
        .order_by("-period")
        .values("status")[:1]
    )
    return Coalesce(Subquery(latest), Value(""))


def measure_statuses_write(
    *,
    measure_model: type[models.Model],
    report_model: type[models.Model] | None,
    potential_model: type[models.Model] | None,
    measures: models.QuerySet[Any],
) -> None:
    """Copy the latest report's and potential's status onto ``measures`` (one UPDATE); a model
    given as None is left as it is. Takes the models so that a migration can run it."""
    values: dict[str, Any] = {}
    if report_model is not None:
        values["implementation_status"] = _latest_status(report_model)
    if potential_model is not None:
        values["potential_status"] = _latest_status(potential_model)
    if values:
        measures.update(**values)


def measure_statuses_refresh(
    *,
    organization_id: int,
    measure_ids: MeasureIds,
    implementation: bool = True,
    potential: bool = True,
) -> None:
    """Copy the current Implementation and/or Potential Status onto the measures."""
    ids = measure_ids if isinstance(measure_ids, models.QuerySet) else list(measure_ids)
    measure_statuses_write(
        measure_model=Measure,
        report_model=StatusReport if implementation else None,
        potential_model=MeasurePotential if potential else None,
        measures=Measure.objects.for_org(organization_id).filter(pk__in=ids),
    )
