"""What needs a measure owner's attention, gathered from every concern of a measure.

Each concern registers one check over a whole page of measures, so "My measures" costs the same
number of queries for 5 measures or 500:

    @attention
    def overdue_milestones(measures, today) -> dict[int, list[str]]:
        ...  # one query for all of ``measures``; {measure id: ["2 milestones overdue"]}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from measures.models import DoI

Check = Callable[[Sequence[Any], dt.date], dict[int, list[str]]]
CHECKS: list[Check] = []
# Stages after which nothing is expected of the owner any more.
SETTLED = (DoI.CLOSED, DoI.CANCELLED)


def attention(check: Check) -> Check:
    CHECKS.append(check)
    return check


def needs_attention(measures: Sequence[Any], today: dt.date) -> dict[int, list[str]]:
    """``{measure id: [what needs doing, …]}`` for the measures that need anything."""
    found: dict[int, list[str]] = {}
    for check in CHECKS:
        for measure_id, items in check(measures, today).items():
            found.setdefault(measure_id, []).extend(items)
    return found


@attention
def past_end_date(measures: Sequence[Any], today: dt.date) -> dict[int, list[str]]:
    return {
        measure.pk: [
            f"Ended on {measure.end_date:%Y-%m-%d} but is still {measure.get_doi_display()}"
        ]
        for measure in measures
        if measure.end_date and measure.end_date < today and measure.doi not in SETTLED
    }


@attention
def no_dates(measures: Sequence[Any], today: dt.date) -> dict[int, list[str]]:
    return {
        measure.pk: ["Give it a start and an end date"]
        for measure in measures
        if (not measure.start_date or not measure.end_date) and measure.doi not in SETTLED
    }


def _previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@attention
def missing_actuals(measures: Sequence[Any], today: dt.date) -> dict[int, list[str]]:
    """Decided or Implemented, a benefit planned (or baselined) for last month, no actual yet.
    One query for the whole page."""
    from measures.models import FinancialEntry, Line, Scenario

    delivering = [m for m in measures if m.doi in (DoI.DECIDED, DoI.IMPLEMENTED)]
    if not delivering:
        return {}
    month = _previous_month(today)
    found: dict[int, set[str]] = {}
    for measure_id, scenario in (
        FinancialEntry.objects.for_org(delivering[0].organization_id)
        .filter(
            measure_id__in=[m.pk for m in delivering],
            period=month,
            line=Line.BENEFIT,
            scenario__in=[Scenario.PLAN, Scenario.BASELINE, Scenario.ACTUAL],
        )
        .values_list("measure_id", "scenario")
        .distinct()
    ):
        found.setdefault(measure_id, set()).add(scenario)
    return {
        measure.pk: [f"Enter the actual benefit of {month:%Y-%m}"]
        for measure in delivering
        if (scenarios := found.get(measure.pk, set()))
        and Scenario.ACTUAL not in scenarios
        and scenarios & {Scenario.PLAN, Scenario.BASELINE}
    }


@attention
def blocked_gate(measures: Sequence[Any], today: dt.date) -> dict[int, list[str]]:
    """The next gate asks for fields the measure lacks. The organization's gate settings are read
    once and handed to every measure, so the page costs one query whatever its length."""
    from measures.models import DOI_ORDER, GateSettings
    from measures.services.gate_fields import required_fields

    moving = [m for m in measures if m.doi in DOI_ORDER[:-1]]
    if not moving:
        return {}
    settings = GateSettings.objects.for_org(moving[0].organization_id).first()
    found: dict[int, list[str]] = {}
    for measure in moving:
        measure.__dict__["_gate_settings"] = settings
        stage = DOI_ORDER[DOI_ORDER.index(measure.doi) + 1]
        problems = [item.problem for item in required_fields(measure, stage) if item.problem]
        if problems:
            label = DoI(stage).label
            found[measure.pk] = [f"Before {label}: {' '.join(problems)}"]
    return found
