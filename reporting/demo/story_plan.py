"""Where Acme's measures stand in the demo, decided from their codes and dates alone.

Everything here is pure: given the measures (code, start, end) and today, which stage each one
reaches, which ones moved last week or today, and which carry the demo's trouble (a late
milestone, a value shortfall behind a green status, an approval past its SLA, …).
``reporting.demo.story`` writes it through the services. The same measures give the same plan
on every run.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from measures.fiscal import add_months, fiscal_months, fiscal_year_start
from measures.models import DOI_ORDER, DoI

# Share of the measures ending in each stage, most advanced first: the earliest starters got
# furthest. A transformation some months into its year: most of the value decided or being
# implemented, a first wave closed, a tail of ideas still being worked up.
STAGE_SHARES: tuple[tuple[str, float], ...] = (
    (DoI.CLOSED, 0.07),
    (DoI.IMPLEMENTED, 0.21),
    (DoI.DECIDED, 0.23),
    (DoI.ON_HOLD, 0.04),
    (DoI.DETAILED, 0.17),
    (DoI.CANCELLED, 0.03),
    (DoI.IDENTIFIED, 0.14),
    (DoI.DEFINED, 0.11),
)
# Where a measure on hold or cancelled had got to before it stopped.
STOPPED_AT: dict[str, str] = {DoI.ON_HOLD: DoI.DECIDED, DoI.CANCELLED: DoI.IDENTIFIED}
FORWARD = DOI_ORDER
# How many measures of each final stage moved into it during the last week, and today (after
# this week's snapshot): the funnel's "entered since" and the trend have something to show.
MOVED_THIS_WEEK = {DoI.CLOSED: 3, DoI.IMPLEMENTED: 3, DoI.DECIDED: 3, DoI.DETAILED: 2}
MOVED_TODAY = {DoI.DECIDED: 2, DoI.IMPLEMENTED: 1, DoI.IDENTIFIED: 2}


@dataclass(frozen=True)
class Row:
    """What the plan needs of a measure."""

    pk: int
    code: str
    start: dt.date
    end: dt.date


@dataclass
class Story:
    stage: dict[int, str]  # where each measure ends
    last_week: dict[int, str]  # where it stood at last week's snapshot
    before_today: dict[int, str]  # where it stood at this week's snapshot
    # Benefit forecast as a share of the plan; actuals as a share of the plan.
    forecast_factor: dict[int, Decimal]
    actual_factor: dict[int, Decimal]
    annual_benefit: dict[int, Decimal]
    late: list[int] = field(default_factory=list)  # an open milestone past due
    status_off_track: list[int] = field(default_factory=list)
    green_over_red: list[int] = field(default_factory=list)  # on track, value off track
    slip_root: int | None = None
    slip_successors: list[int] = field(default_factory=list)
    decide_pending: list[int] = field(default_factory=list)
    decide_overdue: list[int] = field(default_factory=list)
    close_pending: list[int] = field(default_factory=list)
    cost_overrun: list[int] = field(default_factory=list)
    with_risks: list[int] = field(default_factory=list)
    with_evidence: list[int] = field(default_factory=list)
    capacity: list[int] = field(default_factory=list)
    overallocated: list[int] = field(default_factory=list)

    def reached(self, pk: int, stage: str) -> bool:
        """Whether the measure ends at or beyond ``stage`` on its way (stopped ones included)."""
        final = STOPPED_AT.get(self.stage[pk], self.stage[pk])
        return FORWARD.index(final) >= FORWARD.index(stage)


def _counts(total: int) -> dict[str, int]:
    counts = {stage: int(total * share) for stage, share in STAGE_SHARES}
    counts[DoI.DEFINED] += total - sum(counts.values())
    return counts


def _back(stage: str) -> str:
    return FORWARD[FORWARD.index(stage) - 1]


def _take(pool: list[int], count: int, taken: set[int]) -> list[int]:
    chosen = [pk for pk in pool if pk not in taken][:count]
    taken.update(chosen)
    return chosen


def story_plan(rows: list[Row], today: dt.date, fiscal_start_month: int) -> Story:
    """The demo's story for ``rows`` (the organization's live measures) as of ``today``."""
    rng = random.Random("acme-story")
    ordered = sorted(rows, key=lambda row: (row.start.toordinal() + rng.randrange(120), row.code))
    stage: dict[int, str] = {}
    position = 0
    for name, count in _counts(len(rows)).items():
        for row in ordered[position : position + count]:
            stage[row.pk] = name
        position += count
    by_pk = {row.pk: row for row in rows}
    in_stage = {
        name: [row.pk for row in ordered if stage[row.pk] == name] for name, _ in STAGE_SHARES
    }

    last_week, before_today = dict(stage), dict(stage)
    moved: set[int] = set()
    for name, count in MOVED_TODAY.items():
        for pk in _take(in_stage[name][::-1], count, moved):
            last_week[pk] = before_today[pk] = _back(name)
    for name, count in MOVED_THIS_WEEK.items():
        for pk in _take(in_stage[name][::-1], count, moved):
            last_week[pk] = _back(name)

    story = Story(
        stage=stage,
        last_week=last_week,
        before_today=before_today,
        forecast_factor={},
        actual_factor={},
        annual_benefit={},
    )
    for row in rows:
        pick = random.Random(row.code)
        story.annual_benefit[row.pk] = Decimal(pick.randrange(8, 180) * 5_000)
        story.forecast_factor[row.pk] = Decimal(pick.randrange(96, 109)) / 100
        story.actual_factor[row.pk] = Decimal(pick.randrange(90, 106)) / 100

    # The trouble, each on measures of its own, and never on one that moves today.
    busy = set(moved)
    started = [pk for pk in in_stage[DoI.DECIDED] if by_pk[pk].start <= today - dt.timedelta(40)]
    story.late = _take(started, 2, busy)
    decided_or_later = in_stage[DoI.DECIDED] + in_stage[DoI.IMPLEMENTED]
    story.status_off_track = _take(in_stage[DoI.DECIDED], 2, busy)
    story.green_over_red = _take(decided_or_later[::-1], 3, busy)
    for pk in story.green_over_red:
        story.forecast_factor[pk] = Decimal("0.62")
        story.actual_factor[pk] = Decimal("0.58")
    for pk in _take(decided_or_later[1::3], 5, busy):
        story.forecast_factor[pk] = Decimal("0.86")
    # The slip: a decided measure whose late milestone ripples to two that start before it ends.
    roots = [pk for pk in in_stage[DoI.DECIDED] if pk not in busy]
    if roots:
        root = max(roots, key=lambda pk: (by_pk[pk].end, by_pk[pk].code))
        busy.add(root)
        story.slip_root = root
        candidates = sorted(
            (
                pk
                for pk in in_stage[DoI.DETAILED] + in_stage[DoI.IDENTIFIED]
                if by_pk[pk].start <= by_pk[root].end
            ),
            key=lambda pk: by_pk[pk].code,
        )
        story.slip_successors = _take(candidates, 2, busy)
    detailed = [pk for pk in in_stage[DoI.DETAILED] if last_week[pk] == DoI.DETAILED]
    story.decide_overdue = _take(detailed, 2, busy)
    story.decide_pending = _take(detailed, 3, busy)
    story.close_pending = _take(in_stage[DoI.IMPLEMENTED], 2, busy)
    story.cost_overrun = _take(in_stage[DoI.IMPLEMENTED], 1, busy)
    detailed_on = [pk for pk in stage if story.reached(pk, DoI.DETAILED)]
    story.with_risks = sorted(detailed_on, key=lambda pk: by_pk[pk].code)[::4]
    story.with_evidence = [
        pk
        for pk in detailed_on
        if story.reached(pk, DoI.IMPLEMENTED) and by_pk[pk].code[-1] in "02468"
    ]
    working = sorted(decided_or_later, key=lambda pk: by_pk[pk].code)
    story.capacity = working[::8]
    story.overallocated = story.capacity[:2]
    return story


def benefit_months(row: Row, today: dt.date, fiscal_start_month: int) -> list[dt.date]:
    """Months of the fiscal year in which the measure's benefit is planned: from the month
    after it starts (or the year's first) to the year's last."""
    first = fiscal_year_start(today, fiscal_start_month)
    begin = max(add_months(row.start.replace(day=1), 1), first)
    months = [month for month in fiscal_months(first) if month >= begin]
    return months or [add_months(first, 11)]


def cost_months(row: Row, today: dt.date, fiscal_start_month: int) -> list[dt.date]:
    """The two months of one-time cost: the start month and the next (within the year)."""
    first = fiscal_year_start(today, fiscal_start_month)
    start = max(row.start.replace(day=1), first)
    last = add_months(first, 11)
    return [month for month in (start, add_months(start, 1)) if month <= last] or [last]
