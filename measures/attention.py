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
