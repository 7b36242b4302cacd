"""Reading a measure's baseline: the live snapshot, its versions, original against current.

A snapshot is plain JSON (amounts and targets as strings, dates as ISO strings), the same shape
a ``BaselineVersion`` stores:

    {"financials": {line: {"YYYY-MM": "amount"}},
     "milestones": {"<id>": {"title": …, "baseline_due_date": "YYYY-MM-DD" | None}},
     "measure": {"baseline_start_date": …, "baseline_end_date": …},
     "kpis": {"<id>": {"name": …, "target": "1.5000" | None}}}

"Original" is version 1 (the baseline frozen at Decided); "current" is the live baseline. A
measure without recorded versions (baselined before change control) has never changed: its
original is its current baseline.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Subquery

from approvals.changes.models import BaselineVersion
from governance.models import Organization
from measures.models import FinancialEntry, Kpi, Line, Measure, Milestone, Scenario

ZERO = Decimal("0.00")
DATE_FIELDS = {"baseline_start_date": "Start date", "baseline_end_date": "End date"}
COST_LINES = (Line.ONE_TIME_COST, Line.RECURRING_COST)


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def baseline_snapshot(measure: Measure) -> dict[str, Any]:
    """The measure's live baseline as a snapshot (four queries)."""
    organization_id = measure.organization_id
    financials: dict[str, dict[str, str]] = {}
    for line, period, amount in (
        FinancialEntry.objects.for_org(organization_id)
        .filter(measure_id=measure.pk, scenario=Scenario.BASELINE)
        .order_by("line", "period")
        .values_list("line", "period", "amount")
    ):
        financials.setdefault(line, {})[f"{period:%Y-%m}"] = money(amount) or "0.00"
    milestones = {
        str(pk): {"title": title, "baseline_due_date": day(due)}
        for pk, title, due in Milestone.objects.for_org(organization_id)
        .filter(measure_id=measure.pk)
        .order_by("order", "id")
        .values_list("pk", "title", "baseline_due_date")
    }
    dates = (
        Measure.objects.for_org(organization_id)
        .filter(pk=measure.pk)
        .values("baseline_start_date", "baseline_end_date")
        .get()
    )
    kpis = {
        str(pk): {"name": name, "target": None if target is None else str(target)}
        for pk, name, target in Kpi.objects.for_org(organization_id)
        .filter(measure_id=measure.pk)
        .order_by("id")
        .values_list("pk", "name", "target_baseline")
    }
    return {
        "financials": financials,
        "milestones": milestones,
        "measure": {name: day(value) for name, value in dates.items()},
        "kpis": kpis,
    }


def baseline_versions(measure: Measure) -> list[BaselineVersion]:
    """Every recorded version of the measure's baseline, oldest first."""
    return list(
        BaselineVersion.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk)
        .select_related("created_by", "change_request")
        .order_by("number")
    )


