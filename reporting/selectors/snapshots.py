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

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from governance.access import Action, restrict
from governance.models import Organization
from measures.fiscal import add_months
from measures.models import DOI_ORDER, FIGURES, DoI, Measure, MeasureMonth
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


def stage_changes(scope: Scope, snapshot: Snapshot) -> dict[str, tuple[int, int]]:
    """``{stage: (entered, left)}``: how many measures in scope entered and left each stage
    since the snapshot. Only the measures changed after it was taken are read (they entered a
    stage, were created or restored, or were archived since: ``Measure.stage_entered_at`` and
    ``archived_at``), so the cost follows the changes, not the tenant. Two queries; measures are
    archived, never deleted."""
    since = snapshot.taken_at
    organization = scope.organization
    changed = Measure.objects.for_org(organization).filter(
        Q(stage_entered_at__gt=since) | Q(archived_at__gt=since)
    )
    entered: dict[str, int] = dict.fromkeys(STAGES, 0)
    left: dict[str, int] = dict.fromkeys(STAGES, 0)
    # Each changed measure's stage then (its row, in scope by where it was then) against now;
    # an archived measure has no stage now.
    stage_now = Case(
        When(measure__archived_at__isnull=True, then=F("measure__doi")),
        default=Value(None),
        output_field=CharField(),
    )
    pairs = (
        snapshot_rows(scope, snapshot)
        .filter(measure_id__in=changed.values("pk"))
        .annotate(now=stage_now)
        .values_list("stage", "now")
        .annotate(n=Count("id"))
        .order_by()
    )
    for before, after, count in pairs:
        if before != after:
            left[before] += count
            if after is not None:
                entered[after] += count
    # Measures new to the scope's stages since: created or restored after the snapshot.
    taken = SnapshotMeasure.objects.for_org(organization).filter(
        snapshot_id=snapshot.pk, measure_id=OuterRef("pk")
    )
    new = (
        scope.live_measures()
        .filter(stage_entered_at__gt=since)
        .exclude(Exists(taken))
        .values_list("doi")
        .annotate(n=Count("id"))
        .order_by()
    )
    for stage, count in new:
        entered[stage] += count
    return {stage: (entered[stage], left[stage]) for stage in STAGES}


def stage_movements(scope: Scope, snapshot: Snapshot) -> list[StageMovement]:
    """Per stage, then (the snapshot) against now, for the measures in scope; values only from
    measures whose financials the user may see. Five grouped queries (the stage counts now are
    shared with the dashboard's widgets)."""
    from reporting.widgets.value import stage_counts

    moves = {stage: StageMovement(stage=stage) for stage in STAGES}
    for stage, count in (
        snapshot_rows(scope, snapshot).values_list("stage").annotate(count=Count("id")).order_by()
    ):
        moves[stage].count_then = count
    for stage, count in stage_counts(scope).items():
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
    for stage, (entered, left) in stage_changes(scope, snapshot).items():
        moves[stage].entered, moves[stage].left = entered, left
    return list(moves.values())
