"""Keeping the measures' monthly figures (``MeasureMonth``) equal to the series they sum, and
each measure's current Implementation and Potential Status copied onto it.

Every write of series rows calls ``measure_months_refresh`` for the (measure, month) pairs it
wrote, inside its own transaction: one DELETE of those rows and one INSERT … SELECT from a
grouped query over ``FinancialEntry`` joined to ``Measure``, whatever the number of measures
(on PostgreSQL and SQLite alike). A change of a measure's stage, keys, function, business unit
or legal entity is an UPDATE of its rows; archiving drops them, restoring computes them again.

Each of these writes ends by recomputing the ``ProgramMonth`` groups of the programs and months
it touched, before and after the change (a move or a stage change moves rows between groups):
one DELETE of those groups and one INSERT … SELECT … GROUP BY over ``MeasureMonth``, under a
lock of those programs' rows (concurrent refreshes of a group follow one another). A
whole-tenant rebuild also refreshes PostgreSQL's statistics of the three tables.

The current statuses (the latest ``StatusReport`` and the latest ``MeasurePotential`` by
period) are copied to ``Measure.implementation_status`` / ``potential_status`` by one UPDATE
with a subquery whenever those rows are written.

The program tallies (``ProgramTally``: live measures counted per program, keys, stage and
statuses) are recounted for the programs of every measure created, moved, archived, restored,
changed in stage, function, business unit or legal entity, or given a new status: the same lock,
one DELETE and one INSERT … SELECT … GROUP BY over those programs' measures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connections, models, router, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
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
    ProgramMonth,
    ProgramTally,
    Scenario,
    StatusReport,
    measures_below,
)
from measures.models.figures import MEASURE_KEYS, PROGRAM_MONTH_KEYS, PROGRAM_TALLY_KEYS
from measures.models.financials import validated_sum

ZERO = Decimal("0.00")
COST_LINES = (Line.ONE_TIME_COST, Line.RECURRING_COST)
# Measure ids: a list, or a queryset of ``pk`` values (a subquery: a subtree of any size).
MeasureIds = Iterable[int] | models.QuerySet[Any]
# Program ids or months: a list, or a queryset of one column (a subquery).
Keys = Iterable[Any] | models.QuerySet[Any]


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


def _month_names() -> list[str]:
    """The fields the refresh inserts, in the order of ``_grouped``'s select."""
    return ["organization", "measure", "period", *MEASURE_KEYS, "stage", *FIGURES]


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


def insert_select(model: type[models.Model], names: list[str], rows: Any) -> None:
    """``INSERT INTO model (names' columns) <rows' SELECT>``: one statement."""
    using = router.db_for_write(model)
    select, params = rows.query.get_compiler(using=using).as_sql()
    quote = connections[using].ops.quote_name
    columns = ", ".join(
        quote(model._meta.get_field(name).column)  # type: ignore[union-attr, arg-type]
        for name in names
    )
    with connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {select}", params)


def measure_months_write(
    *,
    entry_model: type[models.Model],
    month_model: type[models.Model],
    organization_id: int,
    measure_ids: MeasureIds | None,
    periods: Iterable[dt.date] | None = None,
    program_month_model: type[models.Model] | None = None,
) -> None:
    """Delete and insert again the rows of ``measure_ids`` (all of the tenant's if None) and
    ``periods`` (all if None), then, given ``program_month_model``, its groups of the measures'
    programs in those months (the months the rows had and have when ``periods`` is None).
    Takes the models so that a migration can run it on its own."""
    periods = None if periods is None else sorted(set(periods))
    stale = month_model._default_manager.filter(organization_id=organization_id)
    if measure_ids is not None:
        stale = stale.filter(measure_id__in=measure_ids)
    if periods is not None:
        stale = stale.filter(period__in=periods)
    touched: set[dt.date] = set()
    if program_month_model is not None and measure_ids is not None and periods is None:
        touched.update(stale.values_list("period", flat=True).distinct())
    stale.delete()
    grouped = _grouped(
        entry_model, organization_id=organization_id, measure_ids=measure_ids, periods=periods
    )
    insert_select(month_model, _month_names(), grouped)
    if program_month_model is None:
        return
    programs: Keys | None = None
    if measure_ids is not None:
        measure_model = entry_model._meta.get_field("measure").related_model
        programs = measure_model._default_manager.filter(  # type: ignore[union-attr]
            organization_id=organization_id, pk__in=measure_ids
        ).values("program_id")
        if periods is None:
            touched.update(stale.values_list("period", flat=True).distinct())
            periods = sorted(touched)
    program_months_write(
        month_model=month_model,
        program_month_model=program_month_model,
        organization_id=organization_id,
        programs=programs,
        periods=periods,
    )


