"""The proposed diff of a change request: reading it against the current baseline, and its impact.

Input (the API body and what the form sends, minus the rationale):

    {"financials": [{"period": "YYYY-MM", "line": "benefit", "amount": "1200"}],
     "milestones": [{"milestone": <id>, "baseline_due_date": "YYYY-MM-DD"}],
     "dates": {"baseline_start_date": "YYYY-MM-DD", "baseline_end_date": "YYYY-MM-DD"},
     "kpis": [{"kpi": <id>, "target": "1.5"}]}

The diff keeps only what differs from the current baseline, each entry with the value it was
made against (``from``) — what a later approval checks for staleness — and the new one (``to``):

    {"financial.benefit.2026-03": {"label": …, "from": "1000.00", "to": "1200.00"}, …}

Impact: value shift per period (new minus current baseline) of the benefit and of the costs
(one-time and recurring), the net value shift (benefit minus costs) per period and in total, date
shifts in days, KPI target moves. The request's amount is the absolute net total value shift, so the
amount-limited steps of the policy apply.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from approvals.changes.selectors import DATE_FIELDS, ZERO, day, money
from governance.models import Organization
from measures.models import Line
from measures.services.financials import parse_amount, parse_period
from measures.services.kpis import parse_value

MAX_ENTRIES = 1_000
SECTIONS = ("financials", "milestones", "dates", "kpis")
CHANGE_HINT = "Change at least one baselined value: every value given equals the current baseline."


def parse_date(value: Any) -> dt.date:
    """A date from input, or ``ValueError``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value.strip()[:20]!r} is not a date (use YYYY-MM-DD).") from None
    raise ValueError("Give a date (YYYY-MM-DD).")


def _entries(raw: Any, name: str, errors: dict[str, list[str]]) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        errors[name] = ["Give a list."]
        return []
    if len(raw) > MAX_ENTRIES:
        errors[name] = [f"Give at most {MAX_ENTRIES:,} entries."]
        return []
    return list(raw)


def _id(value: Any) -> int | None:
    return value if type(value) is int else None