def current_version(measure: Measure) -> int:
    """The number of the measure's latest baseline version (0: none recorded)."""
    latest = (
        BaselineVersion.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return latest or 0


def _shift_days(original: str | None, current: str | None) -> int | None:
    if not original or not current:
        return None
    return (dt.date.fromisoformat(current) - dt.date.fromisoformat(original)).days


def compare_snapshots(original: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Original against current, per period and line, per date, per KPI target."""
    rows = []
    totals: dict[str, dict[str, Decimal]] = {}
    for line in Line.values:
        before = original.get("financials", {}).get(line, {})
        after = current.get("financials", {}).get(line, {})
        total = totals.setdefault(line, {"original": ZERO, "current": ZERO})
        for period in sorted(set(before) | set(after)):
            was = Decimal(before.get(period, "0"))
            now = Decimal(after.get(period, "0"))
            total["original"] += was
            total["current"] += now
            rows.append(
                {
                    "period": period,
                    "line": line,
                    "original": money(was),
                    "current": money(now),
                    "shift": money(now - was),
                }
            )
    dates = []
    for name, label in DATE_FIELDS.items():
        date_was = original.get("measure", {}).get(name)
        date_now = current.get("measure", {}).get(name)
        dates.append(
            {
                "key": f"measure.{name}",
                "label": label,
                "original": date_was,
                "current": date_now,
                "days": _shift_days(date_was, date_now),
            }
        )
    before_ms, after_ms = original.get("milestones", {}), current.get("milestones", {})
    for pk in sorted(set(before_ms) | set(after_ms), key=int):
        title = (after_ms.get(pk) or before_ms.get(pk) or {}).get("title", f"#{pk}")
        due_was = (before_ms.get(pk) or {}).get("baseline_due_date")
        due_now = (after_ms.get(pk) or {}).get("baseline_due_date")
        dates.append(
            {
                "key": f"milestone.{pk}",
                "label": f"Milestone “{title}”",
                "original": due_was,
                "current": due_now,
                "days": _shift_days(due_was, due_now),
            }
        )
    kpis = []
    before_k, after_k = original.get("kpis", {}), current.get("kpis", {})
    for pk in sorted(set(before_k) | set(after_k), key=int):
        name = (after_k.get(pk) or before_k.get(pk) or {}).get("name", f"#{pk}")
        kpis.append(
            {
                "key": f"kpi.{pk}",
                "label": f"KPI “{name}” target",
                "original": (before_k.get(pk) or {}).get("target"),
                "current": (after_k.get(pk) or {}).get("target"),
            }
        )
    return {
        "financials": rows,
        "totals": {
            line: {
                "original": money(values["original"]),
                "current": money(values["current"]),
                "shift": money(values["current"] - values["original"]),
            }
            for line, values in totals.items()
        },
        "dates": dates,
        "kpis": kpis,
    }


def baseline_compare(measure: Measure) -> dict[str, Any]:
    """The original baseline (version 1) against the current one, with both version numbers."""
    current = baseline_snapshot(measure)
    first = (
        BaselineVersion.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk)
        .order_by("number")
        .first()
    )
    original = first.snapshot if first is not None else current
    return {
        "original_version": first.number if first is not None else None,
        "current_version": current_version(measure),
        **compare_snapshots(original, current),
    }


def without_financials(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a snapshot or comparison) minus its financial figures, for people who may not
    see the measure's financials."""
    if isinstance(data.get("financials"), list):
        return {**data, "financials": [], "totals": {}}
    return {**data, "financials": {}}


# --- Many measures at once (roll-ups, dashboards) ---------------------------------------------


@dataclass
class BaselinePair:
    """A measure's financial baseline, original and current, per (period, line)."""

    original: dict[tuple[dt.date, str], Decimal] = field(default_factory=dict)
    current: dict[tuple[dt.date, str], Decimal] = field(default_factory=dict)
    changed: bool = False  # whether a change request was applied since Decided

    def total(self, which: str, lines: Iterable[str] = (Line.BENEFIT,)) -> Decimal:
        series: dict[tuple[dt.date, str], Decimal] = getattr(self, which)
        wanted = set(lines)
        return sum((v for (_, line), v in series.items() if line in wanted), ZERO)


def baselines_original_and_current(
    organization: Organization | int, measure_ids: Iterable[int]
) -> dict[int, BaselinePair]:
    """The original (version 1) and current financial baseline of each measure, per period and
    line: one query over the current series and one over the first versions (with the newest
    version number), whatever the number of measures. Callers scope ``measure_ids`` (a
    restricted queryset's ids)."""
    org_id = organization if isinstance(organization, int) else organization.pk
    ids = list(measure_ids)
    pairs: dict[int, BaselinePair] = defaultdict(BaselinePair)
    for measure_id, period, line, amount in (
        FinancialEntry.objects.for_org(org_id)
        .filter(measure_id__in=ids, scenario=Scenario.BASELINE)
        .values_list("measure_id", "period", "line", "amount")
    ):
        pairs[measure_id].current[(period, line)] = amount
    latest = BaselineVersion.objects.filter(
        organization_id=OuterRef("organization_id"), measure_id=OuterRef("measure_id")
    ).order_by("-number")
    firsts = {
        measure_id: (snapshot, newest)
        for measure_id, snapshot, newest in BaselineVersion.objects.for_org(org_id)
        .filter(measure_id__in=ids, number=1)
        .annotate(newest=Subquery(latest.values("number")[:1]))
        .values_list("measure_id", "snapshot", "newest")
    }
    for measure_id in ids:
        pair = pairs[measure_id]
        if measure_id not in firsts:
            pair.original = dict(pair.current)
            continue
        snapshot, newest = firsts[measure_id]
        for line, months in snapshot.get("financials", {}).items():
            for month, amount in months.items():
                period = dt.date.fromisoformat(f"{month}-01")
                pair.original[(period, line)] = Decimal(amount)
        pair.changed = (newest or 1) > 1
    return dict(pairs)