def _programs_lock(
    program_model: type[models.Model], organization_id: int, programs: Keys | None
) -> None:
    """Lock the programs' rows (in id order) before their groups are recomputed: two
    transactions refreshing the same group one after the other each see the other's committed
    rows; without the lock the second could insert a group the first inserted after the
    second's DELETE began."""
    locked = program_model._default_manager.filter(organization_id=organization_id)
    if programs is not None:
        locked = locked.filter(pk__in=programs)
    list(locked.select_for_update().order_by("pk").values_list("pk", flat=True))


def _empty(keys: Keys | None) -> bool:
    return isinstance(keys, list | tuple | set) and not keys


def program_months_write(
    *,
    month_model: type[models.Model],
    program_month_model: type[models.Model],
    organization_id: int,
    programs: Keys | None,
    periods: Keys | None,
) -> None:
    """Delete and insert again the program-month groups of ``programs`` (all if None) in
    ``periods`` (all if None), summed from ``month_model``: three statements (the programs'
    lock, the DELETE, the INSERT … SELECT). Every group of those programs and months is
    recomputed, so the pairs a write touched may be given as the programs and the months they
    span."""
    if _empty(programs) or _empty(periods):
        return
    lookups: dict[str, Any] = {}
    if programs is not None:
        lookups["program_id__in"] = programs
    if periods is not None:
        lookups["period__in"] = periods
    program_model = program_month_model._meta.get_field("program").related_model
    with transaction.atomic(using=router.db_for_write(program_month_model)):
        _programs_lock(program_model, organization_id, programs)  # type: ignore[arg-type]
        program_month_model._default_manager.filter(
            organization_id=organization_id, **lookups
        ).delete()
        rows = (
            month_model._default_manager.filter(organization_id=organization_id, **lookups)
            .values(*PROGRAM_MONTH_KEYS)
            .annotate(**{name: Sum(name) for name in FIGURES}, measures=Count("pk"))
            .order_by()
        )
        insert_select(program_month_model, [*PROGRAM_MONTH_KEYS, *FIGURES, "measures"], rows)


def program_tallies_write(
    *,
    measure_model: type[models.Model],
    tally_model: type[models.Model],
    organization_id: int,
    programs: Keys | None,
) -> None:
    """Delete and insert again the tally groups of ``programs`` (all if None), counted from
    their live measures: three statements (the programs' lock, the DELETE, the INSERT …
    SELECT). Takes the models so that a migration can run it."""
    if _empty(programs):
        return
    lookups: dict[str, Any] = {} if programs is None else {"program_id__in": programs}
    program_model = tally_model._meta.get_field("program").related_model
    with transaction.atomic(using=router.db_for_write(tally_model)):
        _programs_lock(program_model, organization_id, programs)  # type: ignore[arg-type]
        tally_model._default_manager.filter(organization_id=organization_id, **lookups).delete()
        rows = (
            measure_model._default_manager.filter(
                organization_id=organization_id, archived_at__isnull=True, **lookups
            )
            .values(*PROGRAM_TALLY_KEYS)
            .annotate(measures=Count("pk"))
            .order_by()
        )
        names = ["stage" if key == "doi" else key for key in PROGRAM_TALLY_KEYS]
        insert_select(tally_model, [*names, "measures"], rows)


def program_tallies_refresh(*, organization_id: int, programs: Keys | None) -> None:
    """Recount the tally groups of ``programs`` (None: all); see ``program_tallies_write``."""
    program_tallies_write(
        measure_model=Measure,
        tally_model=ProgramTally,
        organization_id=organization_id,
        programs=programs,
    )


def program_months_refresh(
    *, organization_id: int, programs: Keys | None, periods: Keys | None
) -> None:
    """Recompute the program-month groups of ``programs`` in ``periods`` (None: all); see
    ``program_months_write``."""
    program_months_write(
        month_model=MeasureMonth,
        program_month_model=ProgramMonth,
        organization_id=organization_id,
        programs=programs,
        periods=periods,
    )