def parse_changes(
    raw: Any, organization: Organization, current: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """The diff of ``raw`` against the ``current`` snapshot, and every error by field path."""
    errors: dict[str, list[str]] = {}
    diff: dict[str, dict[str, Any]] = {}
    if not isinstance(raw, dict):
        return {}, {"changes": ["Give the changes as an object."]}
    unknown = set(raw) - set(SECTIONS)
    if unknown:
        errors["changes"] = [f"Unknown part(s): {', '.join(sorted(map(str, unknown)))[:200]}."]

    def add(key: str, label: str, was: Any, new: Any) -> None:
        if was != new:
            diff[key] = {"label": label, "from": was, "to": new}

    financials = current.get("financials", {})
    seen: set[str] = set()
    for index, row in enumerate(_entries(raw.get("financials"), "financials", errors)):
        where = f"financials.{index}"
        if not isinstance(row, dict):
            errors[where] = ["Each entry has a period, a line and an amount."]
            continue
        parsed: dict[str, Any] = {}
        try:
            parsed["period"] = parse_period(row.get("period"), organization)
        except ValueError as exc:
            errors[f"{where}.period"] = [str(exc)]
        if row.get("line") in Line.values:
            parsed["line"] = row["line"]
        else:
            errors[f"{where}.line"] = [f"Choose the line among {', '.join(Line.values)}."]
        try:
            parsed["amount"] = parse_amount(row.get("amount"))
        except ValueError as exc:
            errors[f"{where}.amount"] = [str(exc)]
        if len(parsed) < 3:
            continue
        month = f"{parsed['period']:%Y-%m}"
        key = f"financial.{parsed['line']}.{month}"
        if key in seen:
            errors[where] = ["The same month and line is given twice."]
            continue
        seen.add(key)
        was = financials.get(parsed["line"], {}).get(month, "0.00")
        label = f"{Line(parsed['line']).label} {month}"
        add(key, label, was, money(parsed["amount"]))

    milestones = current.get("milestones", {})
    for index, row in enumerate(_entries(raw.get("milestones"), "milestones", errors)):
        where = f"milestones.{index}"
        pk = _id(row.get("milestone")) if isinstance(row, dict) else None
        if pk is None or str(pk) not in milestones:
            errors[f"{where}.milestone"] = ["Choose a milestone of this measure."]
            continue
        try:
            new = day(parse_date(row.get("baseline_due_date")))
        except ValueError as exc:
            errors[f"{where}.baseline_due_date"] = [str(exc)]
            continue
        known = milestones[str(pk)]
        key = f"milestone.{pk}"
        if key in diff:
            errors[where] = ["The same milestone is given twice."]
            continue
        add(key, f"Milestone “{known['title']}” baseline due date", known["baseline_due_date"], new)

    dates = raw.get("dates")
    if dates is not None and not isinstance(dates, dict):
        errors["dates"] = ["Give the dates as an object."]
        dates = None
    merged = dict(current.get("measure", {}))
    for name, value in (dates or {}).items():
        if name not in DATE_FIELDS:
            errors[f"dates.{name}"] = ["Only baseline_start_date and baseline_end_date."]
            continue
        try:
            new = day(parse_date(value))
        except ValueError as exc:
            errors[f"dates.{name}"] = [str(exc)]
            continue
        merged[name] = new
        add(
            f"measure.{name}",
            f"Baseline {DATE_FIELDS[name].lower()}",
            current["measure"][name],
            new,
        )
    start, end = merged.get("baseline_start_date"), merged.get("baseline_end_date")
    if start and end and end < start and "dates.baseline_end_date" not in errors:
        errors["dates.baseline_end_date"] = ["The end date must not be before the start date."]

    kpis = current.get("kpis", {})
    for index, row in enumerate(_entries(raw.get("kpis"), "kpis", errors)):
        where = f"kpis.{index}"
        pk = _id(row.get("kpi")) if isinstance(row, dict) else None
        if pk is None or str(pk) not in kpis:
            errors[f"{where}.kpi"] = ["Choose a KPI of this measure."]
            continue
        try:
            target = parse_value(row.get("target"), required=True)
        except ValueError as exc:
            errors[f"{where}.target"] = [str(exc)]
            continue
        key = f"kpi.{pk}"
        if key in diff:
            errors[where] = ["The same KPI is given twice."]
            continue
        known = kpis[str(pk)]
        add(key, f"KPI “{known['name']}” target", known["target"], str(target))
    if not errors and not diff:
        errors["changes"] = [CHANGE_HINT]
    return diff, errors


def impact_of(diff: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Value shift per period and in total, date shifts in days, KPI target moves."""
    periods: dict[str, dict[str, Decimal]] = {}
    for key, entry in diff.items():
        kind, _, rest = key.partition(".")
        if kind != "financial":
            continue
        line, _, month = rest.partition(".")
        shift = Decimal(entry["to"]) - Decimal(entry["from"] or "0")
        row = periods.setdefault(month, {"benefit": ZERO, "cost": ZERO})
        # Every line is the benefit or a cost (one-time, recurring).
        row["benefit" if line == Line.BENEFIT else "cost"] += shift
    rows = [
        {
            "period": month,
            "benefit": money(values["benefit"]),
            "cost": money(values["cost"]),
            "value": money(values["benefit"] - values["cost"]),
        }
        for month, values in sorted(periods.items())
    ]
    benefit = sum((values["benefit"] for values in periods.values()), ZERO)
    cost = sum((values["cost"] for values in periods.values()), ZERO)
    dates = []
    kpis = []
    for key, entry in diff.items():
        kind = key.partition(".")[0]
        if kind in ("milestone", "measure"):
            was, new = entry["from"], entry["to"]
            days = (
                (dt.date.fromisoformat(new) - dt.date.fromisoformat(was)).days
                if was and new
                else None
            )
            dates.append(
                {"key": key, "label": entry["label"], "from": was, "to": new, "days": days}
            )
        elif kind == "kpi":
            kpis.append(
                {"key": key, "label": entry["label"], "from": entry["from"], "to": entry["to"]}
            )
    return {
        "periods": rows,
        "benefit_shift": money(benefit),
        "cost_shift": money(cost),
        "value_shift": money(benefit - cost),
        "dates": dates,
        "kpis": kpis,
    }


def request_amount(impact: dict[str, Any]) -> Decimal:
    """The amount the policy's steps are chosen by: the absolute net total value shift."""
    return abs(Decimal(impact.get("value_shift") or "0"))


def redacted(diff: dict[str, Any], impact: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The diff and impact without financial figures (for people who may not see them)."""
    return (
        {key: entry for key, entry in diff.items() if not key.startswith("financial.")},
        {
            **impact,
            "periods": [],
            "benefit_shift": None,
            "cost_shift": None,
            "value_shift": None,
        },
    )
