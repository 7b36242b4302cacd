"""Reading snapshots: the latest one, "as reported" against "as corrected", stage movements.

"As reported" is what a snapshot recorded; "as corrected" is the same measure's figures for the
same fiscal year as they stand now (``MeasureMonth``), after late actuals, validations and
re-forecasts. Every read is a constant number of grouped queries over rows ``restrict`` filters
by their own keys, whatever the number of measures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, F, QuerySet, Sum, Value, When

from governance.access import Action, restrict
from governance.models import Organization
from measures.fiscal import add_months
from measures.models import DOI_ORDER, FIGURES, DoI, MeasureMonth
from reporting.models import Snapshot, SnapshotMeasure
from reporting.widgets import Scope

ZERO = Decimal("0.00")
STAGES: tuple[str, ...] = (*DOI_ORDER, DoI.ON_HOLD, DoI.CANCELLED)
# The figure a stage's value is counted in: the benefit forecast of the fiscal year.
STAGE_VALUE = "benefit_forecast"


def snapshot_latest(
    organization: Organization | int, before: dt.date | None = None, kind: str | None = None
) -> Snapshot | None:
    """The organization's most recent snapshot (of ``kind`` if given), or the most recent one
    of a period before ``before``; ``None`` if there is none."""
    snapshots = Snapshot.objects.for_org(organization)
    if before is not None:
        snapshots = snapshots.filter(period__lt=before)
    if kind is not None:
        snapshots = snapshots.filter(kind=kind)
    return snapshots.order_by("-period", "-taken_at", "-id").first()


def snapshot_rows(scope: Scope, snapshot: Snapshot, action: Action = "view") -> QuerySet[Any]:
    """The snapshot's rows in ``scope`` that the user may ``action`` (judged by the keys the
    rows carry: where each measure was then)."""
    rows = restrict(
        SnapshotMeasure.objects.all(), scope.user, action, organization=scope.organization
    )
    return rows.filter(snapshot_id=snapshot.pk, **scope.filters.measure_lookups())


def _months(scope: Scope, snapshot: Snapshot, action: Action) -> QuerySet[Any]:
    start = snapshot.fiscal_year_start
    rows = restrict(MeasureMonth.objects.all(), scope.user, action, organization=scope.organization)
    return rows.filter(
        period__gte=start, period__lt=add_months(start, 12), **scope.filters.month_lookups()
    )


@dataclass
class Comparison:
    """One measure's fiscal-year figures as reported in the snapshot and as they stand now."""

    measure_id: int
    code: str
    title: str
    in_snapshot: bool
    reported: dict[str, Decimal] = field(default_factory=dict)
    corrected: dict[str, Decimal] = field(default_factory=dict)

    @property
    def delta(self) -> dict[str, Decimal]:
        return {name: self.corrected[name] - self.reported[name] for name in FIGURES}

    @property
    def changed(self) -> bool:
        return any(self.delta.values())


def snapshot_compare(scope: Scope, snapshot: Snapshot) -> list[Comparison]:
    """Per measure in scope whose financials the user may see: as reported, as corrected, and
    the difference (a measure new since the snapshot was reported as zero). Two queries."""
    found: dict[int, Comparison] = {}
    for row in snapshot_rows(scope, snapshot, "view_financials").values(
        "measure_id", "code", "title", *FIGURES
    ):
        found[row["measure_id"]] = Comparison(
            measure_id=row["measure_id"],
            code=row["code"],
            title=row["title"],
            in_snapshot=True,
            reported={name: row[name] for name in FIGURES},
            corrected=dict.fromkeys(FIGURES, ZERO),
        )
    current = (
        _months(scope, snapshot, "view_financials")
        .values("measure_id", "measure__code", "measure__title")
        .annotate(**{name: Sum(name) for name in FIGURES})
        .order_by()
    )
    for row in current:
        comparison = found.get(row["measure_id"])
        if comparison is None:
            comparison = found[row["measure_id"]] = Comparison(
                measure_id=row["measure_id"],
                code=row["measure__code"],
                title=row["measure__title"],
                in_snapshot=False,
                reported=dict.fromkeys(FIGURES, ZERO),
            )
        comparison.corrected = {name: row[name] for name in FIGURES}
    return sorted(found.values(), key=lambda comparison: comparison.code)


@dataclass
class StageMovement:
    """One stage: how many measures and how much value were in it then and are now, and how
    many measures entered it or left it since."""

    stage: str
    count_then: int = 0
    count_now: int = 0
    value_then: Decimal = ZERO
    value_now: Decimal = ZERO
    entered: int = 0
    left: int = 0


def stage_movements(scope: Scope, snapshot: Snapshot) -> list[StageMovement]:
    """Per stage, then (the snapshot) against now, for the measures in scope; values only from
    measures whose financials the user may see. Six grouped queries."""
    moves = {stage: StageMovement(stage=stage) for stage in STAGES}
    then = snapshot_rows(scope, snapshot)
    now = scope.measures().filter(archived_at__isnull=True)
    for stage, count in then.values_list("stage").annotate(count=Count("id")).order_by():
        moves[stage].count_then = count
    for stage, count in now.values_list("doi").annotate(count=Count("id")).order_by():
        moves[stage].count_now = count
    for stage, value in (
        snapshot_rows(scope, snapshot, "view_financials")
        .values_list("stage")
        .annotate(value=Sum(STAGE_VALUE))
        .order_by()
    ):
        moves[stage].value_then = value or ZERO
    for stage, value in (
        _months(scope, snapshot, "view_financials")
        .values_list("stage")
        .annotate(value=Sum(STAGE_VALUE))
        .order_by()
    ):
        moves[stage].value_now = value or ZERO
    # Each measure's stage then against now: one grouped query over the pairs, joined to the
    # measure (a correlated subquery per row took 125 ms at 50,000 measures); an archived
    # measure has no stage now. A measure deleted since has no pair: it left its stage.
    stage_now = Case(
        When(measure__archived_at__isnull=True, then=F("measure__doi")),
        default=Value(None),
        output_field=CharField(),
    )
    paired: dict[str, int] = {}
    for before, after, count in (
        then.annotate(now=stage_now).values_list("stage", "now").annotate(n=Count("id")).order_by()
    ):
        paired[before] = paired.get(before, 0) + count
        if before != after:
            moves[before].left += count
            if after is not None:
                moves[after].entered += count
    for stage, move in moves.items():
        move.left += move.count_then - paired.get(stage, 0)
    taken = SnapshotMeasure.objects.for_org(scope.organization).filter(snapshot_id=snapshot.pk)
    for stage, count in (
        now.exclude(pk__in=taken.values("measure_id"))
        .values_list("doi")
        .annotate(n=Count("id"))
        .order_by()
    ):
        moves[stage].entered += count
    return list(moves.values())
