"""Taking snapshots of an organization's measures: one INSERT … SELECT, idempotent per period.

The rows are computed by the database from the live measures joined to their monthly figures
(``MeasureMonth``) of the fiscal year the snapshot's period falls in, so the cost does not grow
with round trips, whatever the number of measures (on PostgreSQL and SQLite alike). A second
INSERT … SELECT sums them per program (``SnapshotProgram``) for the trend.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Count, Q, Sum, Value
from django.utils import timezone

from governance.errors import ValidationError
from governance.models import Organization
from measures.fiscal import add_months, fiscal_year_start
from measures.models import FIGURES, Measure
from measures.services.figures import insert_select
from reporting.models import Snapshot, SnapshotKind, SnapshotMeasure, SnapshotProgram

ZERO = Decimal("0.00")
# The measure's fields a snapshot row copies, as (row field, measure field), in insert order.
COPIED: tuple[tuple[str, str], ...] = (
    ("organization", "organization"),
    ("measure", "pk"),
    ("code", "code"),
    ("title", "title"),
    ("portfolio", "portfolio"),
    ("program", "program"),
    ("project", "project"),
    ("package", "package"),
    ("function", "function"),
    ("business_unit", "business_unit"),
    ("legal_entity", "legal_entity"),
    ("owner", "owner"),
    ("stage", "doi"),
    ("implementation_status", "implementation_status"),
    ("potential_status", "potential_status"),
    ("end_date", "end_date"),
    ("baseline_end_date", "baseline_end_date"),
)


def snapshot_period(kind: str, day: dt.date) -> dt.date:
    """The period a snapshot of ``kind`` taken for ``day`` stands for: the Monday of its week
    (weekly), the first day of its month (period close), or the day itself (manual)."""
    if kind == SnapshotKind.WEEKLY:
        return day - dt.timedelta(days=day.weekday())
    if kind == SnapshotKind.PERIOD_CLOSE:
        return day.replace(day=1)
    return day


def _rows_select(snapshot: Snapshot) -> tuple[str, list[Any], list[str]]:
    """SQL and params of the snapshot's rows, and the columns they fill, in order."""
    start = snapshot.fiscal_year_start
    in_year = Q(months__period__gte=start, months__period__lt=add_months(start, 12))
    sums = {f"fy_{name}": Sum(f"months__{name}", filter=in_year, default=ZERO) for name in FIGURES}
    rows = (
        Measure.objects.for_org(snapshot.organization_id)
        .filter(archived_at__isnull=True)
        .values(*[source for _, source in COPIED])
        .annotate(snapshot_ref=Value(snapshot.pk), **sums)
        .order_by()
    )
    using = router.db_for_write(SnapshotMeasure)
    sql, params = rows.query.get_compiler(using=using).as_sql()
    names = [target for target, _ in COPIED] + ["snapshot", *FIGURES]
    columns = [
        str(SnapshotMeasure._meta.get_field(name).column)  # type: ignore[union-attr]
        for name in names
    ]
    return sql, list(params), columns


def snapshot_take(
    *,
    organization: Organization,
    kind: str,
    period: dt.date,
    now: dt.datetime | None = None,
) -> Snapshot:
    """The organization's snapshot of ``kind`` for ``period`` (normalized by
    ``snapshot_period``): taken now if there is none, else the one already taken, unchanged."""
    if kind not in SnapshotKind.values:
        raise ValidationError(
            {"kind": [f"Choose the kind among {', '.join(SnapshotKind.values)}."]}
        )
    if not isinstance(period, dt.date) or isinstance(period, dt.datetime):
        raise ValidationError({"period": ["Give the period as a date."]})
    period = snapshot_period(kind, period)
    now = now or timezone.now()
    with transaction.atomic():
        existing = Snapshot.objects.for_org(organization).filter(kind=kind, period=period).first()
        if existing is not None:
            return existing
        try:
            # Two takers at once (a beat run and a manual retry): the unique key lets one in.
            with transaction.atomic():
                snapshot = Snapshot.objects.create(
                    organization=organization,
                    kind=kind,
                    period=period,
                    fiscal_year_start=fiscal_year_start(
                        period, organization.fiscal_year_start_month
                    ),
                    taken_at=now,
                )
        except IntegrityError:
            return Snapshot.objects.for_org(organization).get(kind=kind, period=period)
        select, params, columns = _rows_select(snapshot)
        using = router.db_for_write(SnapshotMeasure)
        quote = connections[using].ops.quote_name
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(SnapshotMeasure._meta.db_table)} "
                f"({', '.join(quote(column) for column in columns)}) {select}",
                params,
            )
            snapshot.measure_count = max(cursor.rowcount, 0)
        Snapshot.objects.for_org(organization).filter(pk=snapshot.pk).update(
            measure_count=snapshot.measure_count
        )
        snapshot_programs_write(
            row_model=SnapshotMeasure,
            program_model=SnapshotProgram,
            organization_id=organization.pk,
            snapshot_id=snapshot.pk,
        )
    return snapshot


# The keys a snapshot's program sums group its rows by, in insert order.
PROGRAM_KEYS: tuple[str, ...] = (
    "organization",
    "snapshot",
    "portfolio",
    "program",
    "function",
    "business_unit",
    "legal_entity",
    "stage",
)


def snapshot_programs_write(
    *,
    row_model: type[models.Model],
    program_model: type[models.Model],
    organization_id: int,
    snapshot_id: int,
) -> None:
    """Sum the snapshot's rows per program, function, business unit, legal entity and stage
    into ``program_model``: one INSERT … SELECT … GROUP BY. Takes the models so that a
    migration can run it."""
    rows = (
        row_model._default_manager.filter(organization_id=organization_id, snapshot_id=snapshot_id)
        .values(*PROGRAM_KEYS)
        .annotate(**{name: Sum(name) for name in FIGURES}, measures=Count("pk"))
        .order_by()
    )
    insert_select(program_model, [*PROGRAM_KEYS, *FIGURES, "measures"], rows)