def analyze_figures(*tables: type[models.Model]) -> None:
    """Refresh PostgreSQL's statistics of the read models' tables after a whole tenant was
    written: the planner otherwise keeps the row counts of the empty tables and picks slow
    plans."""
    using = router.db_for_write(tables[0])
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


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
            program_month_model=ProgramMonth,
        )


def measure_months_rebuild(*, organization_id: int) -> int:
    """Recompute a whole tenant's monthly figures and program tallies; returns the number of
    monthly rows."""
    with transaction.atomic():
        measure_months_write(
            entry_model=FinancialEntry,
            month_model=MeasureMonth,
            organization_id=organization_id,
            measure_ids=None,
            program_month_model=ProgramMonth,
        )
        program_tallies_refresh(organization_id=organization_id, programs=None)
        analyze_figures(MeasureMonth, ProgramMonth, ProgramTally)
        return MeasureMonth.objects.for_org(organization_id).count()


def measure_months_stage(*, measure: Measure) -> None:
    """The measure changed stage: its rows follow (one UPDATE), and its program's groups of
    those months and its program's tally."""
    rows = MeasureMonth.objects.for_org(measure.organization_id).filter(measure_id=measure.pk)
    rows.update(stage=measure.doi)
    program_months_refresh(
        organization_id=measure.organization_id,
        programs=[measure.program_id],
        periods=rows.values("period"),
    )
    program_tallies_refresh(organization_id=measure.organization_id, programs=[measure.program_id])


@on_node_change
def measure_months_follow(node: HierarchyNode, event: str) -> None:
    """A node of the hierarchy changed: the rows that copy its keys or fields follow, and the
    program-month groups and program tallies they were and are in."""
    org_id = node.organization_id
    level = node.LEVEL
    rows = MeasureMonth.objects.for_org(org_id).filter(**{f"{level}_id": node.pk})
    below = measures_below(node)
    if event == "created" and isinstance(node, Measure):
        program_tallies_refresh(organization_id=org_id, programs=[node.program_id])
    elif event == "moved":
        keys = {
            f"{ancestor}_id": getattr(node, f"{ancestor}_id") for ancestor in node.ancestor_levels()
        }
        before = set(rows.values_list("program_id", flat=True).distinct())
        rows.update(**keys)
        after = set(rows.values_list("program_id", flat=True).distinct())
        program_months_refresh(
            organization_id=org_id, programs=sorted(before | after), periods=rows.values("period")
        )
        # The program a moved project or measure left is not known here: a move (rare, by an
        # administrator) recounts the tenant's tallies; a moved program keeps its measures.
        program_tallies_refresh(
            organization_id=org_id, programs=[node.pk] if level == "program" else None
        )
    elif event == "updated" and isinstance(node, Measure):
        rows.update(
            function_id=node.function_id,
            business_unit_id=node.business_unit_id,
            legal_entity_id=node.legal_entity_id,
        )
        program_months_refresh(
            organization_id=org_id, programs=[node.program_id], periods=rows.values("period")
        )
        program_tallies_refresh(organization_id=org_id, programs=[node.program_id])
    elif event == "archived":
        pairs = set(rows.values_list("program_id", "period").distinct())
        rows.delete()
        program_months_refresh(
            organization_id=org_id,
            programs=sorted({program for program, _ in pairs}),
            periods=sorted({period for _, period in pairs}),
        )
        program_tallies_refresh(organization_id=org_id, programs=below.values("program_id"))
    elif event == "restored":
        measure_months_refresh(organization_id=org_id, measure_ids=below.values("pk"))
        program_tallies_refresh(organization_id=org_id, programs=below.values("program_id"))


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
    """Copy the current Implementation and/or Potential Status onto the measures, and recount
    their programs' tallies."""
    ids = measure_ids if isinstance(measure_ids, models.QuerySet) else list(measure_ids)
    measures = Measure.objects.for_org(organization_id).filter(pk__in=ids)
    measure_statuses_write(
        measure_model=Measure,
        report_model=StatusReport if implementation else None,
        potential_model=MeasurePotential if potential else None,
        measures=measures,
    )
    program_tallies_refresh(organization_id=organization_id, programs=measures.values("program_id"))
